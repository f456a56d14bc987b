// The benchmark's HTTP side: tempauth, then requests to the storage URL over one keep-alive
// undici Pool. Every request is bounded by a timeout and by the run's abort signal, and only
// loopback addresses (127.0.0.0/8, ::1) are ever contacted.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { Pool, request } from 'undici';
import type { Dispatcher } from 'undici';

/** A failure that ends the run: printed as is, with this exit status. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
export const EXIT_UNREACHABLE_OR_AUTH = 2;

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The keep-alive pool a benchmark client sends its requests over (Swift API or S3):
 * `connections` at once, no pipelining, idle limits only; each request is bounded by its
 * own signal.
 */
export function benchPool(storageUrl: URL, connections: number, idleTimeoutMs: number): Pool {
  return new Pool(storageUrl.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: idleTimeoutMs,
    bodyTimeout: idleTimeoutMs,
  });
}
const AUTH_TIMEOUT_MS = 15_000;

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1' || address === '::ffff:127.0.0.1' || /^::ffff:127\./.test(address);
}

/** Refuses any URL whose host is (or resolves to) anything but a loopback address. */
export async function assertLoopback(url: URL, what: string): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FatalError(`${what} ${url.href}: only http and https are supported`, 1);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new FatalError(`${what} ${url.href}: cannot resolve ${host}`, EXIT_UNREACHABLE_OR_AUTH);
  const outside = addresses.filter((a) => !isLoopback(a));
  if (outside.length > 0) {
    throw new FatalError(
      `${what} ${url.href} is not on this machine (${outside.join(', ')}): the benchmark only sends traffic to 127.0.0.0/8`,
      1,
    );
  }
}

/** The network-level cause of a failed request, e.g. ECONNREFUSED, or the error's message. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timeout';
  if (e?.name === 'AbortError') return 'aborted';
  return e?.code ?? e?.cause?.code ?? e?.message ?? String(err);
}

export interface Auth {
  token: string;
  storageUrl: URL;
}

/** GET <auth-url> with X-Auth-User / X-Auth-Key (tempauth, Swift's v1.0 auth). */
export async function authenticate(authUrl: string, user: string, key: string): Promise<Auth> {
  let url: URL;
  try {
    url = new URL(authUrl);
  } catch {
    throw new FatalError(`--auth-url "${authUrl}" is not a URL`, 1);
  }
  await assertLoopback(url, 'auth URL');
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { 'x-auth-user': user, 'x-auth-key': key },
      signal: AbortSignal.timeout(AUTH_TIMEOUT_MS),
      headersTimeout: AUTH_TIMEOUT_MS,
      bodyTimeout: AUTH_TIMEOUT_MS,
    });
    await res.body.dump();
  } catch (err) {
    throw new FatalError(
      `cannot reach the Swift endpoint at ${authUrl} (${describeError(err)}); is the cluster running?`,
      EXIT_UNREACHABLE_OR_AUTH,
    );
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new FatalError(`authentication failed: ${authUrl} answered ${res.statusCode} for user ${user}`, EXIT_UNREACHABLE_OR_AUTH);
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw new FatalError(`authentication failed: ${authUrl} answered ${res.statusCode}`, EXIT_UNREACHABLE_OR_AUTH);
  }
  const token = header(res.headers, 'x-auth-token') ?? header(res.headers, 'x-storage-token');
  const storage = header(res.headers, 'x-storage-url');
  if (!token || !storage) {
    throw new FatalError(`authentication failed: ${authUrl} answered ${res.statusCode} without X-Auth-Token and X-Storage-Url`, EXIT_UNREACHABLE_OR_AUTH);
  }
  let storageUrl: URL;
  try {
    storageUrl = new URL(storage);
  } catch {
    throw new FatalError(`authentication returned an invalid X-Storage-Url: ${storage}`, EXIT_UNREACHABLE_OR_AUTH);
  }
  await assertLoopback(storageUrl, 'storage URL');
  return { token, storageUrl };
}

export function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface SwiftRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** Path below the storage URL, already encoded, starting with '/'. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  timeoutMs: number;
}

/** What the object phases send their requests through: the Swift API, or S3 (s3-client.ts). */
export interface ObjectClient {
  /** The status of a successful object PUT (Swift 201, S3 200). */
  readonly putStatus: number;
  request(req: SwiftRequest): Promise<Dispatcher.ResponseData>;
  close(): Promise<void>;
}

/** One account's storage URL, reached over a keep-alive pool of `connections` sockets. */
export class SwiftClient implements ObjectClient {
  readonly putStatus = 201;
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    private readonly auth: Auth,
    connections: number,
    idleTimeoutMs: number,
    private readonly runSignal: AbortSignal,
  ) {
    this.basePath = auth.storageUrl.pathname.replace(/\/+$/, '');
    this.pool = benchPool(auth.storageUrl, connections, idleTimeoutMs);
  }

  request(req: SwiftRequest): Promise<Dispatcher.ResponseData> {
    return this.pool.request({
      method: req.method,
      path: this.basePath + req.path,
      headers: { 'x-auth-token': this.auth.token, ...req.headers },
      body: req.body ?? null,
      signal: AbortSignal.any([AbortSignal.timeout(req.timeoutMs), this.runSignal]),
    });
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export function objectPath(container: string, name?: string): string {
  const c = `/${encodeURIComponent(container)}`;
  return name === undefined ? c : `${c}/${name.split('/').map(encodeURIComponent).join('/')}`;
}
