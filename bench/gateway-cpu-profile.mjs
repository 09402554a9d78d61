// A CPU profile of the gateway under load (`node --cpu-prof`, passed in NODE_OPTIONS), and its top
// frames: a simulator (instant profile) and `citadel-llm serve mixtral-8x7b` in front of it, as
// `bench overhead` starts them; wrk at 32 connections on chat completions; then self time by
// package and by function over the last `seconds` + 1.5 s of the profile (the load, not the boot).
//
//   npm run build && node bench/gateway-cpu-profile.mjs <out-dir> [seconds=8] [top=30]
//   node bench/gateway-cpu-profile.mjs --top <file.cpuprofile> [seconds=8] [top=30]
//
// Profile times are wall-clock samples: on a busy machine their totals say little, their shares a lot.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

function top(file, seconds, count) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const times = [];
  let t = 0;
  for (const d of p.timeDeltas) times.push((t += d));
  const keepFrom = t - (seconds + 1.5) * 1e6;
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) if (times[i] >= keepFrom) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  let busy = 0;
  const byFunction = new Map();
  const byPackage = new Map();
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1];
    const where = pkg ?? (f.url.startsWith('node:') ? f.url : f.url.includes('/dist/') ? `citadel ${f.url.split('/dist/')[1]}` : '(native)');
    const group = pkg ?? (f.url.startsWith('node:') ? 'node core' : f.url.includes('/dist/') ? 'citadel' : f.functionName.startsWith('(') ? f.functionName : '(native)');
    const key = `${f.functionName || '(anonymous)'}  ${where}:${f.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPackage.set(group, (byPackage.get(group) ?? 0) + us);
  }
  const show = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`).join('\n');
  return `busy ${(busy / 1e6).toFixed(2)} s\n-- self time by package\n${show(byPackage, 12)}\n-- self time by function\n${show(byFunction, count)}\n`;
}

async function profile(outDir, seconds) {
  const dist = resolve(here, '..', 'dist');
  require(resolve(here, '..', 'node_modules', 'reflect-metadata'));
  const { startBenchSimulator, withProfile } = require(join(dist, 'bench/simulator-launcher'));
  const { startGateway } = require(join(dist, 'bench/gateway-launcher'));
  const { loadCitadelConfig } = require(join(dist, 'config/config-loader'));
  const { simulatorModelFromConfig } = require(join(dist, 'simulator/model-from-config'));
  const { INSTANT_PROFILE } = require(join(dist, 'simulator/profiles'));
  const { runWrk } = require(join(dist, 'bench/wrk-runner'));
  mkdirSync(outDir, { recursive: true });
  const config = loadCitadelConfig({ only: ['mixtral-8x7b'] });
  const model = simulatorModelFromConfig(config.models[0]);
  const sim = await startBenchSimulator('simulator (instant)', withProfile(model, INSTANT_PROFILE, 256), true);
  const gateway = await startGateway({ model: 'mixtral-8x7b', engineUrls: [sim.url], configDir: config.configDir, env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${outDir}` } });
  const body = JSON.stringify({ model: model.servedName, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: 16, ignore_eos: true });
  const target = { origin: gateway.url, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body, timeoutMs: 30_000 };
  try {
    await runWrk({ wrkPath: 'wrk', target, connections: 32, durationS: 1 });
    const r = await runWrk({ wrkPath: 'wrk', target, connections: 32, durationS: seconds });
    process.stdout.write(`${(r.ok / (r.elapsedMs / 1000)).toFixed(0)} req/s, ${r.errors} errors\n`);
  } finally {
    await gateway.process.stop();
    await sim.process.stop();
  }
  return join(outDir, readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile')).sort().pop());
}

(async () => {
  const args = process.argv.slice(2);
  const byTop = args[0] === '--top';
  const [where, seconds = '8', count = '30'] = byTop ? args.slice(1) : args;
  if (!where) throw new Error('usage: node bench/gateway-cpu-profile.mjs <out-dir> [seconds] [top] | --top <file.cpuprofile> [seconds] [top]');
  const file = byTop ? where : await profile(resolve(where), Number(seconds));
  process.stdout.write(`${file}\n${top(file, Number(seconds), Number(count))}`);
})().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
