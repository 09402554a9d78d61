import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { routeAccess } from '../../src/api/route-access';
import { MONITORING_TARGET, renderKubernetesMonitoring } from '../../src/cli/render-kubernetes-monitoring';
import { envPrefix } from '../../src/config/model-ids';
import { ModelServiceConfig } from '../../src/config/model-config';
import { VllmCommandBuilder } from '../../src/services/core/service-manager/vllm-command-builder';
import { loadConfig, REPO } from '../service-manager/helpers';

/**
 * deploy/kubernetes/ rendered by `kubectl kustomize` (base, overlays/vllm, overlays/simulator),
 * every object validated against Kubernetes' own schemas (test/deploy/validate-kubernetes.mjs),
 * and held to the sources it is made from: config/services (the ConfigMap, the ports, vLLM's
 * command line as `managed` mode builds it), config/monitoring (ServiceMonitors, PrometheusRule),
 * the engine timeouts (grace period and preStop) and package.json (the image).
 */

type Obj = Record<string, any>;

const KUSTOMIZE_DIR = join(REPO, 'deploy', 'kubernetes');
const VALIDATOR = join(__dirname, 'validate-kubernetes.mjs');
const PACKAGE = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const HAVE_KUBECTL = kubectl.status === 0;
if (!HAVE_KUBECTL) {
  // Visible in the run's output, not only as a skipped count.
  process.stderr.write('test/deploy/kubernetes.spec.ts: kubectl is not on PATH: the kustomize tests are skipped\n');
}
const describeKubectl = HAVE_KUBECTL ? describe : describe.skip;

/** The preStop hook's wait for the endpoint removal to spread (wait-idle --settle). */
const SETTLE_SECONDS = 5;
/** The server's own drain on SIGTERM (ServiceOrchestrator: shutdownGraceMs, 10 s by default). */
const SERVER_DRAIN_SECONDS = 10;
/** Time for the process to exit once drained. */
const EXIT_MARGIN_SECONDS = 5;

function render(dir: string): Obj[] {
  const run = spawnSync('kubectl', ['kustomize', join(KUSTOMIZE_DIR, dir)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => doc.toJS() as Obj);
}

function validate(objects: Obj[]): { kind: string; name: string; error: string | null }[] {
  const run = spawnSync(process.execPath, [VALIDATOR], { input: JSON.stringify(objects), encoding: 'utf8', cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`validate-kubernetes.mjs failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const find = (objects: Obj[], kind: string, name: string): Obj => {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!hit) throw new Error(`no ${kind} ${name}`);
  return hit;
};
const byPrefix = (objects: Obj[], kind: string, prefix: string): Obj => {
  const hits = objects.filter((o) => o.kind === kind && o.metadata.name.startsWith(prefix));
  if (hits.length !== 1) throw new Error(`${hits.length} ${kind} named ${prefix}*`);
  return hits[0];
};
const container = (deployment: Obj, name: string): Obj => {
  const spec = deployment.spec.template.spec;
  const hit = [...(spec.initContainers ?? []), ...spec.containers].find((c: Obj) => c.name === name);
  if (!hit) throw new Error(`${deployment.metadata.name} has no container ${name}`);
  return hit;
};
const envOf = (c: Obj): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: Obj) => 'value' in e).map((e: Obj) => [e.name, e.value]));

const config = loadConfig({}, undefined);
const models: readonly ModelServiceConfig[] = config.models;
/** A Service's name is a DNS label: the model id with "." as "-". */
const serviceName = (id: string) => id.replace(/\./g, '-');
/** The longest answer the server waits for: a non-streaming one sends its headers only at the end. */
const longestAnswerSeconds = Math.ceil(Math.max(...models.map((m) => m.engine.timeouts.first_byte_ms)) / 1000);

/** What the config ConfigMap holds: config/services/*.yaml and config/templates/*, as kustomize keys them (by base name). */
function configFiles(): Array<{ path: string; key: string }> {
  const dir = (sub: string, keep: (f: string) => boolean) => readdirSync(join(REPO, 'config', sub)).filter(keep).map((f) => ({ path: `${sub}/${f}`, key: f }));
  return [...dir('services', (f) => f.endsWith('.yaml')), ...dir('templates', () => true)];
}

describe('deploy/kubernetes: the files', () => {
  it('config/kustomization.yaml lists every config/services/*.yaml and config/templates/* (and nothing else)', () => {
    const listed = (parseYaml(readFileSync(join(REPO, 'config', 'kustomization.yaml'), 'utf8')) as Obj).configMapGenerator[0].files as string[];
    expect([...listed].sort()).toEqual(configFiles().map((f) => f.path).sort());
    // Every served model has its file (the disabled test service's is there too, unused).
    const ids = configFiles().filter((f) => f.path.startsWith('services/')).map((f) => f.key.slice(0, -'.yaml'.length));
    for (const m of models) expect(ids).toContain(m.id);
  });

  it('the ServiceMonitors and the PrometheusRule are what config/monitoring generates (npm run kube:monitoring)', () => {
    for (const [name, text] of Object.entries(renderKubernetesMonitoring())) {
      expect(readFileSync(join(MONITORING_TARGET, name), 'utf8')).toBe(text);
    }
  });

  it('the gateway reaches each model at its Service, on its service port', () => {
    const gateway = (parseYaml(readFileSync(join(KUSTOMIZE_DIR, 'base', 'gateway.yaml'), 'utf8')) as Obj).gateway;
    expect(Object.keys(gateway.services).sort()).toEqual(models.map((m) => m.id).sort());
    for (const m of models) expect(gateway.services[m.id]).toEqual([`http://${serviceName(m.id)}:${m.service.port}`]);
  });
});

