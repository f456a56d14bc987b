// PUT /v2/images/{id}/stage and POST /v2/images/{id}/import (interoperable image import).
import type { FastifyInstance } from 'fastify';
import { STREAMED_BODY } from '../../common/body-timeouts.js';
import { contextOf, type ImageApi } from '../server.js';
import { requiredBody, type IdParams } from './common.js';
import { declaredLength, requireOctetStream } from './data.js';

export function registerImportRoutes(app: FastifyInstance, api: ImageApi): void {
  app.put<IdParams>('/v2/images/:image_id/stage', { config: STREAMED_BODY }, async (request, reply) => {
    requireOctetStream(request);
    await api.importer.stage(contextOf(request), request.params.image_id, request.raw, declaredLength(request.raw));
    reply.code(204).send();
  });

  app.post<IdParams>('/v2/images/:image_id/import', async (request, reply) => {
    const storeHeader = request.headers['x-image-meta-store'];
    await api.importer.startImport(contextOf(request), request.params.image_id, requiredBody(request), typeof storeHeader === 'string' ? storeHeader : undefined);
    reply.code(202).send();
  });
}
