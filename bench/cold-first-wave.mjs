// The first wave of concurrent streams on a cold proxy (issue: "30–100 ms time to first token on
// a cold gateway against ~13 ms warm"), measured per path with a fresh proxy process each trial:
//   A  a fresh simulator, streamed to directly (its own cold start)
//   B  a fresh gateway (`serve mixtral-8x7b`, engine external) in front of a warm simulator
//   D  a fresh bare Node proxy (src/bench/bare-proxy.ts) in front of the same warm simulator
//   B+ with --gateway-node-arg: the gateway again, node started with those options
// Each trial sends wave 1 (`concurrency` streams at once, `tokens` tokens 20 ms apart) as soon as
// the proxy is ready, then wave 2 the same way; the client opens fresh connections for each path.
// Prints, per path and wave, time to first token p50 and p99 (ms) pooled over the trials.
//
//   npm run build && node bench/cold-first-wave.mjs [trials=3] [concurrency=16] [tokens=8]
//       [--gateway-node-arg=--always-sparkplug ...]
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', 'dist');
require(resolve(here, '..', 'node_modules', 'reflect-metadata'));
const { Pool } = require(resolve(here, '..', 'node_modules', 'undici'));
const { startBenchSimulator, withProfile } = require(join(dist, 'bench/simulator-launcher'));
const { startGateway } = require(join(dist, 'bench/gateway-launcher'));
const { startBareProxyProcess } = require(join(dist, 'bench/bare-proxy-launcher'));
const { loadCitadelConfig } = require(join(dist, 'config/config-loader'));
const { simulatorModelFromConfig } = require(join(dist, 'simulator/model-from-config'));
const { streamOnce } = require(join(dist, 'bench/stream-request'));
const { percentileOfSorted } = require(join(dist, 'common/percentile'));

const USAGE = 'usage: node bench/cold-first-wave.mjs [trials=3] [concurrency=16] [tokens=8] [--gateway-node-arg=<node option> ...]';
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, 'gateway-node-arg': { type: 'string', multiple: true } } });
} catch (error) {
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const [trials = 3, concurrency = 16, tokens = 8] = parsed.positionals.map(Number);
if (parsed.positionals.length > 3 || ![trials, concurrency, tokens].every((n) => Number.isInteger(n) && n >= 1)) {
  process.stderr.write(`trials, concurrency and tokens are whole numbers of at least 1\n${USAGE}\n`);
  process.exit(2);
}
const gatewayNodeArgs = parsed.values['gateway-node-arg'] ?? [];
const config = loadCitadelConfig({ only: ['mixtral-8x7b'] });
const base = simulatorModelFromConfig(config.models[0]);
const streaming = withProfile(base, { ttftBaseMs: 10, prefillMsPerToken: 0, itlBaseMs: 20, itlMsPerRunningSeq: 0 }, Math.max(base.maxNumSeqs, concurrency * 2));
const body = JSON.stringify({ model: base.servedName, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: tokens, ignore_eos: true, stream: true });

async function wave(url) {
  const pool = new Pool(url, { connections: concurrency });
  try {
    const traces = await Promise.all(Array.from({ length: concurrency }, () => streamOnce({ pool, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body })));
    const failed = traces.filter((t) => t.error || t.contentAt.length === 0);
    if (failed.length) throw new Error(`${failed.length} stream(s) failed: ${failed[0].error}`);
    return traces.map((t) => t.contentAt[0] - t.sentAt);
  } finally {
    await pool.close();
  }
}

const start = {
  A: async () => {
    const sim = await startBenchSimulator('simulator (fresh)', streaming, true);
    return { url: sim.url, stop: () => sim.process.stop() };
  },
  B: async (upstream) => {
    const g = await startGateway({ model: 'mixtral-8x7b', engineUrls: [upstream], configDir: config.configDir });
    return { url: g.url, stop: () => g.process.stop() };
  },
  'B+': async (upstream) => {
    const g = await startGateway({ model: 'mixtral-8x7b', engineUrls: [upstream], configDir: config.configDir, nodeArgs: gatewayNodeArgs });
    return { url: g.url, stop: () => g.process.stop() };
  },
  D: async (upstream) => {
    const d = await startBareProxyProcess([upstream]);
    return { url: d.url, stop: () => d.process.stop() };
  },
};

const warmSim = await startBenchSimulator('simulator (warm)', streaming, true);
const paths = gatewayNodeArgs.length ? ['A', 'B', 'D', 'B+'] : ['A', 'B', 'D'];
const ttft = Object.fromEntries(paths.map((p) => [p, [[], []]]));
try {
  for (let i = 0; i < 3; i++) await wave(warmSim.url);
  for (let trial = 0; trial < trials; trial++) {
    for (const path of paths) {
      const proxy = await start[path](warmSim.url);
      try {
        ttft[path][0].push(...(await wave(proxy.url)));
        ttft[path][1].push(...(await wave(proxy.url)));
      } finally {
        await proxy.stop();
      }
    }
  }
} finally {
  await warmSim.process.stop();
}
const fmt = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${percentileOfSorted(sorted, 50).toFixed(1)} / ${percentileOfSorted(sorted, 99).toFixed(1)}`;
};
process.stdout.write(`time to first token, ms (p50 / p99), ${trials} trial(s) × ${concurrency} streams of ${tokens} tokens per wave, a fresh proxy each trial\n`);
process.stdout.write('| path | wave 1 (cold) | wave 2 |\n| --- | ---: | ---: |\n');
const label = (path) => (path === 'B+' ? `B with node ${gatewayNodeArgs.join(' ')}` : path);
for (const path of paths) process.stdout.write(`| ${label(path)} | ${fmt(ttft[path][0])} | ${fmt(ttft[path][1])} |\n`);
