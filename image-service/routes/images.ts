// /v2/images: list, create; /v2/images/{id}: show, update (JSON patch), delete.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, forbidden, tooLarge, unsupportedMediaType } from '../errors.js';
import { imageView, isUuid, isoNow, refuseUntouchable, setAttribute, type ImageRecord } from '../image.js';
import { listImages, type Query } from '../list.js';
import { ACCEPT_PATCH, applyPatch, parsePatch, patchDraftOf } from '../patch.js';
import { requireOwner, requireVisibilityAllowed } from '../policy.js';
import { contextOf, type ImageApi } from '../server.js';
import { findImage, requiredBody, type IdParams } from './common.js';

export function registerImageRoutes(app: FastifyInstance, api: ImageApi): void {
  const { records, config } = api;

  app.get<{ Querystring: Query }>('/v2/images', async (request) => {
    const page = await listImages(records, contextOf(request), request.query, { default: config.limit_param_default, max: config.api_limit_max });
    return {
      images: page.images.map(imageView),
      first: '/v2/images',
      schema: '/v2/schemas/images',
      ...(page.next ? { next: page.next } : {}),
    };
  });

  app.post('/v2/images', async (request, reply) => {
    const body = requiredBody(request);
    const ctx = contextOf(request);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
    const fields = body as Record<string, unknown>;
    const now = isoNow();
    let id: string = randomUUID();
    if (fields.id !== undefined) {
      if (typeof fields.id !== 'string' || !isUuid(fields.id)) throw badRequest(`Provided object does not match schema 'image': ${JSON.stringify(fields.id)} is not a valid UUID (id)`);
      id = fields.id.toLowerCase();
    }
    const image: ImageRecord = {
      id, name: null, status: 'queued', visibility: 'shared', protected: false, os_hidden: false,
      checksum: null, os_hash_algo: null, os_hash_value: null, owner: ctx.projectId, size: null, virtual_size: null,
      min_disk: 0, min_ram: 0, container_format: null, disk_format: null, created_at: now, updated_at: now, tags: [], properties: {},
    };
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'id') continue;
      refuseUntouchable(name);
      if (name === 'owner' && value !== ctx.projectId && !ctx.isAdmin) throw forbidden(`You are not permitted to create images owned by '${String(value)}'.`);
      setAttribute(image, name, value);
    }
    requireVisibilityAllowed(ctx, image.visibility);
    if (Object.keys(image.properties).length > config.image_property_quota) throw tooLarge(`Maximum number of image properties (${config.image_property_quota}) exceeded.`);
    if (image.tags.length > config.image_tag_quota) throw tooLarge(`Maximum number of image tags (${config.image_tag_quota}) exceeded.`);
    await records.withImage(id, async () => {
      if (await records.getImage(id)) throw conflict(`Image with identifier ${id} already exists!`);
      await records.putImage(image);
    });
    request.log.info({ image: id, owner: image.owner }, 'image created');
    reply.code(201).header('location', `/v2/images/${id}`).header('openstack-image-import-methods', api.importer.methods().join(','));
    return imageView(image);
  });

  app.get<IdParams>('/v2/images/:image_id', async (request) => {
    const { image } = await findImage(records, contextOf(request), request.params.image_id);
    return imageView(image);
  });

  app.patch<IdParams>('/v2/images/:image_id', async (request) => {
    const ctx = contextOf(request);
    const draft = patchDraftOf(request.headers['content-type']);
    if (draft === undefined) {
      const type = request.headers['content-type'];
      const err = unsupportedMediaType(`The request media type ${type === undefined ? 'None' : type.split(';')[0]!.trim()} is not supported by this server.`);
      err.headers['accept-patch'] = ACCEPT_PATCH;
      throw err;
    }
    const changes = parsePatch(requiredBody(request), draft);
    const id = request.params.image_id;
    const { image: seen, member } = await findImage(records, ctx, id);
    requireOwner(ctx, seen, member, 'modify');
    return records.withImage(seen.id, async () => {
      const image = (await records.getImage(seen.id)) ?? seen;
      const next = applyPatch(ctx, image, changes, { propertyQuota: config.image_property_quota, tagQuota: config.image_tag_quota });
      next.updated_at = isoNow();
      await records.putImage(next);
      return imageView(next);
    });
  });

  app.delete<IdParams>('/v2/images/:image_id', async (request, reply) => {
    const ctx = contextOf(request);
    const { image: seen, member } = await findImage(records, ctx, request.params.image_id);
    requireOwner(ctx, seen, member, 'delete');
    const data = await records.withImage(seen.id, async () => {
      const image = await records.getImage(seen.id);
      if (!image) return undefined;
      if (image.protected) throw forbidden(`Image ${image.id} is protected and cannot be deleted.`);
      // Its data, and what an upload still running may write (that upload discards it
      // itself when it ends; the entry covers a crash before then).
      const garbage = [];
      if (image.data) garbage.push({ data: image.data, since: isoNow() });
      if (image.pending) garbage.push({ data: { object: image.pending.object, segmentPrefix: image.pending.segmentPrefix, segmented: true }, since: isoNow() });
      await records.deleteImage(image.id, garbage);
      return image.data;
    });
    await api.importer.discardStaged(seen.id);
    if (data) {
      // The record is gone and the data is on the garbage list; delete it now if the store lets us.
      await api.data.discard(data, `image ${seen.id} deleted`);
    }
    request.log.info({ image: seen.id }, 'image deleted');
    reply.code(204).send();
  });
}
