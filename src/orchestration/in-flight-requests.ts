import { Injectable } from '@nestjs/common';
import { ShuttingDown } from '../common/shutting-down';

/**
 * The requests a listener is working on, each by the controller that aborts its engine call.
 * On shutdown, whatever is still running after the grace period is aborted with ShuttingDown,
 * so each gets a clear answer (a 503, or an error event ending its stream) instead of a cut.
 */
@Injectable()
export class InFlightRequests {
  /**
   * An array of entries, not a Set of controllers: every request adds and deletes one, and a Set
   * (or a WeakMap) hashes each new controller (V8 gives an object its identity hash on first use
   * as a key). An entry knows its place, so a delete moves the last entry into it.
   */
  private readonly active: InFlightEntry[] = [];

  /** @returns the entry to give back to delete() when the request is done */
  add(controller: AbortController): InFlightEntry {
    const entry = { controller, place: this.active.length };
    this.active.push(entry);
    return entry;
  }

  delete(entry: InFlightEntry): void {
    if (this.active[entry.place] !== entry) return;
    const last = this.active.pop()!;
    if (last !== entry) {
      last.place = entry.place;
      this.active[entry.place] = last;
    }
  }

  get size(): number {
    return this.active.length;
  }

  abortAll(): void {
    const reason = new ShuttingDown();
    for (const { controller } of [...this.active]) controller.abort(reason);
  }
}

/** A request in flight: its engine call's controller and where it is kept. */
export interface InFlightEntry {
  readonly controller: AbortController;
  place: number;
}
