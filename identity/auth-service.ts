// Authentication and token validation: who a POST /v3/auth/tokens (or /v3/s3tokens) body
// proves to be, the token issued for it, and the live state behind any token presented
// later. A token is good only while it is unexpired and unrevoked, its user and project
// still exist and are enabled (and so are their domains), and (when scoped) the user still
// holds a role on the project: roles are read at validation time, so removing an
// assignment takes effect at once. Password checks go through the brute-force brake.
import { AttemptLimiter, AttemptsExceeded, guardAttempt } from '../common/rate-limit.js';
import { KeystoneError, badRequest, tooManyAttempts, unauthorized } from './errors.js';
import { ec2CredentialId, s3SignatureMatches } from './ec2.js';
import { verifyPassword } from './passwords.js';
import type { ProjectRecord, RoleRecord, Store, UserRecord } from './store.js';
import { TokenSigner, newAuditId, type TokenClaims } from './tokens.js';
import { catalogFor, isoTime } from './views.js';
import type { IdentitySettings } from './config.js';

export interface TokenContext {
  token: string;
  claims: TokenClaims;
  user: UserRecord;
  project: ProjectRecord | undefined;
  roles: RoleRecord[];
  /** The token is scoped to the cloud admin's project (config admin_project_name in the default domain). */
  isAdminProject: boolean;
}

export const ADMIN_ROLE = 'admin';
/** Keystone's role for the services' own users (the proxy reads EC2 secrets with it). */
export const SERVICE_ROLE = 'service';
export const DEFAULT_DOMAIN = 'default';

const hasRole = (ctx: TokenContext, name: string) => ctx.roles.some((r) => r.name === name);

/**
 * The cloud admin: the admin role on the admin project (Keystone's is_admin_project, the
 * stand-in for a system-scoped admin). Only it administers identity: users, projects,
 * domains, roles, assignments, the catalog, anybody's credentials. The admin role on any
 * other project administers that project in the services (its Swift account), nothing here.
 */
export const isCloudAdmin = (ctx: TokenContext) => ctx.isAdminProject && hasRole(ctx, ADMIN_ROLE);

