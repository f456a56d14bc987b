// The HTTP shell the object, container and account servers share: a fastify app that
// parses Swift's backend paths /<device>/<partition>/<account>[/<container>[/<object>]]
// (and the partition verbs such as /<device>/<partition>/REPLICATE), hands the request
// (body unread) to the server's handler for its method, and turns the handler's answer
// or HttpError into the response. Also serves GET /healthcheck. Every route goes through
// the one parser below: a device or partition that could name anything outside the
// devices directory never reaches a handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { addAccessLog } from '../common/access-log.js';
import { decodePath, parseQuery, RequestTargetError, splitTarget } from '../common/http.js';
import { InvalidPathError, splitPath, type SwiftPath } from '../common/paths.js';
import { InvalidTimestampError, Timestamp } from '../common/timestamp.js';
import { deviceNameProblem } from './devices.js';
import { badRequest, HttpError, methodNotAllowed } from './errors.js';

/** A request about a whole partition of a device (e.g. REPLICATE): no account path. */
export interface PartitionRequest {
  method: string;
  /** A checked device name: one path segment, never "." or "..". */
  device: string;
  /** Canonical decimal form. */
  partition: string;
  query: Map<string, string>;
  /** Lower-case names; values byte-for-byte as sent (latin1 strings). */
  headers: Record<string, string>;
  /** The request body, not yet read. */
  body: IncomingMessage;
  /** Sends "100 Continue" to a client that asked for it (call before reading the body). */
  continueBody: () => void;
  log: FastifyBaseLogger;
}

export interface BackendRequest extends PartitionRequest {
  path: SwiftPath;
}

export interface BackendResponse {
  status: number;
  headers?: Record<string, string | number>;
  body?: Readable | Buffer | string;
}

export type Handler = (req: BackendRequest) => Promise<BackendResponse>;
export type PartitionHandler = (req: PartitionRequest) => Promise<BackendResponse>;

export interface ServerSpec {
  /** How many of account, container and object a path may hold. */
  minSegments: number;
  maxSegments: number;
  handlers: Record<string, Handler>;
  /**
   * Verbs on a whole partition, keyed "<METHOD> <verb>" (e.g. "POST REPLICATE"):
   * /<device>/<partition>/<verb>, a path no object of this server can have.
   */
  partitionVerbs?: Record<string, PartitionHandler>;
}

const ORIGINAL_CONTENT_TYPE = Symbol('stowage.originalContentType');
const EXPECTS_CONTINUE = Symbol('stowage.expectsContinue');
type RawRequest = IncomingMessage & { [ORIGINAL_CONTENT_TYPE]?: string; [EXPECTS_CONTINUE]?: boolean };

const MAX_PARTITION = 2 ** 32 - 1;

/** The app of one server, ready for serve(); its logger is app.log. */
export function createBackendApp(name: 'object' | 'container' | 'account', logLevel: string): FastifyInstance {
  const app = Fastify({
    logger: { level: logLevel, name: `${name}-server`, stream: process.stderr },
    disableRequestLogging: true,
    exposeHeadRoutes: false,
    // Log lines carry the proxy's transaction id when it sends one.
    requestIdHeader: 'x-trans-id',
    // Routing sees "/" only: Swift names may hold anything fastify's router would
    // reject or re-decode; the raw target is parsed below. Content-Type is kept aside
    // because Swift stores any Content-Type verbatim, and fastify answers 415 to
    // values that are not RFC media types.
    rewriteUrl(req) {
      const raw = req as RawRequest;
      raw[ORIGINAL_CONTENT_TYPE] = raw.headers['content-type'];
      delete raw.headers['content-type'];
      return '/';
    },
  });
  addAccessLog(app);
  // Bodies are streamed by the handlers themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  // Answer "Expect: 100-continue" only when the handler starts reading the body, so a
  // PUT that fails its checks (409, 412, 507...) is refused before the body is sent.
  app.server.on('checkContinue', (req: RawRequest, res: ServerResponse) => {
    req[EXPECTS_CONTINUE] = true;
    app.server.emit('request', req, res);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err instanceof HttpError ? err.status : err.statusCode;
    if (status === undefined || status >= 500) request.log.error({ err }, 'request failed');
    void reply
      .code(status ?? 500)
      .headers(err instanceof HttpError ? err.headers : {})
      .type('text/plain; charset=utf-8')
      .send(Buffer.from(status === undefined ? 'Internal Server Error' : err.message, 'utf8'));
  });
  return app;
}

