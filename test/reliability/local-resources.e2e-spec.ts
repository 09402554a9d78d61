import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { waitFor } from '../support/engine-control';
import { sampleValue, scrape } from '../monitoring/prom-text';
import { startCitadel } from '../support/start-citadel';

const PRLIMIT = spawnSync('prlimit', ['--version']).status === 0;

/** Sets this process's soft limit on descriptors (the hard one stays), with util-linux's prlimit. */
function setSoftNofile(soft: number | 'hard'): void {
  const hard = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--noheadings', '--output', 'HARD']).stdout.toString().trim();
  const value = soft === 'hard' ? hard : String(soft);
  const res = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${value}:${hard}`]);
  if (res.status !== 0) throw new Error(`prlimit failed: ${res.stderr.toString()}`);
}

/** One raw HTTP/1.1 exchange on a socket that is already connected (so it needs no new descriptor). */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head >= 0 && length !== undefined && Buffer.byteLength(text.slice(head + 4)) >= Number(length)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(request);
  });
}

/**
 * The process runs out of file descriptors (a flood of idle client connections does that): a
 * call to an engine fails with a real EMFILE from connect(2). The client gets 503
 * `server_overloaded`, the engine keeps its good name: replica up, circuit closed, no failure
 * counted, not in citadel_llm_upstream_errors_total, /health healthy; the error is counted in
 * citadel_llm_local_resource_errors_total. The limit is lowered on this test process itself
 * with `prlimit --pid` (the gateway runs in it), then restored.
 */
(PRLIMIT ? describe : describe.skip)('out of file descriptors (prlimit)', () => {
  let sim: RunningSimulator;
  let server: ServiceOrchestrator;
  let port: number;

  beforeAll(async () => {
    sim = await startSimulator({ models: [{ id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE }], instant: true }, { port: 0, host: '127.0.0.1' });
    server = await startCitadel({
      only: ['phi-3-mini'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: sim.url, PHI_3_MINI_EFFICIENCY_MODE: 'false', PHI_3_MINI_HEALTH_CHECK_INTERVAL: '3600' },
    });
    port = Number(new URL(server.models[0].url).port);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await sim?.close();
  });

  it('answers 503 server_overloaded and does not blame the engine', async () => {
    const body = JSON.stringify({ prompt: 'hello', max_tokens: 2 });
    const request = `POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    // The client's connection is made while descriptors are still free.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // The client-connection budget, as Prometheus sees it: the cap and the connections held.
    const before = await scrape(server.models[0].url);
    expect(sampleValue(before, 'citadel_llm_client_connections_limit')).toBe(server.connections.limit);
    expect(sampleValue(before, 'citadel_llm_client_connections')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(before, 'citadel_llm_client_connections_refused_total')).toBe(server.connections.refused);
    // The startup probe's keep-alive socket to the engine must be gone, so the call needs a new one.
    await waitFor(() => openEngineSockets() === 0, 10_000, 'idle engine sockets to close');

    const fillers: number[] = [];
    let answer: string;
    try {
      setSoftNofile(readdirSync('/proc/self/fd').length + 16);
      for (;;) {
        try {
          fillers.push(openSync('/dev/null', 'r'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EMFILE') break;
          throw error;
        }
      }
      answer = await exchange(socket, request);
    } finally {
      for (const fd of fillers) closeSync(fd);
      setSoftNofile('hard');
    }
    socket.destroy();

    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    const error = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error;
    expect(error).toMatchObject({ type: 'service_unavailable', code: 'server_overloaded' });
    expect(error.message).toContain('EMFILE');
    expect(answer).toMatch(/retry-after: 1/i);

    expect(server.models[0].service.engine.upstreams()[0]).toMatchObject({ up: true, circuit: 'closed', failures: 0 });
    const metrics = await scrape(server.models[0].url);
    expect(sampleValue(metrics, 'citadel_llm_local_resource_errors_total', { model: 'phi-3-mini', code: 'EMFILE' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'citadel_llm_upstream_errors_total', { model: 'phi-3-mini' })).toBeUndefined();
    const health = await fetch(`${server.models[0].url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('healthy');
    const again = await fetch(`${server.models[0].url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(again.status).toBe(200);
  }, 30_000);

  /** Established TCP connections from this process to the engine's port (from /proc/net/tcp). */
  function openEngineSockets(): number {
    const hexPort = sim.port.toString(16).toUpperCase().padStart(4, '0');
    const mine = new Set(readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const link = readlinkSync(`/proc/self/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        return m ? [m[1]] : [];
      } catch {
        return [];
      }
    }));
    const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
    return lines.filter((l) => {
      const f = l.trim().split(/\s+/);
      // remote address is field 2 (ip:port), state 01 = ESTABLISHED, inode is field 9.
      return f.length > 9 && f[2].endsWith(`:${hexPort}`) && f[3] === '01' && mine.has(f[9]);
    }).length;
  }
});
