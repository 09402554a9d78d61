import { luaLongString, parseWrkOutput, wrkScript } from './wrk-runner';

const TARGET = { origin: 'http://127.0.0.1:1', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: '{"a":"]]"}', timeoutMs: 5000 };

describe('wrk runner', () => {
  it('quotes any text as a Lua long string', () => {
    expect(luaLongString('abc')).toBe('[[abc]]');
    expect(luaLongString('x]]y')).toBe('[=[x]]y]=]');
    expect(luaLongString('x]]y]=]z')).toBe('[==[x]]y]=]z]==]');
  });

  it('writes a script that POSTs the body with its headers and reports JSON', () => {
    const script = wrkScript(TARGET);
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.body = [=[{"a":"]]"}]=]');
    // A space after "[": "[[" would open a long string instead of indexing.
    expect(script).toContain('wrk.headers[ [[content-type]] ] = [[application/json]]');
    expect(script).toContain('done = function(summary, latency, requests)');
  });

  it('reads the result line: counts, errors, latency quantiles in ms', () => {
    const quantiles = Array.from({ length: 1001 }, (_, i) => 100 + i);
    const out = [
      'Running 1s test @ http://127.0.0.1:1/',
      `BENCH_JSON {"requests":1000,"duration_us":2000000,"bytes":5,"cpu_seconds":0.42,"errors":{"connect":1,"read":2,"write":0,"status":10,"timeout":3},"latency_us":[${quantiles.join(',')}]}`,
      '',
    ].join('\n');
    const r = parseWrkOutput(out);
    expect(r).toMatchObject({ kind: 'closed', generator: 'wrk', count: 1000, ok: 990, errors: 16, elapsedMs: 2000, generatorCpuSeconds: 0.42 });
    expect(r.statuses).toEqual({ '2xx': 990, 'non-2xx': 10, error: 6 });
    expect(r.latenciesMs).toHaveLength(1001);
    expect(r.latenciesMs[0]).toBe(0.1);
    expect(r.latenciesMs[1000]).toBe(1.1);
  });

  it('fails clearly when the script printed nothing', () => {
    expect(() => parseWrkOutput('Requests/sec: 1\n')).toThrow(/no result line/);
  });
});
