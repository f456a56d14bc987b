// Keystone tokens at the proxy, as Swift's keystoneauth (with keystonemiddleware's
// authtoken) does it: a token that is not tempauth's is validated with the identity
// service (GET /v3/auth/tokens, the token checking itself), and the result cached briefly
// so identity is not on every request's path. The roles in the token decide the access:
//   admin or member (operator roles) → owner of the project's account AUTH_<project_id>;
//   admin on the admin project       → reseller admin (any account);
//   reader                           → read-only (GET/HEAD) on the project's account;
// plus keystoneauth's ACL names "<project>:<user>" (ids or names, "*" for either).
// S3 requests signed with an EC2 credential are looked up here too (ec2Credential), the
// way Swift's s3token does it with its secret cache: identity's POST /v3/s3tokens says
// whether the credential still stands (user, project and domains enabled, a role on the
// project) and with which roles; the secret, read once as the service user, is cached
// with that answer for the same lifetime as a token validation.
import { createHash, createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import { SwiftError, unauthorized } from '../errors.js';
import type { Identity } from '../swift/request.js';
import { RESELLER_PREFIX, type TempAuth } from './tempauth.js';

export const OPERATOR_ROLES = ['admin', 'member'];
export const RESELLER_ADMIN_ROLE = 'admin';
export const READER_ROLE = 'reader';
/** The group a reader gets: authorize() (acl.ts) lets it GET and HEAD the account. */
export const readerGroup = (account: string) => `.reader:${account}`;

/** Cached validations at most; past it the oldest are dropped. */
const MAX_CACHED = 10_000;
const TIMEOUT_MS = 5_000;
/** A service token is renewed this long before it expires. */
const RENEW_MARGIN_MS = 60_000;

export interface KeystoneSettings {
  /** Identity's v3 root, e.g. http://127.0.0.1:5000/v3. */
  url: string;
  cacheS: number;
  /** The proxy's own user (project `service`), for looking up EC2 credentials. */
  serviceUser: string;
  servicePassword: string;
  serviceProject: string;
}

interface TokenBody {
  token: {
    user: { id: string; name: string };
    project?: { id: string; name: string };
    roles?: Array<{ name: string }>;
    is_admin_project?: boolean;
    expires_at: string;
  };
}

/** What a user may do, from their user, project and role names. */
export function identityOf(user: { id: string; name: string }, project: { id: string; name: string }, roleNames: string[], isAdminProject: boolean): Identity {
  const roles = roleNames.map((r) => r.toLowerCase());
  const account = `${RESELLER_PREFIX}${project.id}`;
  const groups = [
    `${project.id}:${user.id}`,
    `${project.name}:${user.name}`,
    `${project.id}:*`,
    `${project.name}:*`,
    `*:${user.id}`,
    `*:${user.name}`,
    '*:*',
  ];
  if (roles.some((r) => OPERATOR_ROLES.includes(r))) groups.push(account);
  else if (roles.includes(READER_ROLE)) groups.push(readerGroup(account));
  if (isAdminProject && roles.includes(RESELLER_ADMIN_ROLE)) groups.push('.reseller_admin');
  return { user: `${project.name}:${user.name}`, groups };
}

export interface Ec2Credential {
  secret: string;
  account: string;
  identity: Identity;
}

interface Cached<T> {
  value: T;
  untilMs: number;
}

/** A small time-bounded cache that also joins concurrent lookups of the same key. */
class LookupCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  private readonly pending = new Map<string, Promise<T | null>>();

  async get(key: string, load: () => Promise<Cached<T> | null>): Promise<T | null> {
    const hit = this.entries.get(key);
    if (hit && hit.untilMs > Date.now()) return hit.value;
    if (hit) this.entries.delete(key);
    let wait = this.pending.get(key);
    if (!wait) {
      wait = load()
        .then((loaded) => {
          if (!loaded) return null;
          if (this.entries.size >= MAX_CACHED) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, loaded);
          return loaded.value;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, wait);
    }
    return wait;
  }
}

export class KeystoneAuth {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  private readonly tokens = new LookupCache<Identity>();
  private readonly credentials = new LookupCache<Ec2Credential>();
  private serviceToken: { token: string; expiresMs: number } | null = null;
  private serviceLogin: Promise<string> | null = null;

