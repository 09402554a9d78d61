import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { sampleValue } from '../monitoring/prom-text';
import { startCitadel } from '../support/start-citadel';

/**
 * The seeds' own benchmarks, at their stated concurrency, against the shipped defaults and the
 * simulator with the shipped latency model (bounded: a few hundred requests on loopback).
 * Covered: Phi-3 `ab -n 1000 -c 100` (seed 1.5) passes its throttle with no 429 and is refused
 * beyond (-c 200); OpenChat `ab -c 20` (seed 1.4) with no 429, its 50 concurrent users' streams
 * all admitted and the 51st refused; Mixtral `ab -c 5` and 10 concurrent (seed 1.2,
 * TC-L1-COMP-MIXTRAL-003) with no 429, and refused beyond the TC's max_concurrent_requests=10.
 * Uses ab (Debian apache2-utils) when installed, else a closed loop of fetch clients, as ab runs.
 */

const AB = spawnSync('ab', ['-V']).status === 0 ? 'ab' : undefined;
if (!AB) console.warn('ab is not installed (Debian package apache2-utils): the seed benchmarks run with a Node loop instead');

const dir = mkdtempSync(join(tmpdir(), 'citadel-seed-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LoadResult {
  complete: number;
  non2xx: number;
}

/** `ab -n total -c concurrency -T application/json -p body url`, or the same closed loop in Node. */
async function load(url: string, body: object, total: number, concurrency: number): Promise<LoadResult> {
  if (AB) {
    const file = join(dir, 'payload.json');
    writeFileSync(file, JSON.stringify(body));
    // Not spawnSync: the server under test runs in this process.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(AB, ['-q', '-n', String(total), '-c', String(concurrency), '-T', 'application/json', '-p', file, url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
    const number = (label: string) => Number(new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
    if (r.status !== 0) throw new Error(`ab failed: ${r.stderr}${r.stdout}`);
    return { complete: number('Complete requests'), non2xx: number('Non-2xx responses') };
  }
  let next = 0;
  const result: LoadResult = { complete: 0, non2xx: 0 };
  const client = async () => {
    while (next++ < total) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      result.complete++;
      if (res.status < 200 || res.status > 299) result.non2xx++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return result;
}

function modelUrl(server: ServiceOrchestrator, id: string): string {
  return server.models.find((m) => m.id === id)!.url;
}

async function refused(server: ServiceOrchestrator, model: string, endpoint: string): Promise<number> {
  const text = await (await fetch(`${modelUrl(server, model)}/metrics`)).text();
  return sampleValue(text, 'citadel_llm_requests_total', { model, endpoint, status: '429' }) ?? 0;
}

describe('seed 1.5: Phi-3-Mini, ab -n 1000 -c 100', () => {
  let server: ServiceOrchestrator;
  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], simulatorArgs: [] });
  });
  afterAll(() => server?.stop());

  it('meets no refusal at -c 100, and refusals beyond it (-c 200)', async () => {
    const url = `${modelUrl(server, 'phi-3-mini')}/v1/completions`;
    const body = { prompt: 'Performance test', max_tokens: 20 };
    const atSeed = await load(url, body, 1000, 100);
    expect(atSeed).toEqual({ complete: 1000, non2xx: 0 });
    expect(await refused(server, 'phi-3-mini', 'completions')).toBe(0);

    const beyond = await load(url, body, 600, 200);
    expect(beyond.complete).toBe(600);
    expect(beyond.non2xx).toBeGreaterThan(0);
    expect(await refused(server, 'phi-3-mini', 'completions')).toBe(beyond.non2xx);
  }, 120_000);
});

describe('seed 1.4: OpenChat-3.5, ab -n 200 -c 20 and 50 concurrent users', () => {
  let server: ServiceOrchestrator;
  beforeAll(async () => {
    server = await startCitadel({ only: ['openchat-3.5'], simulatorArgs: [] });
  });
  afterAll(() => server?.stop());

  it('meets no refusal at -c 20', async () => {
    const url = `${modelUrl(server, 'openchat-3.5')}/v1/chat/completions`;
    const result = await load(url, { messages: [{ role: 'user', content: 'Performance test' }], max_tokens: 30 }, 200, 20);
    expect(result).toEqual({ complete: 200, non2xx: 0 });
  }, 60_000);

  it('streams to 50 concurrent users, and refuses the 51st while they stream', async () => {
    const url = `${modelUrl(server, 'openchat-3.5')}/v1/chat/completions`;
    const open = (i: number) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // ignore_eos (vLLM's): every stream runs its 400 tokens (a few seconds at the profile's
        // ~5 ms per token), none ends early and frees its slot before the 51st is tried.
        body: JSON.stringify({ messages: [{ role: 'user', content: `Concurrent test ${i}` }], max_tokens: 400, ignore_eos: true, stream: true }),
      });
    const streams = await Promise.all(Array.from({ length: 50 }, (_, i) => open(i)));
    expect(streams.map((s) => s.status)).toEqual(Array(50).fill(200));
    // Each of the 50 has sent its first event and is still streaming.
    const readers = streams.map((s) => s.body!.getReader());
    const firsts = await Promise.all(readers.map((r) => r.read()));
    expect(firsts.every((f) => !f.done)).toBe(true);
    const extra = await open(50);
    const refusal = await extra.text();
    expect({ status: extra.status, refusal }).toMatchObject({ status: 429 });
    const rest = await Promise.all(
      readers.map(async (r, i) => {
        let text = Buffer.from(firsts[i].value!).toString('utf8');
        for (let c = await r.read(); !c.done; c = await r.read()) text += Buffer.from(c.value).toString('utf8');
        return text;
      }),
    );
    for (const text of rest) expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  }, 60_000);
});

describe('seed 1.2 / TC-L1-COMP-MIXTRAL-003: Mixtral-8x7B, ab -c 5 and 10 concurrent', () => {
  const body = { prompt: 'Performance test', max_tokens: 20 };

  it('meets no refusal at -c 5 or at 10 concurrent with the defaults', async () => {
    const server = await startCitadel({ only: ['mixtral-8x7b'], simulatorArgs: [] });
    try {
      const url = `${modelUrl(server, 'mixtral-8x7b')}/v1/completions`;
      expect(await load(url, body, 25, 5)).toEqual({ complete: 25, non2xx: 0 });
      expect(await load(url, body, 20, 10)).toEqual({ complete: 20, non2xx: 0 });
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("with the TC's max_concurrent_requests=10: 10 at once pass, beyond them refusals", async () => {
    const server = await startCitadel({ only: ['mixtral-8x7b'], simulatorArgs: [], env: { MIXTRAL_8X7B_MAX_CONCURRENT_REQUESTS: '10' } });
    try {
      const url = `${modelUrl(server, 'mixtral-8x7b')}/v1/completions`;
      expect(await load(url, body, 20, 10)).toEqual({ complete: 20, non2xx: 0 });
      const beyond = await load(url, body, 40, 20);
      expect(beyond.non2xx).toBeGreaterThan(0);
      expect(await refused(server, 'mixtral-8x7b', 'completions')).toBe(beyond.non2xx);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
