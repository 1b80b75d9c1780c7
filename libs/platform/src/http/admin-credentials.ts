import { createHash, timingSafeEqual } from 'node:crypto';

/** The header an operator sends the admin token in. */
export const ADMIN_TOKEN_HEADER = 'X-Admin-Token';

/** The admin token (ADMIN_TOKEN), and the one way to check a presented token against it. */
export class AdminCredentials {
  private readonly expectedDigest: Buffer | null;

  constructor(adminToken: string | undefined) {
    this.expectedDigest = adminToken ? digest(adminToken) : null;
  }

  /** False when no ADMIN_TOKEN is configured: the admin endpoints are then switched off. */
  get enabled(): boolean {
    return this.expectedDigest !== null;
  }

  /**
   * Compares in constant time. Both sides are hashed first, so the comparison always runs over two
   * equal-length digests and reveals neither where a guess went wrong nor how long the token is.
   */
  accepts(presented: string | undefined): boolean {
    if (!this.expectedDigest || presented === undefined) return false;
    return timingSafeEqual(digest(presented), this.expectedDigest);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
