// The identity service's HTTP front: fastify with pino logs, JSON bodies, and every error
// answered as Keystone's {"error":{"code","title","message"}}.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { addAccessLog } from '../common/access-log.js';
import { boundRequestBodies } from '../common/body-timeouts.js';
import { AuthService } from './auth-service.js';
import type { IdentitySettings } from './config.js';
import { KeystoneError, validationError } from './errors.js';
import { authRoutes } from './routes/auth.js';
import { catalogRoutes } from './routes/catalog.js';
import type { RouteContext } from './routes/context.js';
import { credentialRoutes } from './routes/credentials.js';
import { projectRoutes } from './routes/projects.js';
import { roleRoutes } from './routes/roles.js';
import { userRoutes } from './routes/users.js';
import { versionRoutes } from './routes/versions.js';
import type { Store } from './store.js';
import type { TokenSigner } from './tokens.js';

/** No Keystone request body of this subset comes near it. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Keystone's reading of a request body (its json_body hook): an empty body is no body,
 * whatever the Content-Type says (clients send `Content-Type: application/json` on
 * body-less PUTs and DELETEs, e.g. a role assignment); a body must be a JSON object, sent
 * as application/json or with no Content-Type. fastify's own JSON parser refuses an empty
 * body with a JSON Content-Type, hence this one.
 */
function parseKeystoneBody(request: FastifyRequest, body: string): Record<string, unknown> | undefined {
  if (body === '') return undefined;
  const type = request.headers['content-type'];
  const isJson = type === undefined || type.trim() === '' || /^application\/([^;]*\+)?json\s*(;|$)/i.test(type.trim());
  if (!isJson) throw validationError('application/json', 'Content-Type header');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw validationError('valid JSON', 'request body');
  return value as Record<string, unknown>;
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type' };

export function createIdentityServer(config: IdentitySettings, store: Store, signer: TokenSigner): { app: FastifyInstance; auth: AuthService } {
  const app = Fastify({
    logger: {
      level: config.log_level,
      stream: process.stderr,
      // Bodies are never logged; these paths make sure no future log line leaks a secret.
      redact: ['req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', '*.password', '*.secret'],
    },
    disableRequestLogging: true,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
  });
  addAccessLog(app);
  boundRequestBodies(app, { idleMs: config.client_timeout_ms, wholeBodyMs: config.body_timeout_ms });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseKeystoneBody(request, body as string));
    } catch (err) {
      done(err as Error);
    }
  });
  const auth = new AuthService(store, signer, config);
  const ctx: RouteContext = { store, auth, config };

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    let error: KeystoneError;
    if (err instanceof KeystoneError) error = err;
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      error = new KeystoneError(err.statusCode, TITLES[err.statusCode] ?? 'Bad Request', err.message);
    } else {
      request.log.error({ err }, 'unexpected error');
      error = new KeystoneError(500, 'Internal Server Error', 'An unexpected error prevented the server from fulfilling your request.');
    }
    if (error.status === 401) reply.header('www-authenticate', `Keystone uri="${request.protocol}://${request.headers.host ?? 'localhost'}"`);
    reply.code(error.status).headers(error.headers);
    return request.method === 'HEAD' ? reply.send() : reply.send(error.body());
  });
  app.setNotFoundHandler(async (request) => {
    throw new KeystoneError(404, 'Not Found', `The resource could not be found: ${request.method} ${request.url.split('?', 1)[0]}.`);
  });

  app.get('/healthcheck', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  versionRoutes(app);
  authRoutes(app, ctx);
  projectRoutes(app, ctx);
  userRoutes(app, ctx);
  roleRoutes(app, ctx);
  catalogRoutes(app, ctx);
  credentialRoutes(app, ctx);
  return { app, auth };
}
