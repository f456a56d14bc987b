// Authentication and token validation: who a POST /v3/auth/tokens body proves to be, the
// token issued for it, and the live state behind any token presented later. A token is
// good only while it is unexpired and unrevoked, its user and project still exist and are
// enabled, and (when scoped) the user still holds a role on the project: roles are read
// at validation time, so removing an assignment takes effect at once.
import { KeystoneError, badRequest, tooManyAttempts, unauthorized } from './errors.js';
import { FailureLimiter } from './rate-limit.js';
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
}

export const ADMIN_ROLE = 'admin';
export const ADMIN_PROJECT = 'admin';
export const DEFAULT_DOMAIN = 'default';

/** The caller holds the admin role on the project of its token (Keystone's "admin_required"). */
export const isAdmin = (ctx: TokenContext) => ctx.project !== undefined && ctx.roles.some((r) => r.name === ADMIN_ROLE);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class AuthService {
  private readonly perUser: FailureLimiter;
  private readonly perSource: FailureLimiter;

  constructor(
    private readonly store: Store,
    private readonly signer: TokenSigner,
    private readonly config: IdentitySettings,
  ) {
    const windowMs = config.failed_auth_window_s * 1000;
    this.perUser = new FailureLimiter(config.max_failed_auth_per_user, windowMs);
    this.perSource = new FailureLimiter(config.max_failed_auth_per_source, windowMs);
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
    const user = this.store.get('user', claims.u);
    if (!user || !user.enabled || claims.iat < user.tokens_valid_after_ms) return null;
    if (this.store.get('domain', user.domain_id)?.enabled === false) return null;
    if (claims.p === undefined) return { token, claims, user, project: undefined, roles: [] };
    const project = this.store.get('project', claims.p);
    if (!project || !project.enabled) return null;
    const roles = this.rolesOn(user.id, project.id);
    if (roles.length === 0) return null;
    return { token, claims, user, project, roles };
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
    const claims: TokenClaims = {
      u: user.id,
      ...(project ? { p: project.id } : {}),
      m: inherited ? [...new Set([...inherited.m, 'token'])] : ['password'],
      iat: nowMs,
      // A rescoped token lives no longer than the token it came from.
      exp: inherited ? inherited.exp : nowMs + this.config.token_life_s * 1000,
      a: inherited ? [newAuditId(), inherited.a[0]!] : [newAuditId()],
    };
    const token = this.signer.sign(claims);
    const ctx = this.validate(token, nowMs);
    if (!ctx) throw unauthorized();
    return ctx;
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
    const sourceKey = `source:${source}`;
    const wait = Math.max(this.perUser.retryAfterS(userKey), this.perSource.retryAfterS(sourceKey));
    if (wait > 0) throw tooManyAttempts(wait);
    const ok = await verifyPassword(spec.password, user?.password_hash ?? null, this.config.scrypt_cost);
    if (!ok || !user || !user.enabled) {
      this.perUser.recordFailure(userKey);
      this.perSource.recordFailure(sourceKey);
      throw unauthorized();
    }
    this.perUser.reset(userKey);
    return user;
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
      const project = this.store.get('project', user.default_project_id);
      return project?.enabled && this.rolesOn(user.id, project.id).length > 0 ? project : undefined;
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
    if (!project || !project.enabled || this.rolesOn(user.id, project.id).length === 0) throw unauthorized();
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
              is_admin_project: project.name === ADMIN_PROJECT && project.domain_id === DEFAULT_DOMAIN,
              roles: ctx.roles.map((r) => ({ id: r.id, name: r.name })),
            }
          : {}),
        ...(withCatalog ? { catalog: catalogFor(this.store, project?.id) } : {}),
      },
    };
  }
}
