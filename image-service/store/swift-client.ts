// The object store, as any Swift client sees it: a token and a storage URL (from identity,
// as the `glance` service user and the catalog's object-store endpoint, or from tempauth),
// then plain Swift API requests through undici: objects, static large object manifests,
// prefix listings and deletes. Bodies are streamed both ways.
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { KeystoneToken } from '../auth.js';
import type { ImageServiceConfig } from '../config.js';
import { StorageError } from '../errors.js';

interface Credentials {
  token: string;
  storageUrl: string;
  /** Refresh the token after this time (ms since the epoch). */
  refresh_at_ms: number;
}

export interface SloSegment {
  path: string;
  etag: string;
  size_bytes: number;
}

const REFRESH_MARGIN_MS = 5 * 60_000;

/** Swift's quoting of one path element (keeps "/" in object names). */
const quote = (name: string) => encodeURIComponent(name).replace(/%2F/g, '/');

export class SwiftClient {
  private credentials: Credentials | null = null;
  private authenticating: Promise<Credentials> | null = null;
  private containerReady = false;
  readonly agent: Agent;

  constructor(private readonly config: ImageServiceConfig) {
    this.agent = new Agent({
      connections: 64,
      headersTimeout: config.storage_timeout_ms,
      bodyTimeout: config.storage_timeout_ms,
      keepAliveTimeout: 10_000,
    });
  }

  get container(): string {
    return this.config.container;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async auth(force = false): Promise<Credentials> {
    if (!force && this.credentials && this.credentials.refresh_at_ms > Date.now()) return this.credentials;
    this.authenticating ??= (this.config.swift_auth === 'tempauth' ? this.tempauth() : this.keystone()).finally(() => {
      this.authenticating = null;
    });
    this.credentials = await this.authenticating;
    return this.credentials;
  }

  private async tempauth(): Promise<Credentials> {
    const { tempauth_url, tempauth_user, tempauth_key } = this.config;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(tempauth_url, { dispatcher: this.agent, headers: { 'x-auth-user': tempauth_user, 'x-auth-key': tempauth_key } });
    } catch (err) {
      throw new StorageError(`tempauth at ${tempauth_url} could not be reached: ${(err as Error).message}`);
    }
    await res.body.dump();
    if (res.statusCode !== 200) throw new StorageError(`tempauth at ${tempauth_url} answered ${res.statusCode} for ${tempauth_user}`);
    const expires = Number(res.headers['x-auth-token-expires'] ?? 3600);
    return {
      token: String(res.headers['x-auth-token']),
      storageUrl: this.config.swift_url || String(res.headers['x-storage-url']),
      refresh_at_ms: Date.now() + Math.max(expires * 1000 - REFRESH_MARGIN_MS, 30_000),
    };
  }

