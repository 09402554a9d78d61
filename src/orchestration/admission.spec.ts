import { join } from 'node:path';
import { ApiError } from '../common/api-error';
import { loadCitadelConfig } from '../config/config-loader';
import { ModelServiceConfig } from '../config/model-config';
import { ModelMetrics } from '../monitoring/model-metrics';
import { EfficiencyManager } from '../services/optimization/efficiency-manager';
import { ModelAdmission } from './admission';
import { buildAdmission } from './admission-factory';
import { ConcurrencyCap } from './concurrency-cap';
import { EfficiencyOrchestrator } from './efficiency-orchestrator';
import { InteractiveOrchestrator } from './interactive-orchestrator';

const REPO = join(__dirname, '..', '..');

function config(id: 'openchat-3.5' | 'phi-3-mini'): ModelServiceConfig {
  return loadCitadelConfig({ cwd: REPO, configDir: join(REPO, 'config'), env: {}, only: [id] }).model(id)!;
}

/** Phi-3's throttle on, with one slot (max_num_seqs 1), no rate limit to speak of, and a queue of `queue_size`. */
function throttled(queueSize: number, queueTimeoutMs: number): { admission: ModelAdmission; manager: EfficiencyManager } {
  const phi = config('phi-3-mini');
  Object.assign(phi.efficiency!, { efficiency_mode: true, max_throughput_rps: 10_000, burst: 10_000, queue_size: queueSize, queue_timeout_ms: queueTimeoutMs });
  phi.model.max_num_seqs = 1;
  const manager = new EfficiencyManager(phi, new ModelMetrics('phi-3-mini'));
  return { admission: new ModelAdmission([new EfficiencyOrchestrator(manager)]), manager };
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as ApiError);

describe('ModelAdmission', () => {
  it('gives back what earlier rules granted when a later rule refuses (load shedding, then the stream cap)', async () => {
    const cap = new ConcurrencyCap(() => 10);
    const realtime = config('openchat-3.5').realtime!;
    realtime.concurrent_users = 1;
    const streams = new InteractiveOrchestrator(realtime);
    const admission = new ModelAdmission([cap, streams]);
    const first = await admission.admit({ stream: true });
    expect(cap.inProgress).toBe(1);
    const refused = await rejection(admission.admit({ stream: true }));
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } });
    // The cap's slot taken for the refused request is back.
    expect(cap.inProgress).toBe(1);
    first();
    first(); // a second call changes nothing
    expect(cap.inProgress).toBe(0);
    expect(streams.activeStreams).toBe(0);
  });

  it('refuses past max_concurrent_requests at once with 429 and Retry-After', async () => {
    const cap = new ConcurrencyCap(() => 1);
    const admission = new ModelAdmission([cap]);
    await admission.admit({ stream: false });
    expect(await rejection(admission.admit({ stream: false }))).toMatchObject({ status: 429, message: expect.stringMatching(/maximum of 1 requests/) });
    expect(cap.shed).toBe(1);
  });

  it('refuses a queued request whose wait passed queue_timeout_ms with 429', async () => {
    const { admission, manager } = throttled(4, 30);
    const held = await admission.admit({ stream: false });
    const waiting = rejection(admission.admit({ stream: false }));
    expect(manager.queueDepth).toBe(1);
    expect(await waiting).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(manager.queueDepth).toBe(0);
    held();
  });

  it('takes a queued request out of the queue when its signal aborts (the client left): 499, and the next one gets the slot', async () => {
    const { admission, manager } = throttled(4, 10_000);
    const held = await admission.admit({ stream: false });
    const client = new AbortController();
    const leaving = rejection(admission.admit({ stream: false }, client.signal));
    const staying = admission.admit({ stream: false }, new AbortController().signal);
    expect(manager.queueDepth).toBe(2);
    client.abort();
    expect(await leaving).toMatchObject({ status: 499, code: 'cancelled' });
    expect(manager.queueDepth).toBe(1);
    held();
    const next = await staying;
    expect(manager.queueDepth).toBe(0);
    next();
  });

  it('does not queue a request whose signal already aborted', async () => {
    const { admission, manager } = throttled(4, 10_000);
    const held = await admission.admit({ stream: false });
    expect(await rejection(admission.admit({ stream: false }, AbortSignal.abort()))).toMatchObject({ status: 499 });
    expect(manager.queueDepth).toBe(0);
    held();
  });

  it('refuses everything still queued when it is closed (the server stops): admission, not monitoring, empties its queue', async () => {
    const { admission: queued, manager } = throttled(4, 10_000);
    const held = await queued.admit({ stream: false });
    const waiting = rejection(queued.admit({ stream: false }));
    queued.close();
    expect(await waiting).toMatchObject({ status: 429 });
    expect(manager.queueDepth).toBe(0);
    held();
  });

  it('is built from the config sections: the cap always, the stream cap with realtime, the throttle with efficiency', () => {
    const names = (a: ModelAdmission) => a.rules.map((r) => r.constructor.name);
    expect(names(buildAdmission(config('openchat-3.5')))).toEqual(['ConcurrencyCap', 'InteractiveOrchestrator']);
    expect(names(buildAdmission(config('phi-3-mini')))).toEqual(['ConcurrencyCap', 'EfficiencyOrchestrator']);
  });
});
