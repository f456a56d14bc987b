// HTTP to storage nodes. Ordinary requests go through one undici Agent (keep-alive,
// connect/header/body timeouts). Streaming object uploads use node:http instead because
// they need "Expect: 100-continue", which undici does not support on HTTP/1.1: the
// proxy must know which object servers accept a PUT before it sends them any byte.
// Header values are text here and the UTF-8 bytes of that text on the wire, both ways.
import http from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Device } from '../ring-builder/index.js';
import type { SwiftPath } from '../common/paths.js';
import { quotePath } from '../common/paths.js';
import { headersFromWire, headersToWire } from '../common/header-text.js';
import { flattenHeaders } from './swift/request.js';
import { ErrorLimiter } from './error-limiter.js';

export interface BackendTimeouts {
  conn_timeout_ms: number;
  node_timeout_ms: number;
  error_suppression_interval_s: number;
  error_suppression_limit: number;
}

/** One backend call: a device, a partition, a Swift path and what to send. */
export interface BackendCall {
  method: string;
  part: number;
  path: SwiftPath;
  headers: Record<string, string>;
  /** Already encoded, without "?". */
  query?: string;
}

export interface BackendResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  node: Device;
}

/** A node could not be reached or did not answer in time. */
export class BackendError extends Error {
  constructor(
    readonly node: Device,
    readonly connectFailed: boolean,
    cause: unknown,
  ) {
    super(`${node.ip}:${node.port}/${node.device}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A request the proxy could not even build (a bad header value…): not the node's fault. */
const isLocalError = (err: unknown) =>
  err instanceof TypeError || (err as { code?: string })?.code === 'UND_ERR_INVALID_ARG';

const isConnectError = (err: unknown) => CONNECT_ERROR_CODES.has((err as { code?: string })?.code ?? '');

function backendUrlPath(node: Device, call: { part: number; path: SwiftPath; query?: string }): string {
  const path = `/${encodeURIComponent(node.device)}/${call.part}${quotePath(call.path)}`;
  return call.query ? `${path}?${call.query}` : path;
}

const hostOf = (node: Device) => (node.ip.includes(':') ? `[${node.ip}]` : node.ip);

/**
 * Node sends a header block that goes out on its own (Expect: 100-continue, flushHeaders)
 * in its default encoding, UTF-8, which double-encodes the latin1 wire form of non-ASCII
 * values; every other header block goes out as latin1. This makes that one latin1 too.
 * It must run before the header block is stored, so Expect is set after it.
 */
function sendHeaderBlockAsLatin1(req: http.ClientRequest): void {
  type Send = (data: unknown, encoding?: BufferEncoding, ...rest: unknown[]) => boolean;
  const outgoing = req as unknown as { _send: Send };
  const send = outgoing._send;
  outgoing._send = function (this: unknown, data, encoding, ...rest) {
    return send.call(this, data, typeof data === 'string' && encoding === undefined ? 'latin1' : encoding, ...rest);
  };
}

/** Reads a small response body whole (error bodies, listings of one page). */
export async function readBody(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new Error(`backend body larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Frees the connection of a response nobody will read. */
export function discard(response: BackendResponse): void {
  response.body.on('error', () => {});
  response.body.resume();
}

export class Backend {
  readonly errors: ErrorLimiter;
  private readonly agent: Agent;
  private readonly uploadAgent: http.Agent;

  constructor(private readonly timeouts: BackendTimeouts) {
    this.errors = new ErrorLimiter(timeouts.error_suppression_limit, timeouts.error_suppression_interval_s * 1000);
    this.agent = new Agent({
      connect: { timeout: timeouts.conn_timeout_ms },
      headersTimeout: timeouts.node_timeout_ms,
      bodyTimeout: timeouts.node_timeout_ms,
      keepAliveTimeout: 30_000,
      connections: 256,
    });
    this.uploadAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  }

  /** Notes a failure so the node is skipped for a while (at once when unreachable). */
  noteFailure(node: Device, err: unknown): void {
    if (err instanceof BackendError ? err.connectFailed : isConnectError(err)) this.errors.limitNow(node);
    else this.errors.recordError(node);
  }

  async request(node: Device, call: BackendCall): Promise<BackendResponse> {
    try {
      const res = await request(`http://${hostOf(node)}:${node.port}${backendUrlPath(node, call)}`, {
        method: call.method as 'GET',
        headers: headersToWire(call.headers),
        dispatcher: this.agent,
        // undici closes the connection after every HEAD (against servers that send a body
        // anyway); our storage nodes never do, so HEADs keep the connection like GETs.
        reset: false,
      });
      return { status: res.statusCode, headers: headersFromWire(flattenHeaders(res.headers)), body: res.body, node };
    } catch (err) {
      if (isLocalError(err)) throw err;
      throw new BackendError(node, isConnectError(err), err);
    }
  }

  /**
   * Starts a streaming PUT: sends the headers with "Expect: 100-continue" and resolves once
   * the object server said 100 Continue (an UploadStream), or with the final status it
   * answered instead (a 4xx such as 412 for If-None-Match, or a 5xx/507).
   */
  openUpload(node: Device, call: BackendCall): Promise<UploadStream | { status: number; node: Device }> {
    return new Promise((resolve, reject) => {
      // http.request throws (before any I/O) on headers it refuses: a local error.
      const req = http.request({
        host: node.ip,
        port: node.port,
        method: call.method,
        path: backendUrlPath(node, call),
        headers: headersToWire(call.headers),
        agent: this.uploadAgent,
      });
      sendHeaderBlockAsLatin1(req);
      req.setHeader('expect', '100-continue');
      let settled = false;
      const fail = (err: unknown, connectFailed: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new BackendError(node, connectFailed, err));
      };
      const timer = setTimeout(
        () => fail(new Error('timed out waiting for 100 Continue'), false),
        this.timeouts.conn_timeout_ms + this.timeouts.node_timeout_ms,
      );
      req.once('error', (err) => fail(err, isConnectError(err)));
      req.once('continue', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(new UploadStream(node, req, this.timeouts.node_timeout_ms));
      });
      req.once('response', (res) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        res.resume();
        req.destroy(); // the body was never sent; the connection cannot be reused
        resolve({ status: res.statusCode ?? 500, node });
      });
      req.flushHeaders();
    });
  }

