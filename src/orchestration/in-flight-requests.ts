import { Injectable } from '@nestjs/common';
import { ShuttingDown } from '../common/shutting-down';

/**
 * The requests a listener is working on, each by the controller that aborts its engine call.
 * On shutdown, whatever is still running after the grace period is aborted with ShuttingDown,
 * so each gets a clear answer (a 503, or an error event ending its stream) instead of a cut.
 */
@Injectable()
export class InFlightRequests {
  private readonly active = new Set<AbortController>();

  add(controller: AbortController): void {
    this.active.add(controller);
  }

  delete(controller: AbortController): void {
    this.active.delete(controller);
  }

  get size(): number {
    return this.active.size;
  }

  abortAll(): void {
    const reason = new ShuttingDown();
    for (const controller of this.active) controller.abort(reason);
  }
}
