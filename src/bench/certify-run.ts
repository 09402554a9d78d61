/** `citadel-llm bench certify`: loads the model's config, runs the certification, writes and prints the report. */
import { loadCitadelConfig } from '../config/config-loader';
import { runCertification } from './certify-harness';
import { CERTIFY_TEST_CASE } from './certify-evaluation';
import { renderCertifyTable } from './certify-table';
import { loadPrompts } from './prompts';
import { stderrProgress } from './progress';
import { safeNamePart, writeJsonReport } from './report-writer';
import { openServiceUnderTest, ServiceCliOptions } from './service-under-test';

export interface CertifyCliOptions extends ServiceCliOptions {
  throughputTargetRps?: number;
  requests: number;
  concurrency: number;
  temperature: number;
  promptsFile?: string;
}

export async function runCertifyCli(o: CertifyCliOptions): Promise<number> {
  const config = loadCitadelConfig({ configDir: o.configDir, only: [o.model] });
  const model = config.models[0];
  const prompts = loadPrompts(o.promptsFile);
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
        quality: 0.8,
        memoryGb: model.performance.memory_limit_gb,
        cpuCores: model.performance.cpu_cores,
      },
      progress,
    });
    const file = writeJsonReport(o.reportsDir, `performance_${CERTIFY_TEST_CASE}_${safeNamePart(model.id)}`, report);
    process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : renderCertifyTable(report, file));
    return report.status === 'PASS' ? 0 : 1;
  } finally {
    await service.stop();
  }
}
