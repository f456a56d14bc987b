// Keystone tokens at the proxy, as Swift's keystoneauth (with keystonemiddleware's
// authtoken) does it: a token that is not tempauth's is validated with the identity
// service (GET /v3/auth/tokens, the token checking itself), and the result cached briefly
// so identity is not on every request's path. The roles in the token decide the access:
//   admin or member (operator roles) → owner of the project's account AUTH_<project_id>;
//   admin on the admin project       → reseller admin (any account);
//   reader                           → read-only (GET/HEAD) on the project's account;
// plus keystoneauth's ACL names "<project>:<user>" (ids or names, "*" for either).
// S3 requests signed with an EC2 credential are looked up here too (ec2Credential).
import { createHash } from 'node:crypto';
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

  /** The proxy's own token (user `swift` of project `service`), renewed before it expires. */
  private async ownToken(): Promise<string> {
    if (this.serviceToken && this.serviceToken.expiresMs - RENEW_MARGIN_MS > Date.now()) return this.serviceToken.token;
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

  /** The secret and owner of an EC2 access key, or null when identity has no such credential. */
  ec2Credential(access: string): Promise<Ec2Credential | null> {
    return this.credentials.get(access, async () => {
      if (this.settings.servicePassword === '') return null;
      const auth = { 'x-auth-token': await this.ownToken() };
      const id = createHash('sha256').update(access).digest('hex');
      const cred = await this.call('GET', `/credentials/${id}`, auth);
      if (cred.status === 404) return null;
      if (cred.status !== 200) throw this.unavailable(`credential lookup answered ${cred.status}`);
      const c = (cred.json as { credential: { type: string; user_id: string; project_id: string; blob: string } }).credential;
      const blob = JSON.parse(c.blob) as { access: string; secret: string };
      if (c.type !== 'ec2' || blob.access !== access) return null;
      const query = `user.id=${encodeURIComponent(c.user_id)}&scope.project.id=${encodeURIComponent(c.project_id)}&include_names=true`;
      const roles = await this.call('GET', `/role_assignments?${query}`, auth);
      if (roles.status !== 200) throw this.unavailable(`role lookup answered ${roles.status}`);
      type Assignment = { role: { name: string }; user: { id: string; name: string }; scope: { project: { id: string; name: string; domain?: { id: string } } } };
      const assignments = (roles.json as { role_assignments: Assignment[] }).role_assignments;
      // No role left on the project: the credential no longer grants anything.
      if (assignments.length === 0) return null;
      const { user, scope } = assignments[0]!;
      const isAdminProject = scope.project.name === 'admin' && scope.project.domain?.id === 'default';
      const identity = identityOf(user, scope.project, assignments.map((a) => a.role.name), isAdminProject);
      const value = { secret: blob.secret, account: `${RESELLER_PREFIX}${c.project_id}`, identity };
      return { value, untilMs: Date.now() + this.settings.cacheS * 1000 };
    });
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
