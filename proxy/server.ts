// The proxy's HTTP front: fastify (pino logs, routing of /healthcheck, /info, /auth and
// /v1), request bodies left unread for the handlers to stream, Expect: 100-continue
// answered only when a handler wants the body, and every error turned into Swift's
// status and a plain-text message.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { addAccessLog } from '../common/access-log.js';
import { STREAMED_BODY, boundRequestBodies } from '../common/body-timeouts.js';
import { headersFromWire, wireFromText } from '../common/header-text.js';
import { announcesBody, decodePath, splitTarget } from '../common/http.js';
import type { ProxyConfig } from './config.js';
import { SwiftError, methodNotAllowed, realmHeader, tooManyAttempts } from './errors.js';
import { AttemptsExceeded } from '../common/rate-limit.js';
import { AuthAttempts } from './auth/attempts.js';
import { TempAuth } from './auth/tempauth.js';
import { KeystoneAuth, requestIdentifier } from './auth/keystone.js';
import type { Replicas } from './replicas.js';
import type { Rings } from './rings.js';
import { createS3Api, isS3Request } from './s3/app.js';
import { createSwiftApi } from './swift/app.js';
import { capabilities } from './swift/capabilities.js';
import { withoutInternalHeaders } from './swift/headers.js';
import { flattenHeaders, parseSwiftUrl, unroutable, type SwiftRequest, type SwiftResponse } from './swift/request.js';

const API_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY', 'OPTIONS', 'PATCH'] as const;
/** Node's limit on all request headers together; Swift's per-header limit is checked on its own. */
const MAX_REQUEST_HEADER_BYTES = 64 * 1024;

/** Swift's transaction id: "tx" + 21 hex digits + "-" + the hex time. */
function newTransId(): string {
  const time = Math.floor(Date.now() / 1000).toString(16).padStart(10, '0');
  return `tx${randomBytes(11).toString('hex').slice(0, 21)}-${time}`;
}

/** Per request: whether the client waits for "100 Continue" and whether it got it. */
interface ContinueState {
  expected: boolean;
  sent: boolean;
}

const continueStates = new WeakMap<http.IncomingMessage, ContinueState>();
/**
 * Content-Type is taken out of fastify's sight (it answers 415 to values that are not
 * RFC media types, while Swift stores any Content-Type verbatim) and put back here.
 */
const contentTypes = new WeakMap<http.IncomingMessage, string>();

/** The request's headers, their values decoded from UTF-8 (the one place they are; see common/header-text.ts). */
function requestHeaders(raw: http.IncomingMessage): Record<string, string> {
  const headers = flattenHeaders(raw.headers);
  const contentType = contentTypes.get(raw);
  if (contentType !== undefined) headers['content-type'] = contentType;
  return headersFromWire(headers);
}

/** "x-object-meta-color" → "X-Object-Meta-Color": header names as Swift sends them (Python's str.title()). */
export const titleCase = (name: string) => name.toLowerCase().replace(/(^|[^a-z])([a-z])/g, (_m, before: string, letter: string) => before + letter.toUpperCase());

/**
 * Sets response headers on the raw response, so that they keep their spelling (fastify's
 * own header map lower-cases names) and go out as the UTF-8 bytes of their text. Swift
 * title-cases names; S3 sends them as they are (lower-case x-amz-meta-*, which clients
 * take the metadata keys from).
 */
function setResponseHeaders(reply: FastifyReply, headers: Record<string, string>, spell: (name: string) => string = titleCase): void {
  for (const [name, value] of Object.entries(headers)) reply.raw.setHeader(spell(name), wireFromText(value));
}

const asGiven = (name: string) => name;

/**
 * Sends a Swift or S3 response. A text body goes out as a Buffer: Node writes the header block
 * with a string body's encoding (UTF-8), which would mangle the latin1 bytes of headers.
 */
function sendResponse(reply: FastifyReply, method: string, res: SwiftResponse, spell: (name: string) => string): FastifyReply {
  reply.code(res.status);
  setResponseHeaders(reply, withoutInternalHeaders(res.headers), spell);
  if (method === 'HEAD' || res.body === null || res.body === undefined) {
    return reply.send();
  }
  return reply.send(typeof res.body === 'string' ? Buffer.from(res.body, 'utf8') : res.body);
}

