// DeleteObject (DELETE /<bucket>/<key>): idempotent as in S3 (204 whether or not the key
// existed). A multipart object is a static large object: its parts go with it.
import { requireBucket } from '../buckets.js';
import { fromSwiftStatus } from '../errors.js';
import { drainBody, isSuccess, swift, type Command, type S3Context, type S3Request } from '../request.js';

/** Deletes one key: the SLO's segments too. Returns the Swift status (404 when it did not exist). */
export async function deleteKey(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<number> {
  const head = await swift(ctx, req, { method: 'HEAD', container: bucket, object: key });
  drainBody(head);
  if (!isSuccess(head.status)) return head.status;
  const isSlo = (head.headers['x-static-large-object'] ?? '').toLowerCase() === 'true';
  const res = await swift(ctx, req, {
    method: 'DELETE',
    container: bucket,
    object: key,
    ...(isSlo ? { query: { 'multipart-manifest': 'delete' }, headers: { accept: 'application/json' } } : {}),
  });
  drainBody(res);
  return res.status;
}

export const deleteObject: Command = async (ctx, req) => {
  const status = await deleteKey(ctx, req, req.bucket!, req.key!);
  if (status === 404) await requireBucket(ctx, req);
  else if (!isSuccess(status)) throw fromSwiftStatus(status, { bucket: req.bucket!, key: req.key! });
  return { status: 204, headers: {} };
};
