// The image service's HTTP front: fastify with pino logs, JSON and JSON-patch bodies
// parsed, image data bodies (application/octet-stream) left unread for the handlers to
// stream, every error answered as Glance's JSON error document, and the routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { addAccessLog } from '../common/access-log.js';
import { boundRequestBodies } from '../common/body-timeouts.js';
import type { Authenticator, RequestContext } from './auth.js';
import type { ImageServiceConfig } from './config.js';
import { GlanceError, badRequest, publicError } from './errors.js';
import type { ImageData } from './image-data.js';
import type { Importer } from './import.js';
import type { MetadefCatalog } from './metadefs/catalog.js';
import { PATCH_MEDIA_TYPES } from './patch.js';
import type { StorageQuota } from './quota.js';
import type { Records } from './records.js';
import { registerActionRoutes } from './routes/actions.js';
import { registerDataRoutes } from './routes/data.js';
import { registerImageRoutes } from './routes/images.js';
import { registerImportRoutes } from './routes/import.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerMemberRoutes } from './routes/members.js';
import { registerMetadefRoutes } from './routes/metadefs.js';
import { registerSchemaRoutes } from './routes/schemas.js';
import { registerTagRoutes } from './routes/tags.js';
import { registerVersionRoutes } from './routes/versions.js';

export interface ImageApi {
  config: ImageServiceConfig;
  records: Records;
  data: ImageData;
  importer: Importer;
  quota: StorageQuota;
  metadefs: MetadefCatalog;
  auth: Authenticator;
}

const JSON_BODY_LIMIT = 1024 * 1024;
const contexts = new WeakMap<FastifyRequest, RequestContext>();

/** The caller's context, set by the auth hook for every /v2 request. */
export function contextOf(request: FastifyRequest): RequestContext {
  const ctx = contexts.get(request);
  if (!ctx) throw new GlanceError(500, 'no request context');
  return ctx;
}

function parseJson(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`Malformed JSON in request body: ${(err as Error).message}`);
  }
}

export function createImageServer(api: ImageApi, logger: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
    bodyLimit: JSON_BODY_LIMIT,
    requestIdHeader: false,
    genReqId: () => `req-${crypto.randomUUID()}`,
    // No trailing-slash tolerance, as Glance's routes: /v2/images/ names an empty image id
    // (404), it is not the image list.
  });
  addAccessLog(app);
  boundRequestBodies(app, { idleMs: api.config.client_timeout_ms, wholeBodyMs: api.config.body_timeout_ms });

  app.removeAllContentTypeParsers();
  const jsonParser = (_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseJson(body));
    } catch (err) {
      done(err as Error);
    }
  };
  app.addContentTypeParser(['application/json', ...Object.keys(PATCH_MEDIA_TYPES)], { parseAs: 'string' }, jsonParser);
  // Image data (and anything else) is streamed by the handler from request.raw.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
    if (!request.url.startsWith('/v2/')) return;
    contexts.set(request, await api.auth.context(request.headers));
  });

  app.setErrorHandler((thrown, request, reply) => {
    const err = thrown as Error & { statusCode?: number };
    let error: GlanceError;
    if (err instanceof GlanceError) error = err;
    else {
      const status = err.statusCode;
      error = status !== undefined && status >= 400 && status < 500 ? new GlanceError(status, err.message) : new GlanceError(500, err.message);
    }
    // The details of a server error go to the log (with the request id), not to the client.
    if (error.status >= 500) request.log.error({ err, status: error.status }, 'request failed');
    error = publicError(error, request.id);
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    // An upload refused after its body was partly read: the rest will not be read, so the
    // connection closes after the answer (else the client would go on sending into a
    // connection nobody reads). A body never touched is drained by Node itself.
    if (!request.raw.complete && request.raw.readableDidRead) reply.header('connection', 'close');
    reply.code(error.status).headers(error.headers).type('application/json; charset=UTF-8').send(error.body());
  });
  app.setNotFoundHandler((_request, reply) => {
    const error = new GlanceError(404, 'The resource could not be found.');
    reply.code(404).type('application/json; charset=UTF-8').send(error.body());
  });

  app.get('/healthcheck', async (_request, reply) => reply.type('text/plain').send('OK'));
  registerVersionRoutes(app);
  registerSchemaRoutes(app);
  registerInfoRoutes(app, api);
  registerImageRoutes(app, api);
  registerDataRoutes(app, api);
  registerTagRoutes(app, api);
  registerMemberRoutes(app, api);
  registerActionRoutes(app, api);
  registerImportRoutes(app, api);
  registerMetadefRoutes(app, api);
  return app;
}