  private async keystone(): Promise<Credentials> {
    const { identity_url, service_user, service_password, service_project, service_domain } = this.config;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: service_user, domain: { id: service_domain }, password: service_password } } },
        scope: { project: { name: service_project, domain: { id: service_domain } } },
      },
    };
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${identity_url}/auth/tokens`, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new StorageError(`identity at ${identity_url} could not be reached: ${(err as Error).message}`);
    }
    if (res.statusCode !== 201 && res.statusCode !== 200) {
      await res.body.dump();
      throw new StorageError(`identity refused the ${service_user} service user (${res.statusCode}); check identity.service_password`);
    }
    const token = (await res.body.json()) as { token: KeystoneToken };
    let storageUrl = this.config.swift_url;
    if (!storageUrl) {
      const service = token.token.catalog?.find((s) => s.type === 'object-store');
      const endpoint = service?.endpoints.find((e) => e.interface === 'internal') ?? service?.endpoints.find((e) => e.interface === 'public');
      if (!endpoint) throw new StorageError('the identity catalog has no object-store endpoint; set image_service.swift_url');
      storageUrl = endpoint.url;
    }
    const expires = token.token.expires_at ? Date.parse(token.token.expires_at) : Date.now() + 3600_000;
    return {
      token: String(res.headers['x-subject-token']),
      storageUrl: storageUrl.replace(/\/+$/, ''),
      refresh_at_ms: Math.max(expires - REFRESH_MARGIN_MS, Date.now() + 30_000),
    };
  }

  /**
   * One request to <storage URL>/<path>; a 401 on a request without a streamed body
   * re-authenticates and retries once.
   */
  async request(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { headers?: Record<string, string>; body?: Readable | string; query?: string; signal?: AbortSignal } = {},
  ): Promise<Dispatcher.ResponseData> {
    for (let attempt = 0; ; attempt++) {
      const creds = await this.auth(attempt > 0);
      const url = `${creds.storageUrl}${path}${options.query ? `?${options.query}` : ''}`;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          dispatcher: this.agent,
          headers: { ...options.headers, 'x-auth-token': creds.token },
          ...(options.body !== undefined ? { body: options.body } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        throw new StorageError(`the object store could not be reached (${method} ${path}): ${(err as Error).message}`);
      }
      if (res.statusCode === 401 && attempt === 0 && (options.body === undefined || typeof options.body === 'string')) {
        await res.body.dump();
        continue;
      }
      return res;
    }
  }

  objectPath(name: string): string {
    return `/${quote(this.config.container)}/${quote(name)}`;
  }

  async ensureContainer(): Promise<void> {
    if (this.containerReady) return;
    const res = await this.request('PUT', `/${quote(this.config.container)}`);
    await res.body.dump();
    if (res.statusCode !== 201 && res.statusCode !== 202) {
      throw new StorageError(`creating container ${this.config.container} answered ${res.statusCode}`, res.statusCode);
    }
    this.containerReady = true;
  }

  /** Streams `body` into an object; resolves with the ETag the object store computed. */
  async putObject(name: string, body: Readable | string, length?: number): Promise<string> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (length !== undefined) headers['content-length'] = String(length);
    const res = await this.request('PUT', this.objectPath(name), { headers, body });
    const text = await res.body.text();
    if (res.statusCode === 404) this.containerReady = false;
    if (res.statusCode !== 201) throw new StorageError(`PUT ${name} answered ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
    return String(res.headers.etag ?? '').replace(/"/g, '');
  }

  async putManifest(name: string, segments: SloSegment[]): Promise<void> {
    const res = await this.request('PUT', this.objectPath(name), {
      query: 'multipart-manifest=put',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: JSON.stringify(segments),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new StorageError(`PUT manifest ${name} answered ${res.statusCode}: ${text.slice(0, 500)}`, res.statusCode);
  }

  async getObject(name: string, range?: string, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    return this.request('GET', this.objectPath(name), { headers: range ? { range } : {}, ...(signal ? { signal } : {}) });
  }

  /** Deletes an object (with its segments when it is a manifest); a missing one is fine. */
  async deleteObject(name: string, manifest = false): Promise<void> {
    const res = await this.request('DELETE', this.objectPath(name), manifest ? { query: 'multipart-manifest=delete' } : {});
    const text = await res.body.text();
    if (res.statusCode >= 300 && res.statusCode !== 404) throw new StorageError(`DELETE ${name} answered ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
  }

  /** Names of the objects under a prefix, every page. */
  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let marker = '';
    for (;;) {
      const query = `format=json&prefix=${encodeURIComponent(prefix)}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`;
      const res = await this.request('GET', `/${quote(this.config.container)}`, { query });
      if (res.statusCode === 404) {
        await res.body.dump();
        return names;
      }
      if (res.statusCode !== 200 && res.statusCode !== 204) {
        await res.body.dump();
        throw new StorageError(`listing ${this.config.container} answered ${res.statusCode}`, res.statusCode);
      }
      const text = await res.body.text();
      const page = text ? (JSON.parse(text) as { name: string }[]) : [];
      if (page.length === 0) return names;
      names.push(...page.map((o) => o.name));
      marker = page[page.length - 1]!.name;
    }
  }

  /** Deletes every object under a prefix (segments an interrupted upload left). */
  async deletePrefix(prefix: string): Promise<number> {
    const names = await this.list(prefix);
    for (const name of names) await this.deleteObject(name);
    return names.length;
  }
}
