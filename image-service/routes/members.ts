// /v2/images/{id}/members: the owner shares a `shared` image with other projects; each
// member project accepts or rejects it (accepted images appear in its listings).
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '../auth.js';
import { badRequest, conflict, forbidden, notFound, tooLarge } from '../errors.js';
import { isoNow, type ImageRecord } from '../image.js';
import { isOwner, requireOwner } from '../policy.js';
import type { MemberRecord } from '../records.js';
import { contextOf, type ImageApi } from '../server.js';
import { findImage, requiredBody, type IdParams } from './common.js';

type MemberParams = { Params: { image_id: string; member_id: string } };
const STATUSES = ['pending', 'accepted', 'rejected'];

export function memberView(member: MemberRecord): Record<string, unknown> {
  return { ...member, schema: '/v2/schemas/member' };
}

function requireShared(image: ImageRecord): void {
  if (image.visibility !== 'shared') throw forbidden(`Only shared images have members. Image ${image.id} is ${image.visibility}.`);
}

const canSeeMember = (ctx: RequestContext, image: ImageRecord, memberId: string) =>
  ctx.isAdmin || isOwner(ctx, image) || ctx.projectId === memberId;

export function registerMemberRoutes(app: FastifyInstance, api: ImageApi): void {
  const { records, config } = api;

  app.post<IdParams>('/v2/images/:image_id/members', async (request) => {
    const body = requiredBody(request) as { member?: unknown };
    const ctx = contextOf(request);
    const { image, member } = await findImage(records, ctx, request.params.image_id);
    requireOwner(ctx, image, member, 'add members to');
    requireShared(image);
    const memberId = body?.member;
    if (typeof memberId !== 'string' || memberId === '' || memberId.length > 255) throw badRequest('Member to be added not specified: the body must be {"member": "<project id>"}.');
    return records.withImage(image.id, async () => {
      if (await records.getMember(image.id, memberId)) throw conflict(`Member ${memberId} already exists for image ${image.id}.`);
      if ((await records.members(image.id)).length >= config.image_member_quota) throw tooLarge(`Maximum number of image members (${config.image_member_quota}) exceeded.`);
      const now = isoNow();
      const record: MemberRecord = { image_id: image.id, member_id: memberId, status: 'pending', created_at: now, updated_at: now };
      await records.putMember(record);
      return memberView(record);
    });
  });

  app.get<IdParams>('/v2/images/:image_id/members', async (request) => {
    const ctx = contextOf(request);
    const { image } = await findImage(records, ctx, request.params.image_id);
    requireShared(image);
    const members = (await records.members(image.id)).filter((m) => canSeeMember(ctx, image, m.member_id));
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  });

  app.get<MemberParams>('/v2/images/:image_id/members/:member_id', async (request) => {
    const ctx = contextOf(request);
    const { image } = await findImage(records, ctx, request.params.image_id);
    requireShared(image);
    const member = await records.getMember(image.id, request.params.member_id);
    if (!member || !canSeeMember(ctx, image, member.member_id)) throw notFound(`${request.params.member_id} is not a member of image ${image.id}.`);
    return memberView(member);
  });

  app.put<MemberParams>('/v2/images/:image_id/members/:member_id', async (request) => {
    const body = requiredBody(request) as { status?: unknown };
    const ctx = contextOf(request);
    const { image } = await findImage(records, ctx, request.params.image_id);
    requireShared(image);
    const status = body?.status;
    if (typeof status !== 'string' || !STATUSES.includes(status)) throw badRequest(`Invalid member status: ${JSON.stringify(status)}; it must be one of ${STATUSES.join(', ')}.`);
    const memberId = request.params.member_id;
    return records.withImage(image.id, async () => {
      const member = await records.getMember(image.id, memberId);
      if (!member || !canSeeMember(ctx, image, memberId)) throw notFound(`${memberId} is not a member of image ${image.id}.`);
      // Only the member project decides (admins may act for it); the owner cannot accept for it.
      if (ctx.projectId !== memberId && !ctx.isAdmin) throw forbidden(`You are not permitted to modify 'status' on this image member.`);
      member.status = status as MemberRecord['status'];
      member.updated_at = isoNow();
      await records.putMember(member);
      return memberView(member);
    });
  });

  app.delete<MemberParams>('/v2/images/:image_id/members/:member_id', async (request, reply) => {
    const ctx = contextOf(request);
    const { image, member: mine } = await findImage(records, ctx, request.params.image_id);
    requireOwner(ctx, image, mine, 'remove members from');
    requireShared(image);
    await records.withImage(image.id, async () => {
      if (!(await records.getMember(image.id, request.params.member_id))) throw notFound(`${request.params.member_id} is not a member of image ${image.id}.`);
      await records.deleteMember(image.id, request.params.member_id);
    });
    reply.code(204).send();
  });
}
