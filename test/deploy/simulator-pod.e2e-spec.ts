import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import getPort from 'get-port';
import { parseAllDocuments } from 'yaml';
import { envPrefix } from '../../src/config/model-ids';
import { waitFor } from '../support/engine-control';
import { REPO } from '../service-manager/helpers';

/**
 * One model pod of deploy/kubernetes/overlays/simulator, run here as kubelet would run it, with
 * the rendered manifest's own commands, arguments, environment, files and probes: the simulator
 * sidecar (`citadel-llm sim`), `citadel-llm serve phi-3-mini` in front of it, the ConfigMap and
 * the Secret as files at their mount paths (under a temporary folder), the probes' paths and
 * exec commands, and the preStop hook. Ports are the only change: the pod's fixed ports (8000,
 * 11403, 11404) become free loopback ports. Needs kubectl and the build (dist/); skipped without.
 * Then the gateway pod in front of it, the same way, its gateway.yaml's Service URLs moved to
 * loopback (only phi-3-mini's service runs; the others' URLs lead nowhere).
 */

type Obj = Record<string, any>;

const MODEL = 'phi-3-mini';
const PREFIX = envPrefix(MODEL);
const BIN = join(REPO, 'bin', 'citadel-llm');
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const built = existsSync(join(REPO, 'dist', 'main.js')) && existsSync(join(REPO, 'dist', 'cli', 'wait-idle.js'));
/** `citadel-llm gateway` (the gateway on its own) is in this build. */
const haveGateway = built && spawnSync(BIN, ['gateway', '--help'], { encoding: 'utf8' }).status === 0;
if (kubectl && built && !haveGateway) process.stderr.write('test/deploy/simulator-pod.e2e-spec.ts: the gateway pod is skipped (no `citadel-llm gateway` in this build)\n');
if (!kubectl || !built) {
  process.stderr.write(`test/deploy/simulator-pod.e2e-spec.ts: skipped (${!kubectl ? 'kubectl is not on PATH' : 'run npm run build first'})\n`);
}

function render(): Obj[] {
  const run = spawnSync('kubectl', ['kustomize', join(REPO, 'deploy', 'kubernetes', 'overlays', 'simulator')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(run.stderr);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Obj);
}

/** Writes a pod volume's files (ConfigMap, projected ConfigMaps, Secret) into `dir`, as kubelet mounts them. */
function materialise(volume: Obj, objects: Obj[], dir: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const fromConfigMap = (source: Obj) => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === source.name)!;
    const items: Obj[] = source.items ?? Object.keys(configMap.data).map((key) => ({ key, path: key }));
    for (const item of items) write(item.path, configMap.data[item.key]);
  };
  if (volume.configMap) fromConfigMap(volume.configMap);
  else if (volume.projected) for (const source of volume.projected.sources) fromConfigMap(source.configMap);
  else if (volume.secret) {
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === volume.secret.secretName)!;
    for (const [key, value] of Object.entries(secret.data as Record<string, string>)) write(key, Buffer.from(value, 'base64').toString());
  } else mkdirSync(dir, { recursive: true });
}