describeKubectl.each(['base', 'overlays/vllm', 'overlays/simulator'])('kubectl kustomize deploy/kubernetes/%s', (dir) => {
  let objects: Obj[];
  beforeAll(() => {
    objects = render(dir);
  });

  it('renders, and every object validates against the Kubernetes (and Prometheus Operator) schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    const results = validate(objects);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
    expect(results).toHaveLength(objects.length);
  });

  // The schemas do not check names; the API server does (apimachinery validation).
  it('names every object as the API server requires (Services: DNS labels; others: DNS subdomains)', () => {
    const label = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
    const subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    for (const o of objects) expect([o.kind, o.metadata.name, (o.kind === 'Service' ? label : subdomain).test(o.metadata.name)]).toEqual([o.kind, o.metadata.name, true]);
  });

  it('puts everything in the citadel-llm namespace', () => {
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, 'citadel-llm']);
  });

  it('the config ConfigMap is config/services/*.yaml and config/templates/*, byte for byte', () => {
    const configMap = byPrefix(objects, 'ConfigMap', 'citadel-llm-services-');
    const files = configFiles();
    expect(Object.keys(configMap.data).sort()).toEqual(files.map((f) => f.key).sort());
    for (const f of files) expect(configMap.data[f.key]).toBe(readFileSync(join(REPO, 'config', f.path), 'utf8'));
  });

  it('the monitoring objects equal config/monitoring: rules, jobs, ports, paths, intervals and service labels', () => {
    const alerts = parseYaml(readFileSync(join(REPO, 'config', 'monitoring', 'alerts.yml'), 'utf8')) as Obj;
    expect(find(objects, 'PrometheusRule', 'citadel-llm').spec.groups).toEqual(alerts.groups);

    const prometheus = parseYaml(readFileSync(join(REPO, 'config', 'monitoring', 'prometheus.yml'), 'utf8')) as Obj;
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(prometheus.scrape_configs.map((j: Obj) => j.job_name).sort());
    for (const job of prometheus.scrape_configs as Obj[]) {
      const monitor = find(objects, 'ServiceMonitor', job.job_name);
      const [endpoint] = monitor.spec.endpoints;
      expect(endpoint).toMatchObject({ path: job.metrics_path, interval: prometheus.global.scrape_interval, scrapeTimeout: prometheus.global.scrape_timeout });
      expect(endpoint.relabelings).toContainEqual({ targetLabel: 'job', replacement: job.job_name });
      // What Prometheus would scrape: each selected Service's named port, labelled from its instance label.
      const selected = objects.filter((o) => o.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
      const scraped = selected.map((s) => ({
        service: s.metadata.labels['app.kubernetes.io/instance'],
        port: s.spec.ports.find((p: Obj) => p.name === endpoint.port).port,
      }));
      const configured = (job.static_configs as Obj[]).map((c) => ({ service: c.labels.service, port: Number(c.targets[0].split(':')[1]) }));
      expect(scraped.sort((a, b) => a.service.localeCompare(b.service))).toEqual(configured.sort((a, b) => a.service.localeCompare(b.service)));
    }
  });

  it('per model: a Deployment and a Service on the configured ports, `serve <model>` in front of the engine on localhost:8000', () => {
    for (const m of models) {
      const deployment = find(objects, 'Deployment', m.id);
      const serve = container(deployment, 'serve');
      expect(serve.args).toEqual(['serve', m.id]);
      expect(envOf(serve)).toMatchObject({
        CITADEL_CONFIG_DIR: '/etc/citadel-llm',
        [`${envPrefix(m.id)}_ENGINE_MODE`]: 'external',
        [`${envPrefix(m.id)}_ENGINE_URLS`]: 'http://127.0.0.1:8000',
      });
      expect(serve.ports).toEqual([
        { name: 'http', containerPort: m.service.port },
        { name: 'metrics', containerPort: m.monitoring.prometheus_port },
      ]);
      const service = find(objects, 'Service', serviceName(m.id));
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([
        { name: 'http', port: m.service.port, targetPort: 'http' },
        { name: 'metrics', port: m.monitoring.prometheus_port, targetPort: 'metrics' },
      ]);
      // The engine is a native sidecar: it starts (and passes its startup probe) before `serve`,
      // and stops after it, so requests draining from `serve` still have their engine.
      const engine = deployment.spec.template.spec.initContainers[0];
      expect(engine.restartPolicy).toBe('Always');
    }
  });

  it('probes the real health paths, which need no API key (kubelet sends none)', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const front = d.spec.template.spec.containers[0];
      expect([d.metadata.name, front.startupProbe.httpGet.path, front.readinessProbe.httpGet.path, front.livenessProbe.httpGet.path]).toEqual([
        d.metadata.name,
        '/health/live',
        '/health/ready',
        '/health/live',
      ]);
      for (const path of ['/health/live', '/health/ready']) expect(routeAccess(path)).toBe('open');
      // The preStop hook reads /metrics, open unless CITADEL_PROTECT_METRICS is set.
      expect(routeAccess('/metrics')).toBe('figures');
    }
  });

  it('the grace period covers the longest answer: settle + max engine.timeouts.first_byte_ms + the server drain', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const spec = d.spec.template.spec;
      const front = spec.containers[0];
      const port = d.metadata.name === 'citadel-llm-gateway' ? 8000 : models.find((m) => m.id === d.metadata.name)!.monitoring.prometheus_port;
      const deadline = SETTLE_SECONDS + longestAnswerSeconds;
      expect([d.metadata.name, front.lifecycle.preStop.exec.command]).toEqual([
        d.metadata.name,
        ['node', '/app/dist/cli/wait-idle.js', '--metrics', `http://127.0.0.1:${port}/metrics`, '--settle', String(SETTLE_SECONDS), '--deadline', String(deadline)],
      ]);
      expect([d.metadata.name, spec.terminationGracePeriodSeconds]).toEqual([d.metadata.name, deadline + SERVER_DRAIN_SECONDS + EXIT_MARGIN_SECONDS]);
    }
  });

  it('the gateway: stateless replicas (at least 2, counted by the HorizontalPodAutoscaler) and a PodDisruptionBudget', () => {
    const gateway = find(objects, 'Deployment', 'citadel-llm-gateway');
    // The autoscaler owns the count; a count in the Deployment would be reset by every apply.
    expect(gateway.spec.replicas).toBeUndefined();
    expect(container(gateway, 'gateway').args).toEqual(['gateway']);
    const pods = gateway.spec.template.metadata.labels;
    const pdb = find(objects, 'PodDisruptionBudget', 'citadel-llm-gateway');
    expect(Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => pods[k] === v)).toBe(true);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'citadel-llm-gateway');
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'citadel-llm-gateway' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // A CPU utilisation target needs a CPU request to be measured against.
    expect(container(gateway, 'gateway').resources.requests.cpu).toBeDefined();
  });

  it('every volume mounted exists in its pod, the config and keys are mounted read-only, no container runs our code as root', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const spec = d.spec.template.spec;
      const volumes = new Set(spec.volumes.map((v: Obj) => v.name));
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const mount of c.volumeMounts ?? []) expect([d.metadata.name, c.name, mount.name, volumes.has(mount.name)]).toEqual([d.metadata.name, c.name, mount.name, true]);
        if (c.image.startsWith('citadel-llm-server')) expect([d.metadata.name, c.name, c.securityContext?.runAsNonRoot]).toEqual([d.metadata.name, c.name, true]);
      }
      const front = spec.containers[0];
      expect(envOf(front).CITADEL_API_KEY_FILE).toBe('/run/secrets/citadel-llm/api-keys');
      expect(front.volumeMounts).toContainEqual({ name: 'api-keys', mountPath: '/run/secrets/citadel-llm', readOnly: true });
      expect(front.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/citadel-llm', readOnly: true });
      expect(spec.volumes.find((v: Obj) => v.name === 'api-keys').secret.secretName).toMatch(/^citadel-llm-api-keys/);
      if (d.metadata.name === 'citadel-llm-gateway') expect(envOf(front).CITADEL_MODEL_SERVICE_KEY_FILE).toBe('/run/secrets/citadel-llm/model-service-key');
    }
  });

  if (dir !== 'base') {
    it(`runs this release's image (package.json version ${PACKAGE.version})`, () => {
      const images = objects.filter((o) => o.kind === 'Deployment').flatMap((d) => [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers].map((c: Obj) => c.image as string));
      for (const image of images.filter((i) => i.startsWith('citadel-llm-server'))) expect(image).toBe(`citadel-llm-server:${PACKAGE.version}`);
    });
  }

  if (dir !== 'overlays/simulator') {
    it("vLLM: the exact command line `managed` mode builds (VllmCommandBuilder, port 8000), the version's image, GPUs, memory, /dev/shm", () => {
      const builder = new VllmCommandBuilder();
      for (const m of models) {
        const deployment = find(objects, 'Deployment', m.id);
        const vllm = container(deployment, 'vllm');
        const built = builder.build(m, 8000);
        // The pods mount the config (and its templates/) at /etc/citadel-llm.
        const args = built.args.map((a) => a.replace(join(REPO, 'config') + '/', '/etc/citadel-llm/'));
        expect([m.id, [...vllm.command, ...vllm.args]]).toEqual([m.id, [built.executable, ...args]]);
        expect(vllm.image).toBe(`vllm/vllm-openai:v${m.engine.vllm.version}`);
        const gpus = String(m.model.tensor_parallel_size * m.model.pipeline_parallel_size);
        expect(vllm.resources.limits['nvidia.com/gpu']).toBe(gpus);
        expect(vllm.resources.requests['nvidia.com/gpu']).toBe(gpus);
        expect(vllm.resources.limits.memory).toBe(`${m.performance.memory_limit_gb}Gi`);
        expect(vllm.resources.requests.cpu).toBe(String(m.performance.cpu_cores));
        // NCCL (and vLLM's own workers) exchange through /dev/shm: a memory-backed volume, as a
        // container's default 64 MB is too small.
        const volumes = deployment.spec.template.spec.volumes as Obj[];
        expect(vllm.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
        expect(volumes.find((v) => v.name === 'dshm')?.emptyDir.medium).toBe('Memory');
        expect(vllm.volumeMounts).toContainEqual({ name: 'models', mountPath: '/opt/models', readOnly: true });
        expect(m.model.path.startsWith('/opt/models/')).toBe(true);
        // vLLM binds loopback (--host 127.0.0.1): kubelet's HTTP probes would reach the pod's IP,
        // so it is probed from inside; the startup probe allows engine.vllm.startup_timeout_seconds.
        expect(vllm.startupProbe.exec.command.join(' ')).toContain('http://127.0.0.1:8000/health');
        expect(vllm.livenessProbe.exec.command.join(' ')).toContain('http://127.0.0.1:8000/health');
        expect(vllm.startupProbe.periodSeconds * vllm.startupProbe.failureThreshold).toBeGreaterThanOrEqual(m.engine.vllm.startup_timeout_seconds);
      }
    });
  }

  if (dir === 'overlays/simulator') {
    it('the simulator stands in for vLLM: no GPU, no weights, `citadel-llm sim --model <id> --port 8000` in the same sidecar place', () => {
      const text = JSON.stringify(objects);
      expect(text).not.toContain('nvidia.com/gpu');
      expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
      for (const m of models) {
        const deployment = find(objects, 'Deployment', m.id);
        const [sim] = deployment.spec.template.spec.initContainers;
        expect(sim.restartPolicy).toBe('Always');
        expect(sim.image).toBe(`citadel-llm-server:${PACKAGE.version}`);
        expect(sim.args).toEqual(['sim', '--model', '$(CITADEL_MODEL)', '--port', '8000']);
        // $(CITADEL_MODEL) is the pod's instance label, the model id.
        const model = sim.env.find((e: Obj) => e.name === 'CITADEL_MODEL');
        expect(model.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['app.kubernetes.io/instance']");
        expect(deployment.spec.template.metadata.labels['app.kubernetes.io/instance']).toBe(m.id);
        expect(sim.startupProbe.exec.command.join(' ')).toContain('http://127.0.0.1:8000/health');
      }
      // The gateway's key to the model services is one the model services accept.
      const secret = byPrefix(objects, 'Secret', 'citadel-llm-api-keys-');
      const accepted = Buffer.from(secret.data['api-keys'], 'base64').toString().split('\n').filter(Boolean);
      const gatewayKey = Buffer.from(secret.data['model-service-key'], 'base64').toString().split('\n')[0];
      expect(accepted.length).toBeGreaterThan(1);
      expect(accepted).toContain(gatewayKey);
    });
  }
});
