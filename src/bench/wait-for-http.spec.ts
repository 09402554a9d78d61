import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForHttp } from './wait-for-http';

describe('waitForHttp', () => {
  let server: Server;
  let url: string;
  let status = 503;
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('resolves once the URL answers 200, not before', async () => {
    status = 503;
    let done = false;
    const waiting = waitForHttp(url, 5_000).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    status = 200;
    await waiting;
    expect(done).toBe(true);
  });

  it('fails after the timeout, and at once when the process is gone', async () => {
    status = 503;
    await expect(waitForHttp(url, 300)).rejects.toThrow(/did not answer 200 within 300 ms/);
    await expect(waitForHttp(url, 5_000, () => false)).rejects.toThrow(/exited/);
  });
});
