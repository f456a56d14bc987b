// What the image routes share: finding the image a request names and the caller's
// membership of it, so policy can decide between 404 (cannot see) and 403 (cannot change).
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../auth.js';
import { badRequest, imageNotFound } from '../errors.js';
import { isUuid, type ImageRecord } from '../image.js';
import { requireRead } from '../policy.js';
import type { MemberRecord, Records } from '../records.js';

export interface VisibleImage {
  image: ImageRecord;
  member: MemberRecord | undefined;
}

/** The image if the caller may see it; 404 otherwise (also for ids that are not UUIDs). */
export async function findImage(records: Records, ctx: RequestContext, id: string): Promise<VisibleImage> {
  if (!isUuid(id)) throw imageNotFound(id);
  const image = await records.getImage(id);
  if (!image || image.status === 'deleted') throw imageNotFound(id);
  const member = ctx.projectId !== null && image.visibility === 'shared' ? await records.getMember(id, ctx.projectId) : undefined;
  requireRead(ctx, image, member);
  return { image, member };
}

export type IdParams = { Params: { image_id: string } };

/**
 * The body of a request that needs one, or Glance's 400 (its deserializers'
 * _get_request_body), checked before anything else as Glance deserializes first. A
 * body-less request with a JSON Content-Type reaches here with no body.
 */
export function requiredBody(request: FastifyRequest): unknown {
  if (request.body === undefined) throw badRequest('Body expected in request.');
  return request.body;
}
