import { ApiError } from '../common/api-error';
import { Release } from '../common/release';
import { AdmissionRule } from './admission';
import { Slots } from './slots';

/**
 * Load shedding: at most `limit` requests of a model in progress at once (vLLM's own waiting
 * queue is unbounded). Beyond it, 429 with Retry-After at once, before the engine is touched.
 */
export class ConcurrencyCap implements AdmissionRule {
  private readonly active = new Slots();
  shed = 0;

  /** `limit` is read on every admission, so a reloaded config applies at once. */
  constructor(private readonly limit: () => number) {}

  get inProgress(): number {
    return this.active.inUse;
  }

  admit(): Release {
    const limit = this.limit();
    if (this.active.inUse >= limit) {
      this.shed++;
      throw ApiError.rateLimited(`This model is working on its maximum of ${limit} requests; try again shortly.`, 1);
    }
    return this.active.take();
  }
}
