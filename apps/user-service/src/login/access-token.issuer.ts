import jwt from 'jsonwebtoken';

export interface AccessTokenIssuerOptions {
  readonly privateKey: string;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export interface AccessToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

/** Signs RS256 access tokens. Only user-service holds the private key; others verify with the public one. */
export class AccessTokenIssuer {
  constructor(private readonly options: AccessTokenIssuerOptions) {}

  issue(user: { id: string; email: string }): AccessToken {
    const accessToken = jwt.sign({ email: user.email }, this.options.privateKey, {
      algorithm: 'RS256',
      issuer: this.options.issuer,
      audience: this.options.audience,
      subject: user.id,
      expiresIn: this.options.ttlSeconds,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.options.ttlSeconds };
  }
}
