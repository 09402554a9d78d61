# syntax=docker/dockerfile:1
# The image the Kubernetes manifests run (deploy/kubernetes/): `citadel-llm serve <model>`,
# `citadel-llm gateway` and, in the simulator overlay, `citadel-llm sim`.
#
# Node is the version package.json pins (dependencies.node, engines.node): the npm `node` package
# runs the project everywhere else, and here the base image is that same release. Install scripts
# are skipped (--ignore-scripts): the only one is the `node` package's download of that same Node,
# which bin/citadel-llm then does not find and falls back to the image's.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PATH=/app/bin:$PATH
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
# The base image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["citadel-llm"]
CMD ["gateway"]
