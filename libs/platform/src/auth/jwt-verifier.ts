import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessTokenClaims {
  /** The user id. */
  readonly sub: string;
  readonly email?: string;
}

export interface JwtVerifierOptions {
  readonly publicKey: string;
  readonly issuer: string;
  readonly audience: string;
}

/**
 * Verifies access tokens locally with the user-service's public key: RS256 only (never `none`, never
 * an HMAC with the public key as secret), and the issuer and audience must match.
 */
export class JwtVerifier {
  /**
   * The key parsed once: given the PEM text, jsonwebtoken parses it on every verify (createPublicKey
   * was ~1.5 s of order-service's 44 s CPU in bench:shop). Text that is no key stays text, and every
   * verify then fails as before.
   */
  private readonly key: KeyObject | string;

  constructor(private readonly options: JwtVerifierOptions) {
    this.key = parsedKey(options.publicKey);
  }

  /** Returns the claims, or null for any invalid, expired or foreign token. */
  verify(token: string): AccessTokenClaims | null {
    try {
      const claims = jwt.verify(token, this.key, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      });
      // Every service keys users by UUID: a token for anything else is not ours.
      if (typeof claims !== 'object' || typeof claims.sub !== 'string' || !USER_ID.test(claims.sub)) return null;
      return { sub: claims.sub, email: typeof claims.email === 'string' ? claims.email : undefined };
    } catch {
      return null;
    }
  }
}

function parsedKey(pem: string): KeyObject | string {
  try {
    return createPublicKey(pem);
  } catch {
    return pem;
  }
}
