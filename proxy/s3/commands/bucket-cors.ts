// PutBucketCors, GetBucketCors, DeleteBucketCors (/<bucket>?cors): the rules as JSON in the
// container's system metadata (see ../cors.ts for how they are used); a bucket with rules
// holds its name's claim for unsigned preflights (../cors-owners.ts).
import { createHash } from 'node:crypto';
import { requireBucket } from '../buckets.js';
import { checkClaimable, claim, release } from '../cors-owners.js';
import { MAX_STORED_CORS_BYTES, SYSMETA_CORS, corsXml, parseCorsXml, storedRules } from '../cors.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Context, type S3Request } from '../request.js';

const MAX_BODY_BYTES = 64 * 1024;

async function storeRules(ctx: S3Context, req: S3Request, value: string): Promise<void> {
  const res = await swift(ctx, req, { method: 'POST', container: req.bucket!, headers: { [SYSMETA_CORS]: value } });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket! });
}

export const putBucketCors: Command = async (ctx, req) => {
  const body = await readSmallPayload(req.body, req.headers, req, MAX_BODY_BYTES);
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5.trim()) throw new S3Error('BadDigest');
  const rules = parseCorsXml(body.toString('utf8'));
  const stored = JSON.stringify(rules);
  if (Buffer.byteLength(stored) > MAX_STORED_CORS_BYTES) {
    throw new S3Error('InvalidRequest', `The CORS configuration is over the ${MAX_STORED_CORS_BYTES} bytes this cluster keeps per bucket.`);
  }
  await requireBucket(ctx, req);
  await checkClaimable(ctx, req);
  await storeRules(ctx, req, stored);
  await claim(ctx, req);
  return { status: 200, headers: { 'content-length': '0' } };
};

export const getBucketCors: Command = async (ctx, req) => {
  const rules = storedRules(await requireBucket(ctx, req));
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: req.bucket! });
  return xmlResponse(corsXml(rules));
};

export const deleteBucketCors: Command = async (ctx, req) => {
  await requireBucket(ctx, req);
  await storeRules(ctx, req, '');
  await release(ctx, req);
  return { status: 204, headers: {} };
};
