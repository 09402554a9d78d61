import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { resetEngine, setFaults, waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';
import { sampleValue } from './prom-text';

const json = { 'content-type': 'application/json' };

type Histogram = { count: number; sum: number; p50: number | null; p95: number | null; buckets: Array<{ le: number | '+Inf'; count: number }> };
type Streaming = {
  model: string;
  active_streams: number;
  streams: { started: number; completed: number; client_aborted: number; upstream_failed: number; idle_timeout: number };
  time_to_first_token_seconds: Histogram;
  inter_chunk_gap_seconds: Histogram;
  chunks_relayed: number;
  bytes_relayed: number;
  concurrent_users: number;
  cap_rejections: number;
};

/** OpenChat streaming at 4x its configured speed (streams last long enough to watch), its cap lowered to 2. */
describe("OpenChat's /metrics/streaming (seed 1.4)", () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['openchat-3.5', 'phi-3-mini'], simulatorArgs: ['--speed', '4'], env: { OPENCHAT_3_5_CONCURRENT_USERS: '2' } });
    url = server.models.find((m) => m.id === 'openchat-3.5')!.url;
    engine = server.models.find((m) => m.id === 'openchat-3.5')!.engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => resetEngine(engine));

  const stats = async () => (await (await fetch(`${url}/metrics/streaming`, { headers: { accept: 'application/json' } })).json()) as Streaming;
  const stream = (extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
    fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ messages: [{ role: 'user', content: 'Streaming test' }], max_tokens: 20, stream: true, ...extra }), signal });

  it('counts a completed stream: its chunks, its bytes, its time to first token and the gaps between chunks', async () => {
    const before = await stats();
    const res = await stream({ stream_options: { include_usage: true } });
    const body = Buffer.from(await res.arrayBuffer());
    const events = body.toString('utf8').split('\n\n').filter((e) => e.startsWith('data: '));
    const after = await stats();
    expect(after.streams.started - before.streams.started).toBe(1);
    expect(after.streams.completed - before.streams.completed).toBe(1);
    expect(after.chunks_relayed - before.chunks_relayed).toBe(events.length);
    expect(after.bytes_relayed - before.bytes_relayed).toBe(body.length);
    expect(after.time_to_first_token_seconds.count - before.time_to_first_token_seconds.count).toBe(1);
    expect(after.time_to_first_token_seconds.p50).toBeGreaterThan(0);
    // One gap per write after the first; merged writes (queued events) make fewer.
    const gaps = after.inter_chunk_gap_seconds.count - before.inter_chunk_gap_seconds.count;
    expect(gaps).toBeGreaterThan(0);
    expect(gaps).toBeLessThan(events.length);
    // Buckets in le order, the last one +Inf holding every observation.
    const les = after.inter_chunk_gap_seconds.buckets.map((b) => b.le);
    expect(les.at(-1)).toBe('+Inf');
    expect(les.slice(0, -1)).toEqual([...les.slice(0, -1)].sort((a, b) => Number(a) - Number(b)));
    expect(after.inter_chunk_gap_seconds.buckets.at(-1)!.count).toBe(after.inter_chunk_gap_seconds.count);
    expect(after.active_streams).toBe(0);
  });

  const answered = async (status: string) =>
    sampleValue(await (await fetch(`${server.models.find((m) => m.id === 'openchat-3.5')!.metricsUrl}/metrics`)).text(), 'citadel_llm_requests_total', { model: 'openchat-3.5', endpoint: 'chat_completions', status }) ?? 0;

  it('shows the streams in progress, the cap (concurrent_users) and its rejections, and a client that left (counted in requests_total as 499, as the access log writes it, not as the 200 its headers said)', async () => {
    const before = await stats();
    const before499 = await answered('499');
    const before200 = await answered('200');
    const clients = [new AbortController(), new AbortController()];
    const open = await Promise.all(clients.map((c) => stream({ max_tokens: 2000, ignore_eos: true }, c.signal)));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const refused = await stream();
    expect(refused.status).toBe(429);
    await refused.text();
    const during = await stats();
    expect(during).toMatchObject({ model: 'openchat-3.5', active_streams: 2, concurrent_users: 2 });
    expect(during.cap_rejections - before.cap_rejections).toBe(1);

    clients.forEach((c) => c.abort());
    await Promise.all(open.map((r) => r.body?.cancel().catch(() => undefined)));
    await waitFor(async () => (await stats()).active_streams === 0, 5_000, 'the streams to end');
    const after = await stats();
    expect(after.streams.client_aborted - before.streams.client_aborted).toBe(2);
    expect((await answered('499')) - before499).toBe(2);
    expect(await answered('200')).toBe(before200);
  });

  it('counts a stream the engine broke as failed upstream', async () => {
    const before = await stats();
    await setFaults(engine, { dieAfterTokens: 3 });
    const res = await stream();
    expect(await res.text()).toMatch(/closed the stream/);
    const after = await stats();
    expect(after.streams.upstream_failed - before.streams.upstream_failed).toBe(1);
  });

  it('answers Prometheus text by default, with the streaming families only', async () => {
    const res = await fetch(`${url}/metrics/streaming`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const s = await stats();
    const m = { model: 'openchat-3.5' };
    expect(sampleValue(text, 'citadel_llm_streams_active', m)).toBe(s.active_streams);
    expect(sampleValue(text, 'citadel_llm_streams_started_total', m)).toBe(s.streams.started);
    expect(sampleValue(text, 'citadel_llm_streams_ended_total', { ...m, outcome: 'client_aborted' })).toBe(s.streams.client_aborted);
    expect(sampleValue(text, 'citadel_llm_stream_chunks_total', m)).toBe(s.chunks_relayed);
    expect(sampleValue(text, 'citadel_llm_stream_bytes_total', m)).toBe(s.bytes_relayed);
    expect(sampleValue(text, 'citadel_llm_stream_cap', m)).toBe(2);
    expect(sampleValue(text, 'citadel_llm_throttled_total', { ...m, rule: 'stream_cap', reason: 'concurrent_streams' })).toBe(s.cap_rejections);
    expect(sampleValue(text, 'citadel_llm_time_to_first_token_seconds_count', m)).toBe(s.time_to_first_token_seconds.count);
    expect(sampleValue(text, 'citadel_llm_inter_token_latency_seconds_count', m)).toBe(s.inter_chunk_gap_seconds.count);
    expect(text).not.toMatch(/^citadel_llm_requests_total/m);
    expect(text).not.toContain('phi-3-mini');
  });

  it('is on the models that stream in real time; /efficiency on the ones with an efficiency section', async () => {
    const phi = server.models.find((m) => m.id === 'phi-3-mini')!.url;
    expect((await fetch(`${phi}/metrics/streaming`)).status).toBe(404);
    expect((await fetch(`${url}/efficiency`)).status).toBe(404);
    expect((await fetch(`${phi}/efficiency`)).status).toBe(200);
  });
});
