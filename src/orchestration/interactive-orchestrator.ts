import { ApiError } from '../common/api-error';
import { RealtimeSection } from '../config/model-config';
import { Release } from '../common/release';
import { AdmissionRule } from './admission';
import { Slots } from './slots';

/**
 * OpenChat's real-time limits (seed 1.4): at most `concurrent_users` streams at once, and no
 * streams at all when streaming is disabled. Non-streaming requests pass.
 */
export class InteractiveOrchestrator implements AdmissionRule {
  private readonly active = new Slots();
  rejected = 0;

  constructor(private readonly realtime: RealtimeSection) {}

  get activeStreams(): number {
    return this.active.inUse;
  }

  get cap(): number {
    return this.realtime.concurrent_users;
  }

  admit(request: { stream: boolean }): Release {
    if (!request.stream) return () => undefined;
    if (!this.realtime.streaming_enabled) {
      throw ApiError.invalid('Streaming is disabled for this model; send the request without "stream": true.', 'stream', 'streaming_disabled');
    }
    if (this.active.inUse >= this.realtime.concurrent_users) {
      this.rejected++;
      throw ApiError.rateLimited(`This model serves at most ${this.realtime.concurrent_users} concurrent streams; try again shortly.`, 1);
    }
    return this.active.take();
  }
}
