/** Gives back the slot a request held. */
export type Release = () => void;

export interface AdmissionRequest {
  stream: boolean;
}

/**
 * The client's end of the exchange (the HTTP response), as far as admission cares: a request
 * that waits for admission must give up its place when the client leaves.
 */
export interface ClientConnection {
  /** True once the connection is closed (it may have closed before admission started). */
  readonly destroyed?: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * A rule that decides whether a request may go to the engine now (a stream cap, a throttle).
 * It resolves a Release, or throws an ApiError (429 with Retry-After). A rule that may hold a
 * request waiting (a queue) says so with `waits`; it is then given a signal that aborts when
 * the client leaves, and must give up the wait at once.
 */
export interface AdmissionRule {
  readonly waits?: boolean;
  admit(request: AdmissionRequest, signal?: AbortSignal): Promise<Release> | Release;
}

/** Why a waiting admission was abandoned. */
export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection while the request waited for admission');
    this.name = 'ClientGone';
  }
}

/** Every rule of a model in order; a refusal gives back what earlier rules granted. */
export class ModelAdmission {
  private readonly waits: boolean;

  constructor(readonly rules: readonly AdmissionRule[]) {
    this.waits = rules.some((rule) => rule.waits === true);
  }

  /**
   * @param client the client's connection; when a rule may wait, leaving aborts the wait
   *   (watched only while admission runs, and only for models with such a rule)
   */
  async admit(request: AdmissionRequest, client?: ClientConnection): Promise<Release> {
    const held: Release[] = [];
    let gone: AbortController | undefined;
    const onClose = () => gone?.abort(new ClientGone());
    if (this.waits && client) {
      gone = new AbortController();
      client.once('close', onClose);
      if (client.destroyed) onClose();
    }
    try {
      for (const rule of this.rules) held.push(await rule.admit(request, gone?.signal));
    } catch (error) {
      held.forEach((release) => release());
      throw error;
    } finally {
      if (gone) client!.off('close', onClose);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.forEach((release) => release());
    };
  }
}
