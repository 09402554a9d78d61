import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

// 30 s inside `npm test`; `npm run soak` runs it for 10 minutes (SOAK_SECONDS=600).
const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const RPS = 25;
const USERS = 50;
const MODELS = ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The seed's "normal" load through the gateway: nothing lost, memory steady. */
describe(`soak: ${RPS} requests/s, at most ${USERS} users, ${SECONDS} s`, () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    // Simulated engines at 4x H100 speed: requests overlap as they would, in a shorter run.
    server = await startCitadel({ simulatorArgs: ['--speed', '4'], env: { PHI_3_MINI_EFFICIENCY_MODE: 'false' } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('answers every request completely and keeps memory steady', async () => {
    const url = server.gatewayUrl!;
    let sent = 0;
    let complete = 0;
    let active = 0;
    let deferred = 0;
    const failures: string[] = [];

    const one = async (i: number) => {
      const stream = i % 2 === 0;
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODELS[i % MODELS.length], messages: [{ role: 'user', content: `soak request ${i}` }], max_tokens: 24, stream }),
      });
      if (res.status !== 200) return failures.push(`${i}: status ${res.status} ${await res.text()}`);
      if (stream) {
        const events = await readSse(res);
        if (events[events.length - 1] !== '[DONE]' || events.some((e) => e.includes('"error"'))) return failures.push(`${i}: incomplete stream`);
      } else {
        const json = (await res.json()) as { choices?: { finish_reason?: string }[] };
        if (!json.choices?.[0]?.finish_reason) return failures.push(`${i}: no finish_reason`);
      }
      complete++;
    };

    const warmup = Array.from({ length: 40 }, (_, i) => one(i));
    await Promise.all(warmup);
    complete = 0;
    const heapBefore = heapAfterGc();

    const running: Promise<unknown>[] = [];
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (Date.now() - started >= SECONDS * 1000) {
          clearInterval(timer);
          resolve();
          return;
        }
        for (let k = 0; k < RPS / 10; k++) {
          // At most USERS requests open at once, as USERS users would keep.
          if (active >= USERS) {
            deferred++;
            continue;
          }
          const i = sent++;
          active++;
          running.push(one(i).finally(() => active--));
        }
      }, 100);
    });
    await Promise.all(running);
    const heapAfter = heapAfterGc();

    expect(failures).toEqual([]);
    expect(complete).toBe(sent);
    expect(sent).toBeGreaterThan(RPS * SECONDS * 0.8);
    expect(deferred).toBe(0);
    // Steady memory: what a leak of a few KB per request would show after thousands of them.
    expect(heapAfter - heapBefore).toBeLessThan(32 * 1024 * 1024);
    for (const m of server.models) expect(m.service.engine.activity().inFlight).toBe(0);
  }, (SECONDS + 60) * 1000);
});
