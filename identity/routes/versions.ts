// The version documents clients use for discovery: GET / (300 Multiple Choices listing
// v3) and GET /v3.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from './context.js';

function version(request: FastifyRequest) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(request)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function versionRoutes(app: FastifyInstance): void {
  app.get('/', async (request, reply) => reply.code(300).send({ versions: { values: [version(request)] } }));
  app.get('/v3', async (request) => ({ version: version(request) }));
  app.get('/v3/', async (request) => ({ version: version(request) }));
}
