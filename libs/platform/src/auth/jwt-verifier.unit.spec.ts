import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { JwtVerifier } from './jwt-verifier.js';

const keys = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const { privateKey, publicKey } = keys();
const verifier = new JwtVerifier({ publicKey, issuer: 'iss', audience: 'aud' });
const sign = (options: jwt.SignOptions = {}, key: string = privateKey) =>
  jwt.sign({ email: 'a@b.c' }, key, { algorithm: 'RS256', issuer: 'iss', audience: 'aud', subject: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10', expiresIn: 60, ...options });

describe('JwtVerifier', () => {
  it('accepts a token signed by the private key with the right issuer and audience', () => {
    expect(verifier.verify(sign())).toEqual({ sub: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10', email: 'a@b.c' });
  });

  it.each([
    ['another issuer', () => sign({ issuer: 'evil' })],
    ['another audience', () => sign({ audience: 'other' })],
    ['an expired token', () => sign({ expiresIn: -10 })],
    ['another key pair', () => sign({}, keys().privateKey)],
    ['a subject that is not a user id', () => sign({ subject: 'admin' })],
    ['no subject', () => jwt.sign({}, privateKey, { algorithm: 'RS256', issuer: 'iss', audience: 'aud' })],
    ['alg none', () => jwt.sign({ sub: 'user-1' }, '', { algorithm: 'none', issuer: 'iss', audience: 'aud' })],
    // The classic confusion attack: HMAC "signed" with the public key as the secret.
    ['HS256 with the public key as secret', () => jwt.sign({ sub: 'user-1' }, publicKey, { algorithm: 'HS256', issuer: 'iss', audience: 'aud' })],
    ['garbage', () => 'not.a.jwt'],
  ])('rejects %s', (_, token) => {
    let value: string;
    try {
      value = token();
    } catch {
      // jsonwebtoken itself refuses to build some of these; that is a rejection too.
      return;
    }
    expect(verifier.verify(value)).toBeNull();
  });
});
