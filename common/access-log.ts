// One access-log line per request, written when the response is done (as Swift's
// proxy-logging and the storage servers' access lines), instead of fastify's two lines
// ("incoming request" and "request completed"): the log is written synchronously to
// stderr, and on small requests the second line is a measurable share of the CPU.
import type { FastifyInstance } from 'fastify';

/**
 * Logs the method, path, status and response time; use with disableRequestLogging. The
 * query string is left out: it may hold credentials (TempURL signatures, S3 presigned URLs).
 */
export function addAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { req: { method: request.method, url: request.originalUrl.split('?', 1)[0] }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'request completed',
    );
    done();
  });
}