(kubectl && built ? describe : describe.skip)(`the ${MODEL} pod of the simulator overlay, run locally`, () => {
  const root = mkdtempSync(join(tmpdir(), 'citadel-pod-'));
  const children: ChildProcess[] = [];
  let pod: Obj;
  let objects: Obj[];
  let clientKey: string;
  let ports: { engine: number; http: number; metrics: number };
  /** A container's environment and arguments with its mount paths moved under `root` and the pod's ports remapped. */
  let local: (container: Obj, extraEnv?: Record<string, string>) => { args: string[]; env: Record<string, string> };
  const remap = (text: string) =>
    text
      .replace('http://127.0.0.1:8000', `http://127.0.0.1:${ports.engine}`)
      .replace('http://127.0.0.1:11404', `http://127.0.0.1:${ports.metrics}`);

  const start = (container: Obj, extraEnv: Record<string, string> = {}): ChildProcess => {
    const { args, env } = local(container, extraEnv);
    // The image's ENTRYPOINT is `citadel-llm` (the Dockerfile), so a container's args follow it.
    const child = spawn(BIN, args, { env: { PATH: process.env.PATH ?? '', HOME: root, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    return child;
  };
  const exec = (command: string[]) => spawnSync(command[0] === 'node' ? process.execPath : command[0], command.slice(1).map(remap), { encoding: 'utf8', timeout: 30_000 });

  beforeAll(async () => {
    objects = render();
    const secret = objects.find((o) => o.kind === 'Secret')!;
    clientKey = Buffer.from(secret.data['api-keys'], 'base64').toString().split('\n')[0];
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === MODEL)!;
    pod = deployment.spec.template;
    for (const volume of pod.spec.volumes) materialise(volume, objects, join(root, 'volumes', volume.name));
    ports = { engine: await getPort({ host: '127.0.0.1' }), http: await getPort({ host: '127.0.0.1' }), metrics: await getPort({ host: '127.0.0.1' }) };
    local = (container, extraEnv = {}) => {
      const mounts = (container.volumeMounts ?? []) as Obj[];
      const moved = (value: string) => {
        const mount = mounts.find((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
        return mount ? join(root, 'volumes', mount.name) + value.slice(mount.mountPath.length) : value;
      };
      const env: Record<string, string> = {};
      for (const e of (container.env ?? []) as Obj[]) {
        if ('value' in e) env[e.name] = remap(moved(e.value));
        else {
          // The downward API: metadata.labels['<key>'] of the pod.
          const key = /^metadata\.labels\['(.+)'\]$/.exec(e.valueFrom.fieldRef.fieldPath)![1];
          env[e.name] = pod.metadata.labels[key];
        }
      }
      Object.assign(env, extraEnv);
      // Kubernetes expands $(VAR) in args from the container's environment.
      const args = (container.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (_, name: string) => env[name]));
      return { args, env };
    };
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('starts the sidecar, passes its exec probe, then serves through `serve` with the Secret\'s key, and the preStop hook finds it idle', async () => {
    const [sim] = pod.spec.initContainers;
    const serve = pod.spec.containers[0];
    const simArgs = local(sim).args;
    expect(simArgs).toEqual(['sim', '--model', MODEL, '--port', '8000']);
    // The simulator's port is the pod's 8000: here a free one.
    start({ ...sim, args: simArgs.map((a, i) => (simArgs[i - 1] === '--port' ? String(ports.engine) : a)) });
    await waitFor(() => exec(sim.startupProbe.exec.command).status === 0, 30_000, 'the simulator startup probe');
    expect(exec(sim.livenessProbe.exec.command).status).toBe(0);

    start(serve, { [`${PREFIX}_PORT`]: String(ports.http), [`${PREFIX}_METRICS_PORT`]: String(ports.metrics), [`${PREFIX}_HOST`]: '127.0.0.1' });
    const probe = async (path: string) => (await fetch(`http://127.0.0.1:${ports.http}${path}`).catch(() => undefined))?.status;
    await waitFor(async () => (await probe(serve.startupProbe.httpGet.path)) === 200, 30_000, 'serve startup probe');
    await waitFor(async () => (await probe(serve.readinessProbe.httpGet.path)) === 200, 30_000, 'serve readiness probe');
    expect(await probe(serve.livenessProbe.httpGet.path)).toBe(200);

    const key = clientKey;
    const chat = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${ports.http}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'microsoft/Phi-3-mini-4k-instruct', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5 }),
      });
    expect((await chat({})).status).toBe(401);
    const answer = await chat({ authorization: `Bearer ${key}` });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as Obj).choices[0].message.content.length).toBeGreaterThan(0);

    // The preStop hook as the manifest gives it, without its 5 s settle: nothing is in flight,
    // so it returns at once and says nothing (it would say so if it could not read /metrics).
    const preStop = (serve.lifecycle.preStop.exec.command as string[]).map((a, i, all) => (all[i - 1] === '--settle' ? '0' : a));
    const hook = exec(preStop.map((a) => a.replace('/app/', `${REPO}/`)));
    expect([hook.status, hook.stdout, hook.stderr]).toEqual([0, '', '']);
  }, 90_000);

  (haveGateway ? it : it.skip)('the gateway pod serves that model through its Service URL, presenting the Secret\'s model-service-key, and exposes the gauge its preStop hook reads', async () => {
    const gatewayPod = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'citadel-llm-gateway')!.spec.template;
    const dir = join(root, 'gateway');
    for (const volume of gatewayPod.spec.volumes) materialise(volume, objects, join(dir, 'volumes', volume.name));
    // The Services' URLs, on loopback: phi-3-mini's to its running service, the others to a closed port.
    const closed = await getPort({ host: '127.0.0.1' });
    const gatewayYaml = join(dir, 'volumes', 'config', 'gateway.yaml');
    const text = readFileSync(gatewayYaml, 'utf8');
    expect(text).toContain('"http://phi-3-mini:11403"');
    writeFileSync(gatewayYaml, text.replace(/http:\/\/([a-z0-9-]+):\d+/g, (_, host: string) => `http://127.0.0.1:${host === 'phi-3-mini' ? ports.http : closed}`));
    const port = await getPort({ host: '127.0.0.1' });
    const gateway = gatewayPod.spec.containers[0];
    const mounts = (gateway.volumeMounts as Obj[]).map((m) => ({ mountPath: m.mountPath as string, dir: join(dir, 'volumes', m.name) }));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: root, NO_COLOR: '1', CITADEL_GATEWAY_PORT: String(port), CITADEL_GATEWAY_HOST: '127.0.0.1' };
    for (const e of gateway.env as Obj[]) {
      const mount = mounts.find((m) => e.value.startsWith(m.mountPath));
      env[e.name] = mount ? mount.dir + e.value.slice(mount.mountPath.length) : e.value;
    }
    children.push(spawn(BIN, gateway.args, { env, stdio: ['ignore', 'ignore', 'pipe'] }));
    const url = `http://127.0.0.1:${port}`;
    const status = async (path: string) => (await fetch(`${url}${path}`).catch(() => undefined))?.status;
    await waitFor(async () => (await status(gateway.startupProbe.httpGet.path)) === 200, 30_000, 'gateway startup probe');
    await waitFor(async () => (await status(gateway.readinessProbe.httpGet.path)) === 200, 30_000, 'gateway readiness probe');

    const answer = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${clientKey}` },
      body: JSON.stringify({ model: 'phi-3', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5 }),
    });
    expect(answer.status).toBe(200);
    // The preStop hook waits on citadel_llm_active_requests: the gateway's /metrics has it per model.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^citadel_llm_active_requests\{[^}]*model="phi-3-mini"[^}]*\} 0$/m);
  }, 90_000);
});
