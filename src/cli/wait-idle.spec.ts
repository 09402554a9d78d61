import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { main, waitIdle } from './wait-idle';

/**
 * The preStop hook against a real /metrics listener on loopback, whose in-flight count is set by
 * the test per scrape (so no outcome depends on timing): idle at once; idle after in-flight
 * requests end (summed over models); the deadline with requests still running; metrics that
 * cannot be read (404, nothing listening); bad flags.
 */

let server: Server;
let url: string;
/** The active request gauge of each successive scrape; the last one repeats. */
let script: number[][] = [];
let scrapes = 0;
let status = 200;

function exposition(actives: number[]): string {
  const lines = ['# HELP citadel_llm_active_requests Requests in progress (admitted, not yet answered).', '# TYPE citadel_llm_active_requests gauge'];
  actives.forEach((n, i) => lines.push(`citadel_llm_active_requests{model="m${i}"} ${n}`));
  lines.push('# TYPE citadel_llm_requests_total counter', 'citadel_llm_requests_total{model="m0",endpoint="chat",status="200"} 7');
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    const actives = script[Math.min(scrapes, script.length - 1)];
    scrapes++;
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(actives));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  scrapes = 0;
  status = 200;
});

const quiet = { settleSeconds: 0, pollMs: 5, log: () => undefined };

describe('wait-idle (the preStop hook)', () => {
  it('returns at once when nothing is in flight', async () => {
    script = [[0, 0]];
    await expect(waitIdle({ ...quiet, metricsUrl: url, deadlineSeconds: 60 })).resolves.toBe('idle');
    expect(scrapes).toBe(1);
  });

  it('waits while any model has a request in flight, and returns when the sum is 0', async () => {
    script = [[2, 1], [1, 1], [0, 1], [0, 0]];
    await expect(waitIdle({ ...quiet, metricsUrl: url, deadlineSeconds: 60 })).resolves.toBe('idle');
    expect(scrapes).toBe(4);
  });

  it('returns at the deadline with requests still in flight, and says so', async () => {
    script = [[1]];
    const lines: string[] = [];
    await expect(waitIdle({ ...quiet, log: (l) => lines.push(l), metricsUrl: url, deadlineSeconds: 0.05 })).resolves.toBe('deadline');
    expect(lines).toEqual(['wait-idle: 1 request(s) still in flight at the deadline']);
  });

  it('does not wait when the metrics cannot be read (an error status)', async () => {
    script = [[3]];
    status = 404;
    await expect(waitIdle({ ...quiet, metricsUrl: url, deadlineSeconds: 60 })).resolves.toBe('no-metrics');
  });

  it('does not wait when the metrics cannot be read (nothing listening)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(waitIdle({ ...quiet, metricsUrl: `http://127.0.0.1:${port}/metrics`, deadlineSeconds: 60 })).resolves.toBe('no-metrics');
  });

  it('refuses a missing --metrics and bad seconds with exit code 2', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(main([])).resolves.toBe(2);
      await expect(main(['--metrics', url, '--deadline', 'soon'])).resolves.toBe(2);
      await expect(main(['--metrics', url, '--settle=-1'])).resolves.toBe(2);
      expect(write.mock.calls.map((c) => String(c[0]))).toEqual([
        'wait-idle: --metrics <url> is required\n',
        "wait-idle: --deadline: expected seconds >= 0, got 'soon'\n",
        "wait-idle: --settle: expected seconds >= 0, got '-1'\n",
      ]);
    } finally {
      write.mockRestore();
    }
  });

  it('runs from its flags', async () => {
    script = [[1], [0]];
    await expect(main(['--metrics', url, '--settle', '0', '--deadline', '60'])).resolves.toBe(0);
    expect(scrapes).toBe(2);
  });
});
