import { parsePrometheusText, sampleSum } from '../../src/bench/prometheus-text';

/** Talks to a simulated engine directly: its fault switches and its own vLLM metrics. */
export async function setFaults(engineUrl: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${engineUrl}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  if (!res.ok) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
}

export const NO_FAULTS = { errorRate: 0, hang: false, hangBeforeHeaders: false, dieAfterTokens: 0, failAfterTokens: 0, stallAfterTokens: 0, engineDead: false, slowStartSeconds: 0 };

/** The value of a vLLM gauge or counter on the engine (summed over its series). */
export async function engineMetric(engineUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${engineUrl}/metrics`)).text();
  return sampleSum(parsePrometheusText(text), name);
}

/** The simulator's count of requests its hang fault holds open, and of those whose client left. */
export async function hangingRequests(engineUrl: string): Promise<{ hanging: number; aborted: number }> {
  const res = await fetch(`${engineUrl}/admin/hanging`);
  if (!res.ok) throw new Error(`reading /admin/hanging failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { hanging: number; aborted: number };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Faults off, and every request the engine was running finished or dropped. */
export async function resetEngine(engineUrl: string): Promise<void> {
  await setFaults(engineUrl, NO_FAULTS);
  await waitFor(async () => (await engineMetric(engineUrl, 'vllm:num_requests_running')) === 0, 5_000, 'the engine to be idle');
}
