import { ApiError } from '../common/api-error';
import { EfficiencyManager, QueueAbandoned, Throttled } from '../services/optimization/efficiency-manager';
import { Release } from '../common/release';
import { AdmissionRequest } from '../services/ai-models/admission';
import { AdmissionRule } from './admission';

/**
 * Phi-3-Mini's throttle as an admission rule (seed 1.5, `efficiency_orchestrator`): the
 * efficiency manager decides; its refusals become OpenAI's 429 `rate_limit_exceeded` with
 * Retry-After. A request that waited in the queue and whose client left gets 499 (nobody
 * reads it; the engine is never called).
 */
export class EfficiencyOrchestrator implements AdmissionRule {
  /** Requests may wait in the queue (with efficiency_mode on, which a reload may switch). */
  readonly waits = true;

  constructor(readonly manager: EfficiencyManager) {}

  admit(_request: AdmissionRequest, signal?: AbortSignal): Release | Promise<Release> {
    try {
      const granted = this.manager.acquire(signal);
      return granted instanceof Promise ? granted.catch(toApiError) : granted;
    } catch (error) {
      return toApiError(error);
    }
  }

  /** Admission's job at shutdown: every request still in the queue is refused. */
  close(): void {
    this.manager.close();
  }
}

function toApiError(error: unknown): never {
  if (error instanceof Throttled) throw ApiError.rateLimited(error.message, error.retryAfterSeconds);
  if (error instanceof QueueAbandoned) throw new ApiError(499, 'The request was cancelled while it waited for admission.', 'request_cancelled', 'cancelled');
  throw error;
}