/** A service of the cloud, or the cloud admin (Keystone's "service_or_admin"). */
export const isServiceOrCloudAdmin = (ctx: TokenContext) => isCloudAdmin(ctx) || hasRole(ctx, SERVICE_ROLE);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class AuthService {
  private readonly perUser: AttemptLimiter;
  private readonly perSource: AttemptLimiter;

  constructor(
    private readonly store: Store,
    private readonly signer: TokenSigner,
    private readonly config: IdentitySettings,
  ) {
    const windowMs = config.failed_auth_window_s * 1000;
    this.perUser = new AttemptLimiter({ maxFailures: config.max_failed_auth_per_user, windowMs, maxConcurrent: config.max_concurrent_auth_per_user });
    this.perSource = new AttemptLimiter({ maxFailures: config.max_failed_auth_per_source, windowMs, maxConcurrent: config.max_concurrent_auth_per_source });
  }

  /** The user while it may act: it exists, is enabled, and so is its domain (Keystone's assert_user_enabled). */
  liveUser(id: string): UserRecord | undefined {
    const user = this.store.get('user', id);
    return user?.enabled && this.store.get('domain', user.domain_id)?.enabled !== false ? user : undefined;
  }

  /** The project while it may be used: it exists, is enabled, and so is its domain (Keystone's assert_project_enabled). */
  liveProject(id: string): ProjectRecord | undefined {
    const project = this.store.get('project', id);
    return project?.enabled && this.store.get('domain', project.domain_id)?.enabled !== false ? project : undefined;
  }

  isAdminProject(project: ProjectRecord): boolean {
    return project.name === this.config.admin_project_name && project.domain_id === DEFAULT_DOMAIN;
  }

  /** Roles the user holds on the project. */
  rolesOn(userId: string, projectId: string): RoleRecord[] {
    const roles: RoleRecord[] = [];
    for (const a of this.store.all('assignment')) {
      if (a.user_id !== userId || a.project_id !== projectId) continue;
      const role = this.store.get('role', a.role_id);
      if (role) roles.push(role);
    }
    return roles;
  }

  /** The live context of a token, or null when it is no longer (or never was) good. */
  validate(token: string, nowMs = Date.now()): TokenContext | null {
    const claims = this.signer.verify(token);
    if (!claims || claims.exp <= nowMs) return null;
    if (claims.a.some((id) => this.store.get('revocation', id) !== undefined)) return null;
    const user = this.liveUser(claims.u);
    if (!user || claims.iat < user.tokens_valid_after_ms) return null;
    if (claims.p === undefined) return { token, claims, user, project: undefined, roles: [], isAdminProject: false };
    const project = this.liveProject(claims.p);
    if (!project) return null;
    const roles = this.rolesOn(user.id, project.id);
    if (roles.length === 0) return null;
    return { token, claims, user, project, roles, isAdminProject: this.isAdminProject(project) };
  }

  /** POST /v3/auth/tokens: checks the identity and scope of the request body, returns the new token's context. */
  async authenticate(body: unknown, source: string): Promise<TokenContext> {
    const auth = isRecord(body) && isRecord(body.auth) ? body.auth : null;
    const identity = auth && isRecord(auth.identity) ? auth.identity : null;
    const methods = identity?.methods;
    if (!auth || !identity || !Array.isArray(methods) || methods.length === 0) {
      throw badRequest('Expecting to find auth.identity.methods in the request body.');
    }
    let user: UserRecord;
    let inherited: TokenClaims | null = null;
    if (methods.includes('password')) {
      user = await this.passwordUser(identity.password, source);
    } else if (methods.includes('token')) {
      const token = isRecord(identity.token) ? identity.token.id : undefined;
      if (typeof token !== 'string') throw badRequest('Expecting to find auth.identity.token.id in the request body.');
      const ctx = this.validate(token);
      if (!ctx) throw unauthorized();
      user = ctx.user;
      inherited = ctx.claims;
    } else {
      throw new KeystoneError(401, 'Unauthorized', `Unsupported authentication method: ${methods.map(String).join(', ')}.`);
    }
    const project = this.scopeProject(auth.scope, user);
    const nowMs = Date.now();
    return this.issue({
      u: user.id,
      ...(project ? { p: project.id } : {}),
      m: inherited ? [...new Set([...inherited.m, 'token'])] : ['password'],
      iat: nowMs,
      // A rescoped token lives no longer than the token it came from.
      exp: inherited ? inherited.exp : nowMs + this.config.token_life_s * 1000,
      a: inherited ? [newAuditId(), inherited.a[0]!] : [newAuditId()],
    });
  }

  /** Signs the claims and returns the new token's live context: the same checks as any later validation. */
  private issue(claims: TokenClaims): TokenContext {
    const token = this.signer.sign(claims);
    const ctx = this.validate(token, claims.iat);
    if (!ctx) throw unauthorized();
    return ctx;
  }

  /**
   * POST /v3/s3tokens, as Keystone answers Swift's s3token middleware: the access key's EC2
   * credential, the signature of the string the client signed, then the credential's user
   * and project (enabled, their domains too) and the user's roles there, checked now. The
   * answer is a token of the user on the credential's project.
   */
  async s3Authenticate(body: unknown, source: string): Promise<TokenContext> {
    if (!isRecord(body) || Object.keys(body).length === 0) throw badRequest('request must include a request body');
    // Keystone accepts all three names.
    const credentials = body.credentials ?? body.credential ?? body.ec2Credentials;
    if (!isRecord(credentials) || typeof credentials.access !== 'string') throw unauthorized();
    const record = this.store.get('credential', ec2CredentialId(credentials.access));
    // 404, not 401, as Keystone answers an unknown access key.
    if (!record || record.type !== 'ec2' || record.project_id === null) throw new KeystoneError(404, 'Not Found', 'EC2 access key not found.');
    const { token, signature } = credentials;
    const { secret } = JSON.parse(record.blob) as { secret: string };
    // An EC2 secret is as guessable here as a password at /v3/auth/tokens: the same brake.
    const matches = () => typeof token === 'string' && typeof signature === 'string' && s3SignatureMatches(token, signature, secret);
    if (!(await this.guarded(`ec2:${record.id}`, source, matches))) throw unauthorized();
    const nowMs = Date.now();
    // issue() refuses a disabled or deleted user or project (or domain) and a user without a role there.
    return this.issue({ u: record.user_id, p: record.project_id, m: ['ec2credential'], iat: nowMs, exp: nowMs + this.config.token_life_s * 1000, a: [newAuditId()] });
  }

  private async passwordUser(password: unknown, source: string): Promise<UserRecord> {
    const spec = isRecord(password) && isRecord(password.user) ? password.user : null;
    if (!spec || typeof spec.password !== 'string') throw badRequest('Expecting to find auth.identity.password.user with a password in the request body.');
    let user: UserRecord | undefined;
    let userKey: string;
    if (typeof spec.id === 'string') {
      user = this.store.get('user', spec.id);
      userKey = `id:${spec.id}`;
    } else if (typeof spec.name === 'string') {
      const domainId = this.domainIdOf(spec.domain);
      user = this.store.find('user', (u) => u.name === spec.name && u.domain_id === domainId);
      userKey = `name:${domainId}/${spec.name}`;
    } else {
      throw badRequest('Expecting to find auth.identity.password.user.id or name in the request body.');
    }
    if (user) userKey = `id:${user.id}`;
    // A disabled user (or one of a disabled domain) is checked against no hash: it fails like a wrong password, taking as long.
    const live = user && this.liveUser(user.id);
    const ok = await this.checkPassword(userKey, live?.password_hash ?? null, spec.password, source);
    if (!ok || !live) throw unauthorized();
    return live;
  }

  /**
   * Whether `password` matches `hash`, under the brute-force brake: the attempt is counted
   * for the user and the source before scrypt runs, and refused (429) without hashing when
   * either is over its limit of failures or of checks in flight. A right password refunds
   * the attempt and forgets the user's failures, not the source's: one valid account must
   * not unlock guessing others from the same place.
   */
  checkPassword(userKey: string, hash: string | null, password: string, source: string): Promise<boolean> {
    return this.guarded(userKey, source, () => verifyPassword(password, hash, this.config.scrypt_cost));
  }

  /** `verify` as one attempt of `key` (a user, a credential) from `source`, or 429 past either's limit. */
  private async guarded(key: string, source: string, verify: () => Promise<boolean> | boolean): Promise<boolean> {
    const budgets = [
      [this.perUser, key],
      [this.perSource, `source:${source}`],
    ] as const;
    try {
      return await guardAttempt(budgets, verify, key);
    } catch (err) {
      if (err instanceof AttemptsExceeded) throw tooManyAttempts(err.retryAfterS);
      throw err;
    }
  }

  /** A domain reference {id} or {name}; unknown domains fail authentication like a wrong password. */
  private domainIdOf(ref: unknown): string {
    if (!isRecord(ref)) throw badRequest('Expecting to find domain in user or project.');
    if (typeof ref.id === 'string') return ref.id;
    if (typeof ref.name === 'string') {
      const name = ref.name;
      return this.store.find('domain', (d) => d.name === name || d.id === name)?.id ?? `unknown:${name}`;
    }
    throw badRequest('Expecting to find domain id or name.');
  }

  /** The project a token is scoped to: the request's scope, else the user's default project, else none. */
  private scopeProject(scope: unknown, user: UserRecord): ProjectRecord | undefined {
    if (scope === undefined || scope === 'unscoped') {
      if (!user.default_project_id) return undefined;
      const project = this.liveProject(user.default_project_id);
      return project && this.rolesOn(user.id, project.id).length > 0 ? project : undefined;
    }
    if (!isRecord(scope)) throw badRequest('auth.scope must be an object.');
    if (scope.domain !== undefined || scope.system !== undefined || scope['OS-TRUST:trust'] !== undefined) {
      throw badRequest('Only project-scoped and unscoped tokens are supported.');
    }
    const ref = isRecord(scope.project) ? scope.project : null;
    if (!ref) throw badRequest('Expecting to find auth.scope.project.');
    let project: ProjectRecord | undefined;
    if (typeof ref.id === 'string') project = this.store.get('project', ref.id);
    else if (typeof ref.name === 'string') {
      const domainId = this.domainIdOf(ref.domain);
      project = this.store.find('project', (p) => p.name === ref.name && p.domain_id === domainId);
    } else throw badRequest('Expecting to find auth.scope.project.id or name.');
    if (!project || !this.liveProject(project.id) || this.rolesOn(user.id, project.id).length === 0) throw unauthorized();
    return project;
  }

  /** Records the token's audit id as revoked; the record lives until the token would have expired. */
  async revoke(ctx: TokenContext): Promise<void> {
    await this.store.put('revocation', { id: ctx.claims.a[0]!, expires_ms: ctx.claims.exp });
  }

  /** Revocation records of tokens that have expired anyway are no longer needed. */
  async pruneRevocations(nowMs = Date.now()): Promise<void> {
    const stale = this.store.all('revocation').filter((r) => r.expires_ms <= nowMs);
    await this.store.write(stale.map((r) => ({ op: 'del' as const, kind: 'revocation' as const, id: r.id })));
  }

  /** The token document (POST and GET /v3/auth/tokens). */
  tokenBody(ctx: TokenContext, withCatalog: boolean) {
    const { claims, user, project } = ctx;
    const domainRef = (id: string) => ({ id, name: this.store.get('domain', id)?.name ?? id });
    return {
      token: {
        methods: claims.m,
        user: { id: user.id, name: user.name, domain: domainRef(user.domain_id), password_expires_at: null },
        audit_ids: claims.a,
        expires_at: isoTime(claims.exp),
        issued_at: isoTime(claims.iat),
        ...(project
          ? {
              project: { id: project.id, name: project.name, domain: domainRef(project.domain_id) },
              is_domain: false,
              is_admin_project: ctx.isAdminProject,
              roles: ctx.roles.map((r) => ({ id: r.id, name: r.name })),
            }
          : {}),
        ...(withCatalog ? { catalog: catalogFor(this.store, project?.id) } : {}),
      },
    };
  }
}
