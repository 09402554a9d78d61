import { ApiError } from '../api/api-error';
import { AdmissionRule, Release } from './admission';

/**
 * Load shedding: at most `limit` requests of a model in progress at once (vLLM's own waiting
 * queue is unbounded). Beyond it, 429 with Retry-After at once, before the engine is touched.
 */
export class ConcurrencyCap implements AdmissionRule {
  private active = 0;
  shed = 0;

  /** `limit` is read on every admission, so a reloaded config applies at once. */
  constructor(private readonly limit: () => number) {}

  get inProgress(): number {
    return this.active;
  }

  admit(): Release {
    const limit = this.limit();
    if (this.active >= limit) {
      this.shed++;
      throw ApiError.rateLimited(`This model is working on its maximum of ${limit} requests; try again shortly.`, 1);
    }
    this.active++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.active--;
      }
    };
  }
}
