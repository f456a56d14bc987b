// AbortMultipartUpload (DELETE /<bucket>/<key>?uploadId=U): every stored part, then the
// marker, so an abandoned upload leaves nothing in the segments container.
import { deleteSegments, requireUpload, storedParts, uploadIdOf, uploadMarkerName } from '../multipart.js';
import type { Command } from '../request.js';

export const abortMultipartUpload: Command = async (ctx, req) => {
  const uploadId = uploadIdOf(req);
  await requireUpload(ctx, req, uploadId);
  const parts = await storedParts(ctx, req, uploadId);
  await deleteSegments(ctx, req, parts.map((p) => p.name));
  await deleteSegments(ctx, req, [uploadMarkerName(req.key!, uploadId)]);
  return { status: 204, headers: {} };
};
