import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <key>` against the configured keys' SHA-256 digests. Hashing
 * first gives equal-length inputs to timingSafeEqual (which throws on unequal lengths), and
 * every digest is compared, so the time taken says nothing about which part was wrong.
 */
export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(digestsHex: readonly string[]) {
    this.digests = digestsHex.map((d) => Buffer.from(d, 'hex'));
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  verify(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const offered = createHash('sha256').update(match ? match[1] : '', 'utf8').digest();
    let ok = false;
    for (const digest of this.digests) ok = timingSafeEqual(offered, digest) || ok;
    return ok && match !== null;
  }
}
