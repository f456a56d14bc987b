// PUT/DELETE /v2/images/{id}/tags/{tag}: owners and admins add and remove tags.
import type { FastifyInstance } from 'fastify';
import { notFound, tooLarge } from '../errors.js';
import { checkTag, isoNow } from '../image.js';
import { requireOwner } from '../policy.js';
import { contextOf, type ImageApi } from '../server.js';
import { findImage } from './common.js';

type TagParams = { Params: { image_id: string; tag: string } };

export function registerTagRoutes(app: FastifyInstance, api: ImageApi): void {
  const { records, config } = api;

  const change = async (request: { params: TagParams['Params'] } & Parameters<typeof contextOf>[0], add: boolean) => {
    const ctx = contextOf(request);
    const { image: seen, member } = await findImage(records, ctx, request.params.image_id);
    requireOwner(ctx, seen, member, 'modify');
    const tag = checkTag(request.params.tag);
    await records.withImage(seen.id, async () => {
      const image = (await records.getImage(seen.id)) ?? seen;
      if (add) {
        if (image.tags.includes(tag)) return;
        if (image.tags.length >= config.image_tag_quota) throw tooLarge(`Maximum number of image tags (${config.image_tag_quota}) exceeded.`);
        image.tags.push(tag);
      } else {
        if (!image.tags.includes(tag)) throw notFound(`Tag ${tag} not found`);
        image.tags = image.tags.filter((t) => t !== tag);
      }
      image.updated_at = isoNow();
      await records.putImage(image);
    });
  };

  app.put<TagParams>('/v2/images/:image_id/tags/:tag', async (request, reply) => {
    await change(request, true);
    reply.code(204).send();
  });
  app.delete<TagParams>('/v2/images/:image_id/tags/:tag', async (request, reply) => {
    await change(request, false);
    reply.code(204).send();
  });
}
