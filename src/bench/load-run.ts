/** `citadel-llm bench load`: TC-L3-PERF-LOAD-001 with one of its profiles; writes and prints the report. */
import { loadCitadelConfig } from '../config/config-loader';
import { LOAD_PROFILES, LoadProfileName } from './arrival-schedule';
import { LOAD_TEST_CASE } from './load-evaluation';
import { runLoadTest } from './load-harness';
import { renderLoadTable } from './load-table';
import { allPrompts, loadPrompts } from './prompts';
import { stderrProgress } from './progress';
import { safeNamePart, writeJsonReport } from './report-writer';
import { openServiceUnderTest, ServiceCliOptions } from './service-under-test';

export interface LoadCliOptions extends ServiceCliOptions {
  profile: LoadProfileName;
  durationS?: number;
  maxInFlight: number;
  minSuccess: number;
  maxMemoryDriftPct: number;
}

export async function runLoadCli(o: LoadCliOptions): Promise<number> {
  const config = loadCitadelConfig({ configDir: o.configDir, only: [o.model] });
  const model = config.models[0];
  const progress = stderrProgress(`[load ${o.model} ${o.profile}]`, !o.quiet);
  const profile = { ...LOAD_PROFILES[o.profile], ...(o.durationS !== undefined ? { durationS: o.durationS } : {}) };
  const service = await openServiceUnderTest(
    { model, configDir: config.configDir, url: o.url, start: o.start, simProfile: o.simProfile, pid: o.pid, apiKey: o.apiKey },
    progress,
  );
  try {
    progress(`against ${service.url}; resources from ${service.resources.description}`);
    const report = await runLoadTest({
      modelId: model.id,
      servedName: model.model.name,
      url: service.url,
      profileName: o.profile,
      profile,
      prompts: allPrompts(loadPrompts()),
      maxTokens: o.maxTokens,
      timeoutMs: o.timeoutMs,
      apiKey: o.apiKey,
      maxInFlight: o.maxInFlight,
      resources: service.resources,
      targets: {
        latencyP95Ms: o.latencyTargetMs ?? model.performance.target_latency_ms,
        minSuccessRatio: o.minSuccess,
        minRateShare: 0.95,
        maxMemoryDriftPct: o.maxMemoryDriftPct,
      },
      progress,
    });
    const file = writeJsonReport(o.reportsDir, `load_${LOAD_TEST_CASE}_${safeNamePart(model.id)}_${o.profile}`, report);
    process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : renderLoadTable(report, file));
    return report.status === 'PASS' ? 0 : 1;
  } finally {
    await service.stop();
  }
}
