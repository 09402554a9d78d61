/**
 * TC-L3-PERF-LOAD-001: constant-arrival-rate load on one model (baseline 10 req/s, a ramp from
 * 10 to 50, sustained 50), cycling through the test prompts; success ratio, latency percentiles
 * and the service's memory drift. The requests leave on schedule whatever the answers do.
 */
import { arrivalOffsetsMs, RateProfile } from './arrival-schedule';
import { ChatClient } from './chat-client';
import { evaluateLoad, LOAD_TEST_CASE, LoadTargets, LoadVerdict } from './load-evaluation';
import { runOpenLoop } from './load-open-loop';
import type { Progress } from './progress';
import { ResourceMonitor, ResourceReport, ResourceSource } from './resource-monitor';

export interface LoadTestOptions {
  modelId: string;
  servedName: string;
  url: string;
  profileName: string;
  profile: RateProfile;
  prompts: string[];
  maxTokens: number;
  timeoutMs: number;
  apiKey?: string;
  /** At most this many requests in flight; due requests beyond it are dropped (and fail). */
  maxInFlight: number;
  resources?: ResourceSource;
  targets: LoadTargets;
  progress: Progress;
  sampleIntervalMs?: number;
}

export interface LoadTestReport extends LoadVerdict {
  test_case: string;
  model: string;
  url: string;
  profile: { name: string; start_rps: number; end_rps: number; duration_s: number };
  timestamp: number;
  started_at: string;
  finished_at: string;
  targets: LoadTargets;
  settings: { max_tokens: number; timeout_ms: number; max_in_flight: number; prompts: number };
  resources_source: string;
  first_errors: string[];
}

export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestReport> {
  const started = new Date();
  const client = new ChatClient({ url: o.url, model: o.servedName, apiKey: o.apiKey, timeoutMs: o.timeoutMs }, o.maxInFlight);
  const monitor = o.resources ? new ResourceMonitor(o.resources, o.sampleIntervalMs ?? 1000) : undefined;
  const offsetsMs = arrivalOffsetsMs(o.profile);
  const errors = new Map<string, number>();
  let resources: ResourceReport | undefined;
  try {
    await monitor?.start();
    o.progress(
      `${LOAD_TEST_CASE} ${o.profileName}: ${offsetsMs.length} requests over ${o.profile.durationS} s (${o.profile.startRps}${o.profile.endRps !== o.profile.startRps ? ` → ${o.profile.endRps}` : ''} req/s)`,
    );
    const run = await runOpenLoop({
      offsetsMs,
      maxInFlight: o.maxInFlight,
      send: async (i) => {
        const a = await client.chat(o.prompts[i % o.prompts.length], { maxTokens: o.maxTokens });
        if (!a.ok) {
          const key = a.error ?? `HTTP ${a.status}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
        return { ok: a.ok, status: a.status, error: a.error };
      },
      onTick: (s) => {
        const rss = monitor?.latest()?.rssBytes;
        o.progress(
          `t=${(s.elapsedMs / 1000).toFixed(0)}s sent ${s.sent} ok ${s.ok} failed ${s.failed} in flight ${s.inFlight}${s.dropped ? ` dropped ${s.dropped}` : ''}${rss ? ` rss ${(rss / 1024 ** 2).toFixed(0)} MB` : ''}`,
        );
      },
    });
    resources = monitor ? await monitor.stop() : undefined;
    const verdict = evaluateLoad(run.records, offsetsMs.length, run.dropped, o.profile, resources, o.targets);
    const finished = new Date();
    return {
      test_case: LOAD_TEST_CASE,
      model: o.modelId,
      url: o.url,
      profile: { name: o.profileName, start_rps: o.profile.startRps, end_rps: o.profile.endRps, duration_s: o.profile.durationS },
      timestamp: Math.floor(finished.getTime() / 1000),
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      targets: o.targets,
      settings: { max_tokens: o.maxTokens, timeout_ms: o.timeoutMs, max_in_flight: o.maxInFlight, prompts: o.prompts.length },
      resources_source: resources?.source ?? 'none',
      ...verdict,
      first_errors: [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([e, n]) => `${n}× ${e}`),
    };
  } finally {
    if (monitor && !resources) await monitor.stop();
    await client.close();
  }
}
