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
  constructor(private readonly options: JwtVerifierOptions) {}

  /** Returns the claims, or null for any invalid, expired or foreign token. */
  verify(token: string): AccessTokenClaims | null {
    try {
      const claims = jwt.verify(token, this.options.publicKey, {
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
