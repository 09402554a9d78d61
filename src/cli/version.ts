import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** package.json of this program (src/cli/ and dist/cli/ both sit two levels below it). */
const PACKAGE_JSON = resolve(__dirname, '..', '..', 'package.json');

/** "citadel-llm 0.1.0 on Node.js v24.21.0": what a bug report needs to name first. */
export function programVersion(): string {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
  return `citadel-llm ${version} on Node.js ${process.version}`;
}

/**
 * A warning when this Node.js is not the major version package.json's `engines` names (the one
 * npm ci installs as the package `node`): e.g. `node dist/main.js serve` with an older system Node.
 */
export function runtimeWarning(): string | undefined {
  const { engines } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { engines?: { node?: string } };
  const wanted = /\d+/.exec(engines?.node ?? '')?.[0];
  if (!wanted || process.versions.node.split('.')[0] === wanted) return undefined;
  return `this is Node.js ${process.version}; citadel-llm runs on Node.js ${wanted} (engines ${engines?.node}): start it with npm start or bin/citadel-llm, which use the project's own Node.js`;
}
