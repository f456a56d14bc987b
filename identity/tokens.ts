// Token format: base64url(JSON claims) "." base64url(HMAC-SHA256(claims)). Tokens are not
// stored: any identity process holding the signing key verifies them, so they survive a
// restart. Whether the user, project and roles still exist, and whether the token was
// revoked, is checked against the database on every validation (see auth-service.ts).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface TokenClaims {
  /** user id */
  u: string;
  /** project id, absent for an unscoped token */
  p?: string;
  /** authentication methods ("password", "token") */
  m: string[];
  /** issued at, expires at (ms since the epoch) */
  iat: number;
  exp: number;
  /** audit ids: this token's, then the one it was rescoped from */
  a: string[];
}

/** Biggest token accepted for verification: nothing we issue comes near it. */
const MAX_TOKEN_CHARS = 2048;

export function newAuditId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export class TokenSigner {
  constructor(private readonly key: Buffer) {}

  /** The key in <data dir>/token-signing.key, made (readable by the owner only) on first start. */
  static fromKeyFile(path: string): TokenSigner {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length < 32) throw new Error(`${path}: the token signing key must hold at least 32 bytes (base64)`);
    return new TokenSigner(key);
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }

  sign(claims: TokenClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claims of a token this key signed, or null when it is malformed or tampered with (expiry is the caller's check). */
  verify(token: string): TokenClaims | null {
    if (token.length > MAX_TOKEN_CHARS) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
      const valid =
        typeof claims.u === 'string' &&
        (claims.p === undefined || typeof claims.p === 'string') &&
        Array.isArray(claims.m) &&
        Array.isArray(claims.a) &&
        Number.isFinite(claims.iat) &&
        Number.isFinite(claims.exp);
      return valid ? claims : null;
    } catch {
      return null;
    }
  }
}