  constructor(
    private readonly settings: KeystoneSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  private unavailable(err: unknown): SwiftError {
    this.log.warn({ err: String(err), identity: this.settings.url }, 'identity service unreachable');
    return new SwiftError(503, 'The identity service is unavailable; try again later.');
  }

  private async call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    try {
      const res = await request(`${this.settings.url}${path}`, {
        method: method as 'GET',
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        dispatcher: this.agent,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : null };
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** The identity behind a Keystone token: 401 when identity says it is not good, 503 when identity cannot be asked. */
  async identify(token: string): Promise<Identity> {
    const identity = await this.tokens.get(token, async () => {
      const res = await this.call('GET', '/auth/tokens?nocatalog', { 'x-auth-token': token, 'x-subject-token': token });
      if (res.status === 401 || res.status === 403 || res.status === 404) return null;
      if (res.status !== 200) throw this.unavailable(`validation answered ${res.status}`);
      const t = (res.json as TokenBody).token;
      // An unscoped token names no project, so it owns no account; its user may still pass ACLs.
      const project = t.project ?? { id: '', name: '' };
      const value = t.project
        ? identityOf(t.user, project, (t.roles ?? []).map((r) => r.name), t.is_admin_project === true)
        : { user: t.user.name, groups: [`*:${t.user.id}`, `*:${t.user.name}`, '*:*'] };
      return { value, untilMs: Math.min(Date.now() + this.settings.cacheS * 1000, Date.parse(t.expires_at)) };
    });
    if (!identity) throw unauthorized();
    return identity;
  }

  /** The proxy's own token (user `swift` of project `service`), renewed before it expires; concurrent callers share one login. */
  private ownToken(): Promise<string> {
    if (this.serviceToken && this.serviceToken.expiresMs - RENEW_MARGIN_MS > Date.now()) return Promise.resolve(this.serviceToken.token);
    // Identity caps concurrent password checks per user: one login at a time.
    this.serviceLogin ??= this.login().finally(() => {
      this.serviceLogin = null;
    });
    return this.serviceLogin;
  }

  private async login(): Promise<string> {
    const { serviceUser, servicePassword, serviceProject } = this.settings;
    const res = await this.call('POST', '/auth/tokens?nocatalog', {}, {
      auth: {
        identity: { methods: ['password'], password: { user: { name: serviceUser, domain: { id: 'default' }, password: servicePassword } } },
        scope: { project: { name: serviceProject, domain: { id: 'default' } } },
      },
    });
    const token = res.headers['x-subject-token'];
    if (res.status !== 201 || typeof token !== 'string') {
      throw this.unavailable(`the proxy's service user ${serviceUser} could not log in to identity (${res.status})`);
    }
    this.serviceToken = { token, expiresMs: Date.parse((res.json as TokenBody).token.expires_at) };
    return token;
  }

  /**
   * The secret and owner of an EC2 access key: null when identity has no such credential
   * (InvalidAccessKeyId), 403 when it has one that no longer stands (AccessDenied: a
   * disabled or deleted user, project or domain, or no role left on the project).
   */
  ec2Credential(access: string): Promise<Ec2Credential | null> {
    return this.credentials.get(access, async () => {
      if (this.settings.servicePassword === '') return null;
      const id = createHash('sha256').update(access).digest('hex');
      const cred = await this.call('GET', `/credentials/${id}`, { 'x-auth-token': await this.ownToken() });
      if (cred.status === 404) return null;
      if (cred.status !== 200) throw this.unavailable(`credential lookup answered ${cred.status}`);
      const c = (cred.json as { credential: { type: string; blob: string } }).credential;
      const blob = JSON.parse(c.blob) as { access: string; secret: string };
      if (c.type !== 'ec2' || blob.access !== access) return null;
      const t = await this.s3Token(access, blob.secret);
      if (!t.project) throw new SwiftError(403, 'The EC2 credential is not scoped to a project.');
      const identity = identityOf(t.user, t.project, (t.roles ?? []).map((r) => r.name), t.is_admin_project === true);
      const value = { secret: blob.secret, account: `${RESELLER_PREFIX}${t.project.id}`, identity };
      return { value, untilMs: Date.now() + this.settings.cacheS * 1000 };
    });
  }

  /**
   * Identity's verdict on a credential (POST /v3/s3tokens). s3tokens wants a signature by
   * the secret, which the proxy holds: it signs a string of its own (Signature V1 form) —
   * the client's signature is checked locally with the same secret, streaming chunks included.
   */
  private async s3Token(access: string, secret: string): Promise<TokenBody['token']> {
    const stringToSign = Buffer.from(`POST\n\n\n${new Date().toUTCString()}\n/stowage-proxy/credential-check/${access}`);
    const signature = createHmac('sha1', secret).update(stringToSign).digest('base64');
    const res = await this.call('POST', '/s3tokens', {}, { credentials: { access, token: stringToSign.toString('base64url'), signature } });
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      this.log.info({ access, status: res.status }, 'identity refused an EC2 credential');
      throw new SwiftError(403, 'Access denied.');
    }
    if (res.status !== 200) throw this.unavailable(`s3tokens answered ${res.status}`);
    return (res.json as TokenBody).token;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * The identity of a Swift API request: tempauth's tokens (AUTH_tk…) stay tempauth's;
 * any other token goes to identity when the proxy has one configured.
 */
export function requestIdentifier(tempauth: TempAuth, keystone: KeystoneAuth | null) {
  return (headers: Record<string, string>): Identity | null | Promise<Identity> => {
    const token = headers['x-auth-token'] ?? headers['x-storage-token'];
    if (keystone && token && !token.startsWith(RESELLER_PREFIX)) return keystone.identify(token);
    return tempauth.identify(headers);
  };
}
