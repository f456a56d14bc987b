// Who is asking: the request context built from an identity token (validated the way
// keystonemiddleware does, GET /v3/auth/tokens with X-Subject-Token, cached briefly) or,
// with auth_strategy "noauth", from trusted X-Project-Id / X-User-Id / X-Roles headers.
import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { ImageServiceConfig } from './config.js';
import { GlanceError, unauthorized } from './errors.js';

export interface RequestContext {
  projectId: string | null;
  userId: string | null;
  roles: string[];
  isAdmin: boolean;
  token: string | null;
}

interface CachedToken {
  context: RequestContext;
  until_ms: number;
}

const MAX_CACHED_TOKENS = 10_000;

export interface KeystoneToken {
  project?: { id: string; name?: string };
  user?: { id: string; name?: string };
  roles?: { id?: string; name: string }[];
  /** Keystone's mark of the admin project; absent means Keystone has none configured (oslo.context reads that as true). */
  is_admin_project?: boolean;
  expires_at?: string;
  catalog?: { type: string; name?: string; endpoints: { interface: string; region?: string; region_id?: string; url: string }[] }[];
}

export class Authenticator {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly config: ImageServiceConfig,
    private readonly dispatcher?: Dispatcher,
  ) {}

  async context(headers: Record<string, string | string[] | undefined>): Promise<RequestContext> {
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (this.config.auth_strategy === 'noauth') {
      const roles = (header('x-roles') ?? '').split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
      return {
        projectId: header('x-project-id') ?? header('x-tenant-id') ?? null,
        userId: header('x-user-id') ?? null,
        roles,
        isAdmin: roles.includes('admin'),
        token: header('x-auth-token') ?? null,
      };
    }
    const token = header('x-auth-token');
    if (!token) throw unauthorized();
    return this.validate(token);
  }

  private async validate(token: string): Promise<RequestContext> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until_ms > now) return cached.context;
    this.cache.delete(key);

    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.config.identity_url}/auth/tokens`, {
        method: 'GET',
        headers: { 'x-auth-token': token, 'x-subject-token': token, accept: 'application/json' },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      throw new GlanceError(503, `The identity service could not be reached to validate the token: ${(err as Error).message}`);
    }
    if (res.statusCode === 401 || res.statusCode === 404 || res.statusCode === 403) {
      await res.body.dump();
      throw unauthorized('The token is not valid or has expired.');
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new GlanceError(503, `The identity service answered ${res.statusCode} when validating the token`);
    }
    const body = (await res.body.json()) as { token?: KeystoneToken };
    const t = body.token ?? {};
    const roles = (t.roles ?? []).map((r) => r.name.toLowerCase());
    const context: RequestContext = {
      projectId: t.project?.id ?? null,
      userId: t.user?.id ?? null,
      roles,
      // Image admin (every image, any owner) is a cloud-admin power: the admin role counts
      // only on the admin project, as identity's own policy has it (docs/security.md).
      isAdmin: roles.includes('admin') && t.is_admin_project !== false,
      token,
    };
    const expires = t.expires_at ? Date.parse(t.expires_at) : Number.POSITIVE_INFINITY;
    const until = Math.min(now + this.config.token_cache_s * 1000, Number.isNaN(expires) ? now : expires);
    if (this.cache.size >= MAX_CACHED_TOKENS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { context, until_ms: until });
    return context;
  }
}
