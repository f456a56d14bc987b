// POST /v2/images/{id}/actions/deactivate and /reactivate: an active image can be made
// unusable (no downloads except by admins) and back, by its owner or an admin.
import type { FastifyInstance } from 'fastify';
import { forbidden } from '../errors.js';
import { isoNow } from '../image.js';
import { requireOwner } from '../policy.js';
import { contextOf, type ImageApi } from '../server.js';
import { findImage, type IdParams } from './common.js';

export function registerActionRoutes(app: FastifyInstance, api: ImageApi): void {
  const { records } = api;
  for (const action of ['deactivate', 'reactivate'] as const) {
    app.post<IdParams>(`/v2/images/:image_id/actions/${action}`, async (request, reply) => {
      const ctx = contextOf(request);
      const { image: seen, member } = await findImage(records, ctx, request.params.image_id);
      requireOwner(ctx, seen, member, action);
      await records.withImage(seen.id, async () => {
        const image = (await records.getImage(seen.id)) ?? seen;
        const target = action === 'deactivate' ? 'deactivated' : 'active';
        if (image.status === target) return;
        if (image.status !== 'active' && image.status !== 'deactivated') {
          throw forbidden(`Not allowed to ${action} image in status '${image.status}'`);
        }
        image.status = target;
        image.updated_at = isoNow();
        await records.putImage(image);
      });
      reply.code(204).send();
    });
  }
}
