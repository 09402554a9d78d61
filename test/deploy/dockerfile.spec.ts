import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Copy, DockerfileParser, Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { satisfies } from 'semver';
import { REPO } from '../service-manager/helpers';

/**
 * The Dockerfile, read with dockerfile-ast (the parser of VS Code's Dockerfile support) and
 * checked by dockerfile-utils' validator; neither docker nor hadolint runs here. Checked: its
 * stages, the non-root user, `npm ci --omit=dev` in the final stage, Node as package.json pins
 * it, and a .dockerignore that lets in exactly what the Dockerfile copies.
 */

const TEXT = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(TEXT);
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; engines: { node: string } };

/** The instructions of each stage, by stage name. */
function stages(): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      current = [];
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line)!;
      out.set(from.getBuildStage() ?? `#${out.size}`, current);
    }
    current?.push(instruction);
  }
  return out;
}

const argsOf = (i: Instruction) => i.getArguments().map((a) => a.getValue());

describe('Dockerfile', () => {
  it('has no problem dockerfile-utils finds', () => {
    expect(lintDockerfile(TEXT)).toEqual([]);
  });

  it('is multi-stage: the final stage installs production dependencies only and takes the build from the build stage', () => {
    const all = stages();
    expect([...all.keys()]).toEqual(['build', 'runtime']);
    const runtime = all.get('runtime')!;
    const runs = runtime.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(runs.some((r) => /\bnpm ci\b[^&]*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (run )?build\b/.test(r))).toBe(false);
    const fromBuild = runtime.filter((i): i is Copy => i instanceof Copy && i.getFromFlag()?.getValue() === 'build');
    expect(fromBuild.map(argsOf)).toContainEqual(['/app/dist', './dist']);
    // The build stage needs the dev dependencies (TypeScript) and builds.
    expect(all.get('build')!.some((i) => i.getKeyword() === 'RUN' && /\bnpm run build\b/.test(i.getArgumentsContent() ?? ''))).toBe(true);
  });

  it('runs as a numeric non-root user (what Kubernetes runAsNonRoot can verify)', () => {
    const runtime = stages().get('runtime')!;
    const users = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => argsOf(i).join(' '));
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1];
    expect(last).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last.split(':')[0])).toBeGreaterThan(0);
    // Nothing runs after it as another user.
    const lastUser = runtime.map((i) => i.getKeyword()).lastIndexOf('USER');
    expect(runtime.slice(lastUser + 1).map((i) => i.getKeyword())).not.toContain('RUN');
  });

  it("runs the Node release package.json pins (the npm package `node`), which satisfies engines.node", () => {
    const arg = dockerfile.getInstructions().find((i) => i.getKeyword() === 'ARG' && argsOf(i)[0].startsWith('NODE_VERSION='))!;
    const version = argsOf(arg)[0].split('=')[1];
    expect(version).toBe(pkg.dependencies.node);
    expect(satisfies(version, pkg.engines.node)).toBe(true);
    for (const from of dockerfile.getFROMs()) {
      expect(from.getImageName()).toBe('node');
      expect(from.getImageTag()).toMatch(/^\$\{NODE_VERSION\}-/);
    }
  });

  it('.dockerignore lets in exactly the context paths the Dockerfile copies', () => {
    const lines = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const copied = dockerfile
      .getInstructions()
      .filter((i) => i instanceof Copy && i.getFromFlag() === null)
      .flatMap((i) => argsOf(i).slice(0, -1));
    expect([...new Set(copied)].sort()).toEqual([...allowed].sort());
    // Unit specs stay out of the image's sources.
    expect(lines).toContain('src/**/*.spec.ts');
  });
});
