// DeleteBucket (DELETE /<bucket>): a container DELETE (BucketNotEmpty while objects
// remain), then the hidden segments container goes too, with the parts of any upload
// nobody completed or aborted, so nothing is left behind. A bucket that still holds
// older versions or delete markers (its versions container) is not empty either.
import { requireBucket, segmentsContainer } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { drainBody, isSuccess, responseText, swift, type Command, type S3Context, type S3Request } from '../request.js';
import { versionsContainer } from '../versioning.js';

const PAGE = 1000;
const DELETE_CONCURRENCY = 8;

/** Deletes every object of a container, then the container; quietly does nothing when it is missing. */
export async function emptyAndDelete(ctx: S3Context, req: S3Request, container: string): Promise<void> {
  for (;;) {
    const res = await swift(ctx, req, { method: 'GET', container, query: { format: 'json', limit: String(PAGE) } });
    if (res.status === 404) return;
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status);
    const rows = res.status === 204 ? [] : (JSON.parse(await responseText(res)) as Array<{ name: string }>);
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i += DELETE_CONCURRENCY) {
      await Promise.all(rows.slice(i, i + DELETE_CONCURRENCY).map((row) => swift(ctx, req, { method: 'DELETE', container, object: row.name })));
    }
  }
  await swift(ctx, req, { method: 'DELETE', container });
}

export const deleteBucket: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const versions = await swift(ctx, req, { method: 'GET', container: versionsContainer(bucket), query: { format: 'json', limit: '1' } });
  const hasVersions = versions.status === 200 && (JSON.parse(await responseText(versions)) as unknown[]).length > 0;
  if (versions.status !== 200) drainBody(versions);
  if (hasVersions) {
    await requireBucket(ctx, req); // NoSuchBucket first
    throw new S3Error('BucketNotEmpty', undefined, { BucketName: bucket });
  }
  const res = await swift(ctx, req, { method: 'DELETE', container: bucket });
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
  await emptyAndDelete(ctx, req, versionsContainer(bucket));
  await emptyAndDelete(ctx, req, segmentsContainer(bucket));
  return { status: 204, headers: {} };
};