/** Routes every request of `app` to the handler `spec` has for its method. */
export function serve(app: FastifyInstance, spec: ServerSpec): void {
  const verbMethods = Object.keys(spec.partitionVerbs ?? {}).map((key) => key.slice(0, key.indexOf(' ')));
  const allowed = [...new Set([...Object.keys(spec.handlers), ...verbMethods])];
  app.all('/', async (request, reply) => {
    const response = await dispatch(spec, allowed, request.raw as RawRequest, reply.raw, request.log);
    reply.code(response.status).headers(response.headers ?? {});
    // A string body would make Node write the header block as UTF-8, mangling the latin1
    // bytes of metadata values; as a Buffer the headers go out byte for byte.
    return reply.send(typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body);
  });
  // Methods fastify does not route (COPY, PROPFIND...) end here.
  app.setNotFoundHandler(() => {
    throw methodNotAllowed(allowed);
  });
}

async function dispatch(
  spec: ServerSpec,
  allowed: string[],
  raw: RawRequest,
  res: ServerResponse,
  log: FastifyBaseLogger,
): Promise<BackendResponse> {
  const method = raw.method ?? 'GET';
  const { rawPath, rawQuery } = splitTarget((raw as { originalUrl?: string }).originalUrl ?? raw.url ?? '/');
  try {
    const decoded = decodePath(rawPath);
    if (decoded === '/healthcheck' && (method === 'GET' || method === 'HEAD')) {
      return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'OK' };
    }
    // As Swift: an unknown method is 405 before its path is looked at.
    if (!allowed.includes(method)) throw methodNotAllowed(allowed);
    const target = parseBackendPath(decoded);
    const common = {
      method,
      device: target.device,
      partition: target.partition,
      query: parseQuery(rawQuery),
      headers: headersOf(raw),
      body: raw,
      continueBody: () => {
        if (raw[EXPECTS_CONTINUE] && !res.headersSent) res.writeContinue();
        raw[EXPECTS_CONTINUE] = false;
      },
      log,
    };
    const verb = spec.partitionVerbs?.[`${method} ${target.rest.replace(/^\/|\/$/g, '')}`];
    if (verb !== undefined) return await verb(common);
    const handler = spec.handlers[method];
    if (handler === undefined) throw methodNotAllowed(allowed);
    return await handler({ ...common, path: splitPath(target.rest, spec.minSegments, spec.maxSegments) });
  } catch (err) {
    if (err instanceof RequestTargetError) throw new HttpError(err.status, err.message);
    if (err instanceof InvalidPathError) throw badRequest(err.message);
    throw err;
  }
}

/**
 * Splits a decoded backend path "/<device>/<partition>/<rest>" and checks the device and
 * partition, which become file-system path segments: the device is one segment that is
 * not empty, ".", ".." and holds no NUL (an encoded "/" was decoded into a separator
 * already, so "/..%2Foutside/7/..." names the device ".."); the partition is a decimal
 * integer below 2^32. `rest` ("/a/c/o", "/REPLICATE") is left to the route.
 */
export function parseBackendPath(decoded: string): { device: string; partition: string; rest: string } {
  const parts = /^\/([^/]*)\/([^/]*)(\/.*)$/.exec(decoded);
  if (!parts) {
    throw badRequest(`path must be /<device>/<partition>/...: ${JSON.stringify(decoded.slice(0, 256))}`);
  }
  const [, device = '', partition = '', rest = ''] = parts;
  const deviceProblem = deviceNameProblem(device);
  if (deviceProblem !== undefined) throw badRequest(`Invalid device: ${JSON.stringify(device)}: ${deviceProblem}`);
  if (!/^\d{1,10}$/.test(partition) || Number(partition) > MAX_PARTITION) {
    throw badRequest(`Invalid partition: ${JSON.stringify(partition)}`);
  }
  return { device, partition: String(Number(partition)), rest };
}

function headersOf(raw: RawRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const contentType = raw[ORIGINAL_CONTENT_TYPE];
  if (contentType !== undefined) headers['content-type'] = contentType;
  return headers;
}

/** The request's X-Timestamp; 400 when it is missing or not a Swift timestamp. */
export function requireTimestamp(req: BackendRequest): Timestamp {
  const value = req.headers['x-timestamp'];
  if (value === undefined) throw badRequest('Missing X-Timestamp header');
  return parseTimestampHeader('X-Timestamp', value);
}

export function parseTimestampHeader(header: string, value: string): Timestamp {
  try {
    return Timestamp.parse(value);
  } catch (err) {
    if (err instanceof InvalidTimestampError) throw badRequest(`${header} should be a UNIX timestamp float value: ${err.message}`);
    throw err;
  }
}

/** A non-negative integer header, or undefined when absent; 400 when malformed. */
export function integerHeader(req: BackendRequest, header: string): number | undefined {
  const value = req.headers[header];
  if (value === undefined) return undefined;
  if (!/^\s*\d{1,16}\s*$/.test(value)) throw badRequest(`${header} must be a non-negative integer: ${JSON.stringify(value)}`);
  return Number(value);
}