/** Swift's 401 challenge names the account of the request's path ("unknown" off /v1). */
function accountOfUrl(url: string): string {
  try {
    const path = decodePath(splitTarget(url).rawPath);
    const m = /^\/v1(?:\.0)?\/([^/]+)/.exec(path);
    return m ? m[1]! : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createProxyServer(config: ProxyConfig, rings: Rings, replicas: Replicas): FastifyInstance {
  const app = Fastify({
    logger: { level: config.log_level, stream: process.stderr },
    disableRequestLogging: true,
    genReqId: newTransId,
    requestIdHeader: false,
    return503OnClosing: true,
    serverFactory: (handler) => {
      const server = http.createServer({ maxHeaderSize: MAX_REQUEST_HEADER_BYTES }, handler);
      // Hold "100 Continue" back until a handler asks for the body (see continueBody).
      server.on('checkContinue', (req, res) => server.emit('request', req, res));
      return server;
    },
    // /v1/<anything> reaches one route untouched: names may hold any bytes and slashes;
    // so does every S3 request (proxy/s3/app.ts tells them apart).
    rewriteUrl: (req) =>
      isS3Request(req.url ?? '/', req.headers, config.s3_domain)
        ? '/s3'
        : /^\/v1(\.0)?(\/|\?|$)/.test(req.url ?? '')
          ? '/v1'
          : (req.url ?? '/'),
  });
  addAccessLog(app);
  // Uploads are timed per chunk by their readers (client_timeout_ms, answered 408); the
  // socket bound is the backstop for bodies nobody is reading, a moment later so that
  // the readers' 408 wins the race. Small bodies (/auth) must arrive whole in that time.
  boundRequestBodies(app, { idleMs: config.client_timeout_ms + 1000, wholeBodyMs: config.client_timeout_ms });
  app.addHttpMethod('COPY', { hasBody: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  // One brute-force budget for tempauth keys and S3 signatures (see auth/attempts.ts).
  const attempts = new AuthAttempts(config);
  const auth = new TempAuth(config.users, config.token_secret, config.token_life_s, attempts);
  const keystone =
    config.identity_url === ''
      ? null
      : new KeystoneAuth(
          {
            url: config.identity_url.replace(/\/+$/, ''),
            cacheS: config.identity_cache_s,
            serviceUser: config.identity_service_user,
            servicePassword: config.identity_service_password,
            serviceProject: config.identity_service_project,
          },
          app.log,
        );
  if (keystone) app.addHook('onClose', () => keystone.close());
  const identify = requestIdentifier(auth, keystone);
  const api = createSwiftApi(config, rings, replicas);
  const hostUrl = (request: FastifyRequest) =>
    `${request.protocol}://${request.headers.host ?? `${config.bind_ip}:${config.bind_port}`}`;

  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader('X-Trans-Id', request.id);
    reply.raw.setHeader('X-Openstack-Request-Id', request.id);
    const expected = (request.headers.expect ?? '').toLowerCase() === '100-continue';
    continueStates.set(request.raw, { expected, sent: false });
    const contentType = request.raw.headers['content-type'];
    if (contentType !== undefined) {
      contentTypes.set(request.raw, contentType);
      delete request.raw.headers['content-type'];
    }
  });

  // Answering before the whole body arrived (an error, a client waiting for 100 Continue,
  // a stalled upload): the rest of the body must not be read as the next request. And
  // while shutting down, a finished request frees its connection at once.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    if (closing || (announcesBody(request.raw.headers) && !request.raw.complete)) reply.header('connection', 'close');
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err instanceof AttemptsExceeded) err = tooManyAttempts(err.retryAfterS);
    let error: SwiftError;
    if (err instanceof SwiftError) error = err;
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) error = new SwiftError(err.statusCode);
    else {
      request.log.error({ err }, 'unexpected error');
      error = new SwiftError(500);
    }
    if (error.status >= 500) request.log.warn({ status: error.status, message: error.message }, 'request failed');
    const body = Buffer.from(error.body, 'utf8');
    const headers: Record<string, string> = { 'content-type': error.contentType, 'content-length': String(body.length), ...error.headers };
    if (error.status === 401 && headers['www-authenticate'] === undefined) headers['www-authenticate'] = realmHeader(accountOfUrl(request.originalUrl));
    reply.code(error.status);
    setResponseHeaders(reply, headers);
    return reply.send(request.method === 'HEAD' ? undefined : body);
  });
  app.setNotFoundHandler(async (request) => {
    // Methods fastify cannot route (PROPFIND…) on the API end here too.
    throw request.url === '/v1' ? methodNotAllowed(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY']) : unroutable(request.url);
  });

  app.get('/healthcheck', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/info', async () => capabilities(config));

  const authHandler = async (request: FastifyRequest<{ Params: { account?: string } }>, reply: FastifyReply) => {
    if (request.method !== 'GET') throw methodNotAllowed(['GET']);
    const res = await auth.getToken(requestHeaders(request.raw), hostUrl(request), request.ip, request.params.account);
    reply.code(res.status);
    setResponseHeaders(reply, res.headers);
    return reply.send();
  };
  for (const url of ['/auth/v1.0', '/auth/v1.0/', '/auth/v1/:account/auth']) {
    app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url, handler: authHandler });
  }

  // Sends "100 Continue" the first time a handler wants the body of an Expect request.
  const continuer = (request: FastifyRequest, reply: FastifyReply) => () => {
    const state = continueStates.get(request.raw)!;
    if (state.expected && !state.sent) reply.raw.writeContinue();
    state.sent = true;
  };

  app.route({
    method: [...API_METHODS],
    url: '/v1',
    config: STREAMED_BODY,
    handler: async (request, reply) => {
      const headers = withoutInternalHeaders(requestHeaders(request.raw));
      const { path, query } = parseSwiftUrl(request.originalUrl, config);
      const req: SwiftRequest = {
        method: request.method,
        path,
        query,
        headers,
        body: announcesBody(request.raw.headers) ? request.raw : null,
        identity: await identify(headers),
        transId: request.id,
        log: request.log,
        hostUrl: hostUrl(request),
        continueBody: continuer(request, reply),
        depth: 0,
        owner: false,
      };
      return sendResponse(reply, request.method, await api(req), titleCase);
    },
  });

  const s3 = createS3Api(config, api, auth, attempts, keystone ? (access) => keystone.ec2Credential(access) : undefined);
  app.route({
    method: [...API_METHODS],
    url: '/s3',
    config: STREAMED_BODY,
    handler: async (request, reply) => {
      const res = await s3({
        method: request.method,
        url: request.originalUrl,
        headers: requestHeaders(request.raw),
        body: announcesBody(request.raw.headers) ? request.raw : null,
        transId: request.id,
        log: request.log,
        hostUrl: hostUrl(request),
        continueBody: continuer(request, reply),
        source: request.ip,
      });
      return sendResponse(reply, request.method, res, asGiven);
    },
  });
  return app;
}
