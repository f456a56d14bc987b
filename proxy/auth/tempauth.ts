// Tempauth: users from config, tokens from GET /auth/v1.0, and the identity behind the
// X-Auth-Token of each request. Tokens are signed rather than stored: any proxy holding
// the same token_secret verifies any other proxy's tokens, and a token dies with its
// expiry or when its user's key changes (the key is part of the signature).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { quoteName } from '../../common/paths.js';
import type { UserEntry } from '../config.js';
import type { Identity } from '../swift/request.js';
import { SwiftError, realmHeader, unauthorized } from '../errors.js';
import type { AuthAttempts } from './attempts.js';

export const RESELLER_PREFIX = 'AUTH_';
const TOKEN_PREFIX = `${RESELLER_PREFIX}tk`;
const SIGNATURE_BYTES = 24;

export interface AuthResponse {
  status: number;
  headers: Record<string, string>;
}

export class TempAuth {
  constructor(
    private readonly users: ReadonlyMap<string, UserEntry>,
    private readonly secret: string,
    private readonly tokenLifeS: number,
    private readonly attempts: AuthAttempts,
  ) {}

  private sign(payload: string, userKey: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).update('\n').update(userKey).digest().subarray(0, SIGNATURE_BYTES);
  }

  issueToken(accountUser: string, nowS = Math.floor(Date.now() / 1000)): { token: string; expiresS: number } {
    const user = this.users.get(accountUser);
    if (!user) throw new Error(`no user ${accountUser}`);
    const expiresS = nowS + this.tokenLifeS;
    const payload = `${expiresS}:${accountUser}`;
    const token = `${TOKEN_PREFIX}${Buffer.from(payload).toString('base64url')}.${this.sign(payload, user.key).toString('base64url')}`;
    return { token, expiresS };
  }

  /** The user a token was issued to, or null when it is forged, expired or its user is gone. */
  verifyToken(token: string, nowS = Date.now() / 1000): string | null {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const [encodedPayload, encodedSig, ...rest] = token.slice(TOKEN_PREFIX.length).split('.');
    if (!encodedPayload || !encodedSig || rest.length > 0) return null;
    const payload = Buffer.from(encodedPayload, 'base64url').toString();
    const colon = payload.indexOf(':');
    const expiresS = Number(payload.slice(0, colon));
    const accountUser = payload.slice(colon + 1);
    const user = this.users.get(accountUser);
    if (colon < 0 || !Number.isSafeInteger(expiresS) || !user) return null;
    const given = Buffer.from(encodedSig, 'base64url');
    const expected = this.sign(payload, user.key);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return expiresS > nowS ? accountUser : null;
  }

  /** Tempauth's groups: account, account:user, the configured groups, and AUTH_<account> for admins. */
  groupsOf(accountUser: string): string[] {
    const account = accountUser.slice(0, accountUser.indexOf(':'));
    const configured = this.users.get(accountUser)?.groups ?? [];
    const groups = [account, accountUser, ...configured.filter((g) => g !== '.admin')];
    if (configured.includes('.admin')) groups.push(`${RESELLER_PREFIX}${account}`);
    return groups;
  }

  /**
   * The identity behind a request's X-Auth-Token (or X-Storage-Token): null without a token
   * (anonymous, left to ACLs), 401 for a token that does not verify.
   */
  identify(headers: Record<string, string>): Identity | null {
    const token = headers['x-auth-token'] ?? headers['x-storage-token'];
    if (token === undefined || token === '') return null;
    const user = this.verifyToken(token);
    if (!user) throw unauthorized();
    return { user, groups: this.groupsOf(user) };
  }

  /**
   * GET /auth/v1.0 (or /auth/v1.0/, /auth/v1/<account>/auth): X-Auth-User "account:user"
   * and X-Auth-Key (or X-Storage-User / X-Storage-Pass) → a token and the storage URL.
   */
  async getToken(headers: Record<string, string>, hostUrl: string, source: string, urlAccount?: string): Promise<AuthResponse> {
    let accountUser = headers['x-auth-user'] || headers['x-storage-user'] || '';
    // The /auth/v1/<account>/auth form lets X-Storage-User name just the user.
    if (urlAccount !== undefined && !accountUser.includes(':')) accountUser = `${urlAccount}:${accountUser}`;
    const key = headers['x-auth-key'] || headers['x-storage-pass'] || '';
    const colon = accountUser.indexOf(':');
    const account = colon > 0 ? accountUser.slice(0, colon) : '';
    const realm = { 'www-authenticate': realmHeader(account || urlAccount || 'unknown') };
    if (!account || (urlAccount !== undefined && urlAccount !== account)) throw new SwiftError(401, undefined, realm);
    const user = this.users.get(accountUser);
    const keyMatches = await this.attempts.guard(accountUser, source, () => user !== undefined && key !== '' && safeEqual(user.key, key));
    if (!keyMatches) {
      throw new SwiftError(401, undefined, realm);
    }
    const nowS = Math.floor(Date.now() / 1000);
    const { token, expiresS } = this.issueToken(accountUser, nowS);
    return {
      status: 200,
      headers: {
        'x-auth-token': token,
        'x-storage-token': token,
        'x-auth-token-expires': String(expiresS - nowS),
        'x-storage-url': `${hostUrl}/v1/${quoteName(`${RESELLER_PREFIX}${account}`)}`,
      },
    };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
