// Glance's default policy: admins may do anything; owners modify their images; public and
// community images are readable by everyone; members see shared images; only admins make
// an image public. An image the caller may not see is "not found" (404), one they see but
// may not change is 403.
import type { RequestContext } from './auth.js';
import { forbidden, imageNotFound } from './errors.js';
import type { ImageRecord } from './image.js';
import type { MemberRecord } from './records.js';

export function isOwner(ctx: RequestContext, image: ImageRecord): boolean {
  return ctx.projectId !== null && image.owner === ctx.projectId;
}

/** Whether the caller may see the image (show, download, list members). */
export function canRead(ctx: RequestContext, image: ImageRecord, member: MemberRecord | undefined): boolean {
  if (ctx.isAdmin || isOwner(ctx, image)) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  return image.visibility === 'shared' && member !== undefined;
}

export function requireRead(ctx: RequestContext, image: ImageRecord, member: MemberRecord | undefined): void {
  if (!canRead(ctx, image, member)) throw imageNotFound(image.id);
}

/** Owner or admin: modify, delete, upload, tags, members, deactivate/reactivate. */
export function requireOwner(ctx: RequestContext, image: ImageRecord, member: MemberRecord | undefined, action: string): void {
  requireRead(ctx, image, member);
  if (!ctx.isAdmin && !isOwner(ctx, image)) throw forbidden(`You are not authorized to ${action} image ${image.id}.`);
}

/** publicize_image is admin only. */
export function requireVisibilityAllowed(ctx: RequestContext, visibility: string): void {
  if (visibility === 'public' && !ctx.isAdmin) throw forbidden('You are not authorized to complete publicize_image action.');
}
