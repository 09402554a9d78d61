/** `citadel-llm bench certify`: loads the model's config, runs the certification, writes and prints the report. */
import { join, relative } from 'node:path';
import { loadCitadelConfig } from '../config/config-loader';
import { runCertification } from './certify-harness';
import { CERTIFY_TEST_CASE, CertifyTargetSources, TEST_CASE_TARGETS } from './certify-evaluation';
import { renderCertifyTable } from './certify-table';
import { loadPrompts } from './prompts';
import { stderrProgress } from './progress';
import { loadReferences } from './reference-facts';
import { safeNamePart, writeJsonReport } from './report-writer';
import { openServiceUnderTest, ServiceCliOptions } from './service-under-test';

export interface CertifyCliOptions extends ServiceCliOptions {
  throughputTargetRps?: number;
  requests: number;
  concurrency: number;
  temperature: number;
  promptsFile?: string;
  /** The test case's monitoring_url: Prometheus's base URL. */
  monitoringUrl?: string;
  monitoringSelector?: string;
  monitoringWaitS?: number;
}

/** Relative to the working folder when inside it, else absolute. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** Where each target comes from: a flag, the model's config file (or its environment override), the test case. */
function targetSources(o: CertifyCliOptions, modelFile: string): CertifyTargetSources {
  const config = (key: string) => `model config: performance.${key} (${modelFile} or its environment override)`;
  return {
    latencyMs: o.latencyTargetMs !== undefined ? 'command line: --latency-target-ms' : config('target_latency_ms'),
    throughputRps: o.throughputTargetRps !== undefined ? 'command line: --throughput-target-rps' : config('target_throughput_rps'),
    quality: `test case ${CERTIFY_TEST_CASE} (quality score >= 0.8)`,
    memoryGb: config('memory_limit_gb'),
    cpuCores: config('cpu_cores'),
  };
}

export async function runCertifyCli(o: CertifyCliOptions): Promise<number> {
  const config = loadCitadelConfig({ configDir: o.configDir, only: [o.model] });
  const model = config.models[0];
  const prompts = loadPrompts(o.promptsFile);
  const references = loadReferences();
  const progress = stderrProgress(`[certify ${o.model}]`, !o.quiet);
  const service = await openServiceUnderTest(
    { model, configDir: config.configDir, url: o.url, start: o.start, simProfile: o.simProfile, pid: o.pid, apiKey: o.apiKey },
    progress,
  );
  try {
    progress(`${CERTIFY_TEST_CASE} against ${service.url}; resources from ${service.resources.description}`);
    const report = await runCertification({
      modelId: model.id,
      servedName: model.model.name,
      url: service.url,
      prompts,
      references,
      requests: o.requests,
      concurrency: o.concurrency,
      maxTokens: o.maxTokens,
      temperature: o.temperature,
      timeoutMs: o.timeoutMs,
      apiKey: o.apiKey,
      resources: service.resources,
      targets: {
        latencyMs: o.latencyTargetMs ?? model.performance.target_latency_ms,
        throughputRps: o.throughputTargetRps ?? model.performance.target_throughput_rps,
        // The model configs have no quality target: the test case's own.
        quality: TEST_CASE_TARGETS.quality,
        memoryGb: model.performance.memory_limit_gb,
        cpuCores: model.performance.cpu_cores,
      },
      targetSources: targetSources(o, displayPath(join(config.configDir, 'services', `${model.id}.yaml`))),
      progress,
      prometheus: o.monitoringUrl ? { url: o.monitoringUrl, selector: o.monitoringSelector, waitMs: (o.monitoringWaitS ?? 60) * 1000 } : undefined,
    });
    const file = writeJsonReport(o.reportsDir, `performance_${CERTIFY_TEST_CASE}_${safeNamePart(model.id)}`, report);
    process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : renderCertifyTable(report, file));
    return report.status === 'PASS' ? 0 : 1;
  } finally {
    await service.stop();
  }
}
