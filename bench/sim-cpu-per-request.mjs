// The simulator's own CPU time per request (`citadel-llm sim --profile instant`), read from
// /proc/<pid>/stat of the simulator process around a run of sequential keep-alive requests, so the
// client's CPU is not counted. Linux only.
//
//   node bench/sim-cpu-per-request.mjs [dist-dir] [model] [requests]
//
// dist-dir defaults to ./dist (npm run build). Prints one JSON line per case.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const dist = resolve(process.argv[2] ?? 'dist');
const model = process.argv[3] ?? 'mixtral-8x7b';
const requests = Number(process.argv[4] ?? 2000);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function post(url, path, body) {
  return new Promise((done, fail) => {
    const payload = JSON.stringify(body);
    const req = request(`${url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', fail);
    req.end(payload);
  });
}

const child = spawn(process.execPath, [join(dist, 'main.js'), 'sim', '--model', model, '--profile', 'instant', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ready = await new Promise((done) => {
  createInterface({ input: child.stdout }).once('line', (line) => done(JSON.parse(line)));
});

const words = 'the quick brown fox jumps over the lazy dog and keeps running through the field '.split(' ');
const text = (n) => Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');
const cases = [
  { name: 'chat, ~30-word prompt, max_tokens 16', path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: text(30) }], max_tokens: 16, ignore_eos: true } },
  { name: 'chat, ~1500-word prompt, max_tokens 16', path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: text(1500) }], max_tokens: 16, ignore_eos: true } },
  { name: 'chat, a new ~30-word prompt each time', path: '/v1/chat/completions', vary: true, body: { max_tokens: 16, ignore_eos: true } },
];

try {
  for (const c of cases) {
    const bodyOf = (i) => (c.vary ? { ...c.body, messages: [{ role: 'user', content: `${i} ${text(30)}` }] } : c.body);
    for (let i = 0; i < 1000; i++) await post(ready.url, c.path, bodyOf(-i - 1));
    const before = cpuTicks(child.pid);
    const start = process.hrtime.bigint();
    for (let i = 0; i < requests; i++) await post(ready.url, c.path, bodyOf(i));
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpuMs = ((cpuTicks(child.pid) - before) * 1000) / TICKS_PER_SECOND;
    console.log(
      JSON.stringify({ dist, model, case: c.name, requests, simCpuUsPerRequest: Math.round((cpuMs * 1000) / requests), wallMsPerRequest: +(wallMs / requests).toFixed(3) }),
    );
  }
} finally {
  child.kill('SIGTERM');
  agent.destroy();
}
