// The identity service as a real process for tests: its own config file and data
// directory, an ephemeral port (kept across restarts), the bootstrap admin's credentials,
// and small helpers to log in and call the Keystone API as a client would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { Child } from '../proxy/harness.js';

const IDENTITY = fileURLToPath(new URL('../../identity/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface IdentityOptions {
  /** Extra keys of the config file's `identity` section (token_life_s, object_store_url…). */
  identity?: Record<string, unknown>;
}

export interface Credentials {
  username: string;
  password: string;
  project: string;
  domain: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
}

export interface Login {
  token: string;
  userId: string;
  projectId: string | undefined;
  body: any;
}

export class RunningIdentity {
  private child: Child | null = null;
  /** The log tail of the last process, once it is stopped. */
  private lastLogs = '';
  url = '';

  constructor(
    readonly dir: string,
    readonly configPath: string,
    readonly admin: Credentials,
    readonly servicePassword: string,
  ) {}

  /** The Keystone v3 root clients are given (OS_AUTH_URL). */
  get v3(): string {
    return `${this.url}/v3`;
  }

  async start(): Promise<void> {
    const port = this.url === '' ? '0' : new URL(this.url).port;
    this.child = await Child.spawn('identity', IDENTITY, ['--config', this.configPath, '--bind-ip', '127.0.0.1', '--port', port], READY_TIMEOUT_MS);
    this.url = String(this.child.ready.url);
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    this.child = null;
    if (!child) return null;
    const code = await child.stop('SIGTERM');
    this.lastLogs = child.logTail;
    return code;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the process and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get logs(): string {
    return this.child?.logTail ?? this.lastLogs;
  }

  /**
   * A Keystone API call; `path` is relative to the service root ("/v3/projects"). `source`
   * is the loopback address to connect from (any of 127/8), for tests of per-source limits.
   */
  async request(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; source?: string } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers['x-auth-token'] = options.token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const dispatcher = options.source ? new Agent({ connect: { localAddress: options.source } }) : undefined;
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(dispatcher ? { dispatcher } : {}),
    }).finally(() => dispatcher?.close());
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, json };
  }

  /** POST /v3/auth/tokens with a password, scoped to `project` (by name, domain Default) unless it is null. */
  async login(username: string, password: string, project: string | null, source?: string): Promise<ApiResponse> {
    return this.request('POST', '/v3/auth/tokens', {
      ...(source ? { source } : {}),
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: username, domain: { name: 'Default' }, password } } },
          ...(project !== null ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
        },
      },
    });
  }

  /** Logs in and returns the token, or throws with the answer. */
  async token(username: string, password: string, project: string | null): Promise<Login> {
    const res = await this.login(username, password, project);
    if (res.status !== 201) throw new Error(`login as ${username} answered ${res.status}: ${JSON.stringify(res.json)}`);
    return { token: res.headers.get('x-subject-token')!, userId: res.json.token.user.id, projectId: res.json.token.project?.id, body: res.json };
  }

  /** The admin's project-scoped token. */
  adminToken(): Promise<Login> {
    return this.token(this.admin.username, this.admin.password, this.admin.project);
  }

  /**
   * As the admin: a project, a user with a password and a role on it. Returns their ids and
   * a token of the user scoped to the project.
   */
  async makeUser(project: string, username: string, password: string, role = 'member'): Promise<{ projectId: string; userId: string; login: Login }> {
    const admin = (await this.adminToken()).token;
    let projectId: string;
    const existing = await this.request('GET', `/v3/projects?name=${encodeURIComponent(project)}`, { token: admin });
    if (existing.json.projects.length > 0) projectId = existing.json.projects[0].id;
    else {
      const created = await this.request('POST', '/v3/projects', { token: admin, body: { project: { name: project, domain_id: 'default' } } });
      if (created.status !== 201) throw new Error(`project create answered ${created.status}`);
      projectId = created.json.project.id;
    }
    const user = await this.request('POST', '/v3/users', { token: admin, body: { user: { name: username, password, domain_id: 'default' } } });
    if (user.status !== 201) throw new Error(`user create answered ${user.status}: ${JSON.stringify(user.json)}`);
    const roles = await this.request('GET', `/v3/roles?name=${role}`, { token: admin });
    const roleId = roles.json.roles[0].id;
    const grant = await this.request('PUT', `/v3/projects/${projectId}/users/${user.json.user.id}/roles/${roleId}`, { token: admin });
    if (grant.status !== 204) throw new Error(`role grant answered ${grant.status}`);
    return { projectId, userId: user.json.user.id, login: await this.token(username, password, project) };
  }

  /** Points the catalog's endpoints of a service type at `url` (e.g. a test proxy on an ephemeral port). */
  async setEndpoint(type: string, url: string): Promise<void> {
    const admin = (await this.adminToken()).token;
    const services = await this.request('GET', `/v3/services?type=${encodeURIComponent(type)}`, { token: admin });
    const serviceId = services.json.services[0].id;
    const endpoints = await this.request('GET', `/v3/endpoints?service_id=${serviceId}`, { token: admin });
    for (const e of endpoints.json.endpoints) {
      const res = await this.request('PATCH', `/v3/endpoints/${e.id}`, { token: admin, body: { endpoint: { url } } });
      if (res.status !== 200) throw new Error(`endpoint update answered ${res.status}`);
    }
  }
}

/**
 * Starts an identity process on 127.0.0.1 (ephemeral port) with fresh data and bootstrap
 * passwords; returns it with its URL and admin credentials. Call destroy() when done.
 */
export async function startIdentity(options: IdentityOptions = {}): Promise<RunningIdentity> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-identity-test-'));
  const admin: Credentials = { username: 'admin', password: String(options.identity?.admin_password ?? 'admin-secret'), project: 'admin', domain: 'Default' };
  const servicePassword = String(options.identity?.service_password ?? 'service-secret');
  const configPath = join(dir, 'stowage.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      identity: {
        data_dir: join(dir, 'identity'),
        log_level: 'warn',
        ...options.identity,
        admin_password: admin.password,
        service_password: servicePassword,
      },
    }),
  );
  const identity = new RunningIdentity(dir, configPath, admin, servicePassword);
  try {
    await identity.start();
  } catch (err) {
    await identity.destroy();
    throw err;
  }
  return identity;
}
