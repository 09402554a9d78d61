import { Release } from '../../common/release';

export interface AdmissionRequest {
  stream: boolean;
}

/**
 * Whether a model's request may go to its engine now: what a model service holds, bound as an
 * abstract-class token. The rules (load shedding, stream caps, Phi-3's throttle) are the
 * orchestration layer's (`orchestration/admission.ts`), given to the model module by the server.
 */
export abstract class Admission {
  /**
   * Resolves a Release once admitted, or rejects with an ApiError (429 with Retry-After, 499 when
   * `signal` aborted while the request waited). `signal` is the request's: it aborts when the
   * client leaves.
   */
  abstract admit(request: AdmissionRequest, signal?: AbortSignal): Promise<Release>;

  /** The server is stopping: nothing may be left waiting. */
  abstract close(): void;
}

/**
 * A model module on its own (imported in a user's test) has no rules: its seed API calls the
 * engine directly, and the HTTP path that admits requests is the server's.
 */
export class NoAdmissionRules extends Admission {
  admit(): Promise<Release> {
    return Promise.resolve(() => undefined);
  }

  close(): void {}
}
