import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { engineMetric, hangingRequests, NO_FAULTS, setFaults, waitFor } from '../support/engine-control';
import { REPO } from '../support/start-citadel';

/**
 * `citadel-llm gateway` and `citadel-llm serve <model>` as separate processes on different
 * loopback addresses standing for hosts: phi-3-mini's service on 127.0.0.2, openchat-3.5's on
 * 127.0.0.3, the gateway on 127.0.0.1, each service with its simulated engine. Covered: the
 * official SDK chats and streams through the gateway (by id, served name and alias); the client's
 * key is the gateway's and the gateway's own key is the services'; /v1/models, /health,
 * /health/ready, /health/services (with each service's own /health) and /metrics; a killed model
 * service, or one whose engine died, is answered for by its fallback (phi-3-mini → openchat-3.5), or 503 when no
 * fallback is up, and it takes traffic again once it is back; a client that leaves aborts the
 * engine's request across both hops, before the first byte and mid-stream.
 */
const HOSTS = { gateway: '127.0.0.1', phi: '127.0.0.2', openchat: '127.0.0.3' };
const CLIENT_KEY = 'client-key-for-the-gateway';
const SERVICE_KEY = 'gateway-key-for-the-model-services';

/** Whether this machine lets a process listen on `host` (Linux routes all of 127/8 to loopback; others may not). */
function canListenOn(host: string): boolean {
  const probe = `require('net').createServer().once('error', () => process.exit(1)).listen(0, ${JSON.stringify(host)}, function () { this.close(); })`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 10_000 }).status === 0;
}

const unbindable = Object.values(HOSTS).filter((h) => !canListenOn(h));
if (unbindable.length) console.warn(`gateway-process.e2e-spec: SKIPPED, this machine cannot listen on ${unbindable.join(', ')}`);
const describeOnLoopbackHosts = unbindable.length ? describe.skip : describe;

/** One `citadel-llm` process, its output kept to find the lines that say where it listens. */
class CitadelProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private readonly waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(REPO, 'dist', 'main.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        for (const w of this.waiters) {
          const m = w.pattern.exec(line);
          if (m) w.resolve(m);
        }
      });
    }
  }

  /** The first output line matching `pattern` (one already written included). */
  line(pattern: RegExp, what: string): Promise<RegExpExecArray> {
    for (const line of this.lines) {
      const m = pattern.exec(line);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ pattern, resolve });
      void this.exited.then((code) => reject(new Error(`exited (${code}) before ${what}:\n${this.lines.slice(-20).join('\n')}`)));
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

interface ModelServiceProcess {
  process: CitadelProcess;
  url: string;
  engine: string;
}

/** `citadel-llm serve <model>` on `host` (a free port, or `port`), accepting only the gateway's key. */
async function serveModel(model: 'phi-3-mini' | 'openchat-3.5', host: string, port = 0): Promise<ModelServiceProcess> {
  const prefix = model === 'phi-3-mini' ? 'PHI_3_MINI' : 'OPENCHAT_3_5';
  const process = new CitadelProcess(['serve', model, '--host', host], {
    [`${prefix}_PORT`]: String(port),
    [`${prefix}_METRICS_PORT`]: '0',
    CITADEL_API_KEYS: SERVICE_KEY,
  });
  const m = await process.line(new RegExp(`${model.replace('.', '\\.')} serves on (http://\\S+) .*engine simulated at (http://\\S+?)\\)`), `${model} serves`);
  return { process, url: m[1], engine: m[2] };
}

