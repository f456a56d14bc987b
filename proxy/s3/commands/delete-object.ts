// DeleteObject (DELETE /<bucket>/<key>): idempotent as in S3 (204 whether or not the key
// existed). A multipart object is a static large object: its parts go with it. In a
// bucket with versioning, a delete marker is written instead, and ?versionId= deletes
// one version for good (../versioning.ts).
import { requireBucket } from '../buckets.js';
import { fromSwiftStatus } from '../errors.js';
import { drainBody, isSuccess, swift, type Command, type S3Context, type S3Request } from '../request.js';
import { checkVersionId, deleteSwiftObject, deleteVersion, deleteWithMarker, versioningState } from '../versioning.js';

/** Deletes one key: the SLO's segments too. Returns the Swift status (404 when it did not exist). */
export async function deleteKey(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<number> {
  const head = await swift(ctx, req, { method: 'HEAD', container: bucket, object: key });
  drainBody(head);
  if (!isSuccess(head.status)) return head.status;
  const isSlo = (head.headers['x-static-large-object'] ?? '').toLowerCase() === 'true';
  // Waits for a large object's delete report: its parts are gone when DeleteObject answers.
  return deleteSwiftObject(ctx, req, bucket, key, isSlo);
}

export const deleteObject: Command = async (ctx, req) => {
  const versionId = req.query.get('versionId');
  if (versionId !== undefined) {
    checkVersionId(versionId);
    const { deleteMarker } = await deleteVersion(ctx, req, req.bucket!, req.key!, versionId);
    return { status: 204, headers: { 'x-amz-version-id': versionId, ...(deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) } };
  }
  const state = await versioningState(ctx, req);
  if (state !== undefined) {
    const marker = await deleteWithMarker(ctx, req, req.bucket!, req.key!, state);
    return { status: 204, headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId } };
  }
  const status = await deleteKey(ctx, req, req.bucket!, req.key!);
  if (status === 404) await requireBucket(ctx, req);
  else if (!isSuccess(status)) throw fromSwiftStatus(status, { bucket: req.bucket!, key: req.key! });
  return { status: 204, headers: {} };
};
