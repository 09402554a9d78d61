/**
 * Which replica holds a stored Responses API response. vLLM keeps `store: true` responses in its
 * own process memory (serving_responses.py `response_store`), so a follow-up by
 * `previous_response_id`, a retrieve and a cancel must reach the replica that made the response:
 * any other answers 404. The forwarder learns the holder from each answer (the id it carries and
 * the replica that sent it) and asks for that replica later.
 *
 * Bounded on both sides: at most `maxEntries` ids (the oldest go first) and each for `ttlMs` from
 * when it was learned. An id it has forgotten (or never saw: another gateway replica made it) goes
 * to whichever replica the engine picks, as without affinity.
 */
export class ReplicaAffinity {
  /** Insertion order is age order: a Map iterates oldest first. */
  private readonly holders = new Map<string, { replica: string; until: number }>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly ttlMs = 6 * 3600 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(id: string, replica: string): void {
    this.holders.delete(id);
    this.holders.set(id, { replica, until: this.now() + this.ttlMs });
    while (this.holders.size > this.maxEntries) this.holders.delete(this.holders.keys().next().value as string);
    // Expired ones at the old end go as new ones come, so memory follows the live ids.
    for (const [oldest, entry] of this.holders) {
      if (entry.until > this.now()) break;
      this.holders.delete(oldest);
    }
  }

  /** The replica (its URL) that holds `id`, if known and not expired. */
  holder(id: string): string | undefined {
    const entry = this.holders.get(id);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.holders.delete(id);
      return undefined;
    }
    return entry.replica;
  }

  get size(): number {
    return this.holders.size;
  }
}
