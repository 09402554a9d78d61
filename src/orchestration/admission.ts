import { Release } from '../common/release';
import { Admission, AdmissionRequest } from '../services/ai-models/admission';

/**
 * A rule that decides whether a request may go to the engine now (a stream cap, a throttle).
 * It resolves a Release, or throws an ApiError (429 with Retry-After). A rule that may hold a
 * request waiting (a queue) says so with `waits`; it is then given the request's signal, which
 * aborts when the client leaves, and must give up the wait at once.
 */
export interface AdmissionRule {
  readonly waits?: boolean;
  admit(request: AdmissionRequest, signal?: AbortSignal): Promise<Release> | Release;
  /** Gives up every wait (the server is stopping). */
  close?(): void;
}

/** Every rule of a model in order; a refusal gives back what earlier rules granted. */
export class ModelAdmission extends Admission {
  private readonly waits: boolean;

  constructor(readonly rules: readonly AdmissionRule[]) {
    super();
    this.waits = rules.some((rule) => rule.waits === true);
  }

  /** @param signal the request's; only rules that may wait are given it */
  async admit(request: AdmissionRequest, signal?: AbortSignal): Promise<Release> {
    const held: Release[] = [];
    const waitSignal = this.waits ? signal : undefined;
    try {
      for (const rule of this.rules) held.push(await rule.admit(request, waitSignal));
    } catch (error) {
      held.forEach((release) => release());
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.forEach((release) => release());
    };
  }

  close(): void {
    for (const rule of this.rules) rule.close?.();
  }
}
