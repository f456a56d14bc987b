// The version documents: GET / (300 Multiple Choices, as Glance) and /versions (200),
// which keystoneauth reads to find the v2 API.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const MINORS = 16;

function versions(request: FastifyRequest) {
  const host = request.headers.host ?? '127.0.0.1:9292';
  const href = `${request.protocol}://${host}/v2/`;
  const out = [];
  for (let minor = MINORS; minor >= 0; minor--) {
    out.push({ id: `v2.${minor}`, status: minor === MINORS ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href }] });
  }
  return { versions: out };
}

export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', async (request, reply) => reply.code(300).send(versions(request)));
  app.get('/versions', async (request) => versions(request));
}
