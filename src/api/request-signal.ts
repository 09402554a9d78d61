import type { ServerResponse } from 'node:http';

/**
 * The request's one AbortSignal: it aborts when the client's connection closes before the answer
 * was written. This is the only place that watches the connection; admission, the engine call
 * and the relay all stop on this signal.
 */
export class RequestSignal {
  private readonly controller = new AbortController();
  private readonly onClose = () => {
    if (!this.res.writableFinished) this.controller.abort();
  };

  constructor(private readonly res: ServerResponse) {
    res.once('close', this.onClose);
    // The connection may have closed before the handler ran.
    if (res.destroyed) this.onClose();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The answer is written: stop watching. */
  dispose(): void {
    this.res.off('close', this.onClose);
  }
}