  async close(): Promise<void> {
    this.uploadAgent.destroy();
    await this.agent.close();
  }
}

/** How much of an upload may wait in memory for one object server's socket. */
const UPLOAD_BUFFER_BYTES = 1 << 20;

/** The body side of an accepted upload to one object server. */
export class UploadStream {
  private failure: Error | null = null;
  private ended = false;
  private readonly response: Promise<http.IncomingMessage>;

  constructor(
    readonly node: Device,
    private readonly req: http.ClientRequest,
    private readonly timeoutMs: number,
  ) {
    this.response = new Promise((resolve, reject) => {
      req.once('response', (res) => {
        // An answer before the body was finished means the server gave up on it.
        if (!this.ended) this.failure ??= new Error(`answered ${res.statusCode} before the body was sent`);
        resolve(res);
      });
      req.on('error', (err) => {
        this.failure ??= err;
        reject(err);
      });
    });
    this.response.catch(() => {}); // observed through failure / finish()
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * Resolves once the chunk is queued for the socket, waiting for 'drain' only when more
   * than UPLOAD_BUFFER_BYTES are queued: the tee to three object servers then advances
   * without a round of 'drain' waits per chunk, and memory per upload stays bounded.
   */
  write(chunk: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.req.write(chunk);
    if (this.req.writableLength <= UPLOAD_BUFFER_BYTES) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('timed out writing to the object server')), this.timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.req.off('drain', onDrain);
        this.req.off('error', onError);
        this.req.off('close', onClose);
        if (err) {
          this.failure ??= err;
          reject(err);
        } else resolve();
      };
      const onDrain = () => done();
      const onError = (err: Error) => done(err);
      const onClose = () => done(this.failure ?? new Error('connection closed'));
      this.req.on('drain', onDrain);
      this.req.on('error', onError);
      this.req.on('close', onClose);
    });
  }

  /** Ends the body and waits for the object server's final answer. */
  async finish(): Promise<{ status: number; headers: Record<string, string> }> {
    if (this.failure) throw this.failure;
    this.ended = true;
    this.req.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out waiting for the object server')), this.timeoutMs);
    });
    try {
      const res = await Promise.race([this.response, timeout]);
      res.resume();
      return { status: res.statusCode ?? 500, headers: headersFromWire(flattenHeaders(res.headers)) };
    } catch (err) {
      this.abort();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops the connection so the object server discards the partial body. */
  abort(): void {
    this.failure ??= new Error('aborted');
    this.req.destroy();
  }
}
