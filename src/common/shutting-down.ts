/**
 * The reason requests are aborted when the server stops after its grace period. Every layer
 * that sees an aborted signal tells it from a client that left with `instanceof ShuttingDown`.
 */
export class ShuttingDown extends Error {
  constructor() {
    super('the server is shutting down');
    this.name = 'ShuttingDown';
  }
}
