/** Gives back the slot a request held. */
export type Release = () => void;

/**
 * A rule that decides whether a request may go to the engine now (a stream cap, a throttle).
 * It resolves a Release, or throws an ApiError (429 with Retry-After).
 */
export interface AdmissionRule {
  admit(request: { stream: boolean }): Promise<Release> | Release;
}

/** Every rule of a model in order; a refusal gives back what earlier rules granted. */
export class ModelAdmission {
  constructor(readonly rules: readonly AdmissionRule[]) {}

  async admit(request: { stream: boolean }): Promise<Release> {
    const held: Release[] = [];
    try {
      for (const rule of this.rules) held.push(await rule.admit(request));
    } catch (error) {
      held.forEach((release) => release());
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.forEach((release) => release());
    };
  }
}
