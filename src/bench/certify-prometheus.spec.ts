import { MetricsTotals } from './certify-monitoring';
import { compareWithPrometheus, PrometheusMark } from './certify-prometheus';

const totals = (requests: number, completionTokens: number, latencySumSeconds: number): MetricsTotals => ({ families: 'citadel', requests, completionTokens, latencySumSeconds, latencyCount: requests });
const mark = (targets: Record<string, MetricsTotals>, stale: string[] = []): PrometheusMark => ({ families: 'citadel', at: 0, targets: new Map(Object.entries(targets)), stale });
const MEASURED = { requests: 10, succeeded: 10, completionTokens: 100, meanLatencyMs: 60 };
const A = 'job="citadel-llm", instance="a:1"';
const B = 'job="citadel-llm", instance="b:1"';

describe('certify --monitoring-url: what Prometheus counted between the marks', () => {
  it('one process scraped on two ports: the first target holding every request is the one checked (not their double sum)', () => {
    const check = compareWithPrometheus('http://p', mark({ [A]: totals(5, 50, 0.25), [B]: totals(5, 50, 0.25) }), mark({ [A]: totals(15, 150, 0.75), [B]: totals(15, 150, 0.75) }), MEASURED);
    expect(check).toMatchObject({ source: `http://p (${A})`, requests: { sent: 10, reported: 10 }, completion_tokens: { reported: 100 }, mismatches: [], notes: [] });
    expect(check.mean_latency_ms.server).toBeCloseTo(50, 9);
  });

  it('replicas that each counted a share: the sum over the targets', () => {
    const check = compareWithPrometheus('http://p', mark({ [A]: totals(0, 0, 0), [B]: totals(0, 0, 0) }), mark({ [A]: totals(6, 60, 0.3), [B]: totals(4, 40, 0.2) }), MEASURED);
    expect(check.source).toBe(`http://p (the sum of 2 targets: ${A}; ${B})`);
    expect(check).toMatchObject({ requests: { reported: 10 }, completion_tokens: { reported: 100 }, mismatches: [] });
  });

  it('fewer requests or tokens than certify measured, or a slower server mean, is a mismatch', () => {
    const check = compareWithPrometheus('http://p', mark({ [A]: totals(0, 0, 0) }), mark({ [A]: totals(7, 70, 0.7) }), MEASURED);
    expect(check.mismatches).toEqual(['requests: 7 counted, 10 sent', "completion tokens: 70 counted, 100 in the answers' usage", "latency: the server's mean 100.0 ms exceeds the client's 60.0 ms"]);
  });

  it('a target first scraped during the run counts from 0, and one not scraped after it is named (both as notes)', () => {
    const check = compareWithPrometheus('http://p', mark({}), mark({ [A]: totals(10, 100, 0.5) }, [B]), MEASURED);
    expect(check.mismatches).toEqual([]);
    expect(check.notes).toEqual([`no scrape before the run of ${A}: counted from 0`, `not scraped after the run within the wait: ${B}`]);
  });

  it('no mark (Prometheus unreachable or without the model) is a mismatch with the reason', () => {
    const check = compareWithPrometheus('http://p', undefined, undefined, MEASURED, 'connect ECONNREFUSED 127.0.0.1:9');
    expect(check.mismatches).toEqual(['performance metrics not reported: connect ECONNREFUSED 127.0.0.1:9']);
  });
});