describeOnLoopbackHosts('citadel-llm gateway over model services on other hosts (separate processes)', () => {
  let phi: ModelServiceProcess;
  let openchat: ModelServiceProcess;
  let gateway: CitadelProcess;
  let url: string;
  let configDir: string;
  let sdk: OpenAI;

  const chat = (model: string, init: RequestInit = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8 }),
      ...init,
    });
  const getJson = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    [phi, openchat] = await Promise.all([serveModel('phi-3-mini', HOSTS.phi), serveModel('openchat-3.5', HOSTS.openchat)]);
    // The shipped config, with the services' URLs in gateway.yaml.
    configDir = mkdtempSync(join(tmpdir(), 'citadel-gateway-'));
    cpSync(join(REPO, 'config'), configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'gateway.yaml'),
      `gateway:\n  port: 0\n  host: "${HOSTS.gateway}"\n  services:\n    phi-3-mini: ["${phi.url}"]\n    openchat-3.5: "${openchat.url}"\n`,
    );
    gateway = new CitadelProcess(['gateway', 'phi-3-mini', 'openchat-3.5', '--config-dir', configDir], {
      CITADEL_API_KEYS: CLIENT_KEY,
      CITADEL_MODEL_SERVICE_KEY: SERVICE_KEY,
      PHI_3_MINI_FALLBACKS: 'openchat-3.5',
    });
    url = (await gateway.line(/the gateway serves .* on (http:\/\/\S+)/, 'the gateway serves'))[1];
    sdk = new OpenAI({ baseURL: `${url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([phi?.process.stop(), openchat?.process.stop()]);
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }, 30_000);

  it('listens where it was told: the gateway on 127.0.0.1, the services on 127.0.0.2 and 127.0.0.3', () => {
    expect(new URL(url).hostname).toBe(HOSTS.gateway);
    expect(new URL(phi.url).hostname).toBe(HOSTS.phi);
    expect(new URL(openchat.url).hostname).toBe(HOSTS.openchat);
  });

  it('chats and streams with the official SDK by id, served name and alias', async () => {
    for (const model of ['phi-3-mini', 'microsoft/Phi-3-mini-4k-instruct', 'openchat']) {
      const reply = await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
      expect(reply.object).toBe('chat.completion');
      expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    }
    const stream = await sdk.chat.completions.create({ model: 'openchat-3.5', messages: [{ role: 'user', content: 'Tell me something' }], max_tokens: 12, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('takes the client\'s key at the gateway and its own key to the services', async () => {
    expect((await chat('phi-3-mini', { headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // The client's key opens the gateway only: the services accept the gateway's.
    const direct = await fetch(`${phi.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(direct.status).toBe(401);
    expect((await chat('phi-3-mini')).status).toBe(200);
  });

  it('answers /v1/models, /health, /health/ready, /health/services (with each service\'s own /health) and /metrics', async () => {
    const models = await sdk.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['openchat-3.5', 'phi-3-mini']);
    expect(await getJson('/health')).toMatchObject({ status: 200, body: { status: 'healthy', services: { 'phi-3-mini': 'healthy', 'openchat-3.5': 'healthy' } } });
    expect(await getJson('/health/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const services = (await getJson('/health/services')).body.services as any[];
    const phiService = services.find((s) => s.model === 'phi-3-mini');
    expect(phiService.engine.upstreams).toEqual([expect.objectContaining({ url: phi.url, up: true, reported: expect.objectContaining({ status: 'healthy' }) })]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/citadel_llm_requests_total\{[^}]*model="phi-3-mini"[^}]*status="200"[^}]*\} [1-9]/);
    expect(metrics).toContain(`citadel_llm_engine_up{model="phi-3-mini",upstream="${phi.url}"} 1`);
  });

  it('aborts the engine\'s request across both hops when the client leaves before the first byte', async () => {
    await setFaults(phi.engine, { hangBeforeHeaders: true });
    try {
      const before = await hangingRequests(phi.engine);
      const client = new AbortController();
      const pending = chat('phi-3-mini', { signal: client.signal }).catch(() => undefined);
      await waitFor(async () => (await hangingRequests(phi.engine)).hanging === before.hanging + 1, 10_000, 'the request to reach the engine through both hops');
      client.abort();
      await pending;
      await waitFor(async () => {
        const now = await hangingRequests(phi.engine);
        return now.hanging === before.hanging && now.aborted === before.aborted + 1;
      }, 10_000, 'the engine to drop the request');
    } finally {
      await setFaults(phi.engine, NO_FAULTS);
    }
  });

  it('aborts the engine\'s request across both hops when the client leaves mid-stream', async () => {
    // The stream stays open and running after 2 tokens: nothing races the client's leaving.
    await setFaults(phi.engine, { stallAfterTokens: 2 });
    try {
      const client = new AbortController();
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model: 'phi-3-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 50, stream: true }),
        signal: client.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let seen = '';
      while (!seen.includes('"content"')) seen += new TextDecoder().decode((await reader.read()).value);
      expect(await engineMetric(phi.engine, 'vllm:num_requests_running')).toBe(1);
      client.abort();
      await reader.cancel().catch(() => undefined);
      await waitFor(async () => (await engineMetric(phi.engine, 'vllm:num_requests_running')) === 0, 10_000, 'the engine to drop the stream');
    } finally {
      await setFaults(phi.engine, { ...NO_FAULTS, stallAfterTokens: 0 });
    }
  });

  it('moves to the fallback when a model service\'s engine dies (the service answers 503 and its /health says so), and back when it recovers', async () => {
    await setFaults(phi.engine, { engineDead: true });
    try {
      // Each 503 makes the service and then the gateway ask /health at once (at most once a second).
      await waitFor(async () => (await chat('phi-3-mini')).headers.get('x-citadel-model') === 'openchat-3.5', 15_000, 'phi-3-mini\'s requests to reach its fallback');
      const services = (await getJson('/health/services')).body.services as any[];
      expect(services.find((s) => s.model === 'phi-3-mini').engine.upstreams[0]).toMatchObject({ up: false, circuit: 'closed', reported: { status: 'unhealthy', failed_check: 'engine' } });
    } finally {
      await setFaults(phi.engine, NO_FAULTS);
    }
    await waitFor(async () => (await chat('phi-3-mini')).headers.get('x-citadel-model') === 'phi-3-mini', 15_000, 'phi-3-mini to answer again');
  }, 40_000);

  it('answers from the fallback at once when a model service dies, 503 when no fallback is up, and routes to the services again when they are back', async () => {
    const phiPort = Number(new URL(phi.url).port);
    const openchatPort = Number(new URL(openchat.url).port);
    await phi.process.stop();
    // The first request meets the refused connection: it moves to openchat-3.5 at once.
    let res = await chat('phi-3-mini');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-citadel-model')).toBe('openchat-3.5');
    expect(((await res.json()) as { model: string }).model).toBe('openchat/openchat-3.5-0106');
    const health = await getJson('/health/services');
    expect(health.body.services.find((s: any) => s.model === 'phi-3-mini')).toMatchObject({ status: 'unhealthy', engine: { upstreams: [{ url: phi.url, up: false }] } });
    expect(await getJson('/health/ready')).toMatchObject({ status: 200, body: { status: 'ready', unhealthy: { 'phi-3-mini': 'engine' } } });

    await openchat.process.stop();
    // No fallback: README's contract for a refused connection (502 engine_unreachable), or 503
    // engine_unavailable when a probe found the service down first; both at once, never a wait.
    res = await chat('openchat-3.5');
    expect([
      { status: 502, code: 'engine_unreachable' },
      { status: 503, code: 'engine_unavailable' },
    ]).toContainEqual({ status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code });
    res = await chat('phi-3-mini');
    expect({ status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ status: 503, code: 'engine_unavailable' });
    await waitFor(async () => (await getJson('/health/ready')).status === 503, 10_000, 'the gateway to be not ready with no model up');

    // Back on the same addresses: the gateway's probes of down services (every second) find them.
    [phi, openchat] = await Promise.all([serveModel('phi-3-mini', HOSTS.phi, phiPort), serveModel('openchat-3.5', HOSTS.openchat, openchatPort)]);
    await waitFor(async () => (await getJson('/health/ready')).body.status === 'ready' && (await getJson('/health')).body.status === 'healthy', 15_000, 'the services to be seen up again');
    res = await chat('phi-3-mini');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-citadel-model')).toBe('phi-3-mini');
    expect((await chat('openchat-3.5')).status).toBe(200);
  }, 90_000);
});
