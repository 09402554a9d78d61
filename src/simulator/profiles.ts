import type { SimulatorProfile } from './types';

/** Zero delays and a waiting queue large enough never to fill in a benchmark. */
export const INSTANT_PROFILE: SimulatorProfile = Object.freeze({
  ttftBaseMs: 0,
  prefillMsPerToken: 0,
  itlBaseMs: 0,
  itlMsPerRunningSeq: 0,
  maxWaiting: 1_000_000,
});

/** Throws with one message per bad field; used by the server at start. */
export function assertValidProfile(p: SimulatorProfile, where: string): void {
  const problems: string[] = [];
  for (const key of ['ttftBaseMs', 'prefillMsPerToken', 'itlBaseMs', 'itlMsPerRunningSeq'] as const) {
    if (!Number.isFinite(p[key]) || p[key] < 0) problems.push(`${where}.${key} must be a finite number >= 0 (got ${p[key]})`);
  }
  if (!Number.isInteger(p.maxWaiting) || p.maxWaiting < 0) {
    problems.push(`${where}.maxWaiting must be an integer >= 0 (got ${p.maxWaiting})`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}
