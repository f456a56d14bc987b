// Conditional writes (PutObject, CopyObject, CompleteMultipartUpload): If-None-Match: *
// (write only if the key has no object) and If-Match: <etag> (write only over the object
// with that S3 ETag).
// - If-None-Match: * goes to the object servers with the write, as Swift's object servers
//   evaluate it against what they hold (412 when the key exists). Any other value is
//   S3's NotImplemented, as AWS answers it.
// - If-Match is checked by the proxy before the write: a HEAD of the key compares the S3
//   ETag (404 NoSuchKey when there is no object, 412 PreconditionFailed when it differs),
//   then the write runs. Conditional writes of one key through one proxy process are
//   serialized (a queue per key), so two If-Match writers racing through this proxy
//   cannot both succeed: the second sees the first's ETag and gets 412. Writers through
//   other proxy processes, or unconditional writers, can still land between the check and
//   the write: Swift's object servers have no If-Match on PUT to make it atomic there.
import { requireBucket } from './buckets.js';
import { S3Error, fromSwiftStatus } from './errors.js';
import { SYSMETA_S3_ETAG } from './objects.js';
import { drainBody, swift, type Command, type S3Request } from './request.js';

/** The tail of each key's queue of conditional writes in this process. */
const queues = new Map<string, Promise<void>>();

async function serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
  const before = queues.get(name) ?? Promise.resolve();
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => done);
  queues.set(name, tail);
  await before;
  try {
    return await work();
  } finally {
    release();
    if (queues.get(name) === tail) queues.delete(name);
  }
}

/** If-None-Match on a write: only "*" (do not overwrite) exists in S3. */
export function ifNoneMatchHeader(req: S3Request): Record<string, string> {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch === undefined) return {};
  if (noneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented.', { Header: 'If-None-Match' });
  return { 'if-none-match': '*' };
}

/** A write command with If-Match checked first (and conditional writes of one key serialized). */
export function conditionalWrite(command: Command): Command {
  return async (ctx, req) => {
    const ifMatch = req.headers['if-match'];
    const conditional = ifMatch !== undefined || req.headers['if-none-match'] !== undefined;
    if (!conditional) return command(ctx, req);
    ifNoneMatchHeader(req);
    return serialized(`${req.account}/${req.bucket}/${req.key}`, async () => {
      if (ifMatch !== undefined) {
        const head = await swift(ctx, req, {
          method: 'HEAD',
          container: req.bucket!,
          object: req.key!,
          headers: { 'if-match': ifMatch, 'x-backend-etag-is-at': SYSMETA_S3_ETAG },
        });
        drainBody(head);
        if (head.status === 404) {
          await requireBucket(ctx, req);
          throw new S3Error('NoSuchKey', undefined, { Key: req.key! });
        }
        if (head.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
        if (head.status < 200 || head.status >= 300) throw fromSwiftStatus(head.status, { bucket: req.bucket!, key: req.key! });
      }
      try {
        return await command(ctx, req);
      } catch (err) {
        // The object servers refusing the write as older than what they hold: another
        // writer's object landed while this one was written.
        if (err instanceof S3Error && err.code === 'BucketNotEmpty') throw new S3Error('ConditionalRequestConflict', undefined, { Key: req.key! });
        throw err;
      }
    });
  };
}
