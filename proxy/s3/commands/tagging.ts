// Get/Put/DeleteObjectTagging (/<bucket>/<key>?tagging[&versionId=]) and
// Get/Put/DeleteBucketTagging (/<bucket>?tagging): tag sets checked by S3's rules
// (../tagging.ts) and kept in Swift system metadata. An object's tags are changed by an
// object POST that carries its current metadata and content headers again (a Swift POST
// replaces them all) with the new set in transient sysmeta; a bucket's by a container POST.
import { createHash } from 'node:crypto';
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Context, type S3Request } from '../request.js';
import { STORED_OBJECT_HEADERS } from '../../swift/headers.js';
import { SYSMETA_BUCKET_TAGGING, TRANSIENT_TAGGING, bucketTags, checkTags, encodeTags, objectTags, parseTaggingXml, taggingXml, type Tags } from '../tagging.js';
import { checkVersionId, currentVersion, findArchived, versionsContainer } from '../versioning.js';

const MAX_BODY_BYTES = 64 * 1024;

/** A Tagging body: Content-MD5 checked when sent (BadDigest), then parsed. */
async function taggingBody(req: S3Request): Promise<Tags> {
  const body = await readSmallPayload(req.body, req.headers, req, MAX_BODY_BYTES);
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5.trim()) throw new S3Error('BadDigest');
  return parseTaggingXml(body.toString('utf8'));
}

/** Where the addressed version of the object lives: the object itself, or an archived version. */
async function locate(ctx: S3Context, req: S3Request): Promise<{ container: string; object: string; versionId?: string }> {
  const bucket = req.bucket!;
  const key = req.key!;
  const versionId = req.query.get('versionId');
  if (versionId === undefined) return { container: bucket, object: key };
  checkVersionId(versionId);
  await requireBucket(ctx, req);
  const current = await currentVersion(ctx, req, bucket, key);
  if (current && current.versionId === versionId) return { container: bucket, object: key, versionId };
  const archived = await findArchived(ctx, req, bucket, key, versionId);
  if (!archived) throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
  if (archived.deleteMarker) throw new S3Error('MethodNotAllowed', undefined, { Method: req.method, ResourceType: 'DeleteMarker' }, { 'x-amz-delete-marker': 'true' });
  return { container: versionsContainer(bucket), object: archived.name, versionId };
}

/** HEAD of the addressed object: its Swift headers (NoSuchBucket / NoSuchKey otherwise). */
async function headObject(ctx: S3Context, req: S3Request, where: { container: string; object: string }): Promise<Record<string, string>> {
  const res = await swift(ctx, req, { method: 'HEAD', container: where.container, object: where.object });
  drainBody(res);
  if (res.status === 404) {
    await requireBucket(ctx, req);
    throw new S3Error('NoSuchKey', undefined, { Key: req.key! });
  }
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket!, key: req.key! });
  return res.headers;
}

const versionHeader = (where: { versionId?: string }): Record<string, string> => (where.versionId !== undefined ? { 'x-amz-version-id': where.versionId } : {});

export const getObjectTagging: Command = async (ctx, req) => {
  const where = await locate(ctx, req);
  const headers = await headObject(ctx, req, where);
  const res = xmlResponse(taggingXml(objectTags(headers)));
  Object.assign(res.headers, versionHeader(where));
  return res;
};

/** Replaces the object's tag set: a POST carrying what a POST would otherwise drop. */
async function storeObjectTags(ctx: S3Context, req: S3Request, tags: Tags): Promise<Record<string, string>> {
  const where = await locate(ctx, req);
  const current = await headObject(ctx, req, where);
  const headers: Record<string, string> = encodeTags(TRANSIENT_TAGGING, tags);
  for (const [name, value] of Object.entries(current)) {
    if (name.startsWith('x-object-meta-') || (name.startsWith('x-object-transient-sysmeta-') && !name.startsWith(TRANSIENT_TAGGING))) headers[name] = value;
  }
  for (const name of STORED_OBJECT_HEADERS) {
    if (name === 'x-static-large-object' || name === 'x-object-manifest') continue;
    if (current[name] !== undefined) headers[name] = current[name]!;
  }
  const res = await swift(ctx, req, { method: 'POST', container: where.container, object: where.object, headers });
  drainBody(res);
  if (res.status === 404) throw new S3Error('NoSuchKey', undefined, { Key: req.key! });
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket!, key: req.key! });
  return versionHeader(where);
}

export const putObjectTagging: Command = async (ctx, req) => {
  const tags = await taggingBody(req);
  checkTags(tags, 'object');
  const headers = await storeObjectTags(ctx, req, tags);
  return { status: 200, headers: { 'content-length': '0', ...headers } };
};

export const deleteObjectTagging: Command = async (ctx, req) => {
  const headers = await storeObjectTags(ctx, req, []);
  return { status: 204, headers };
};

/** Replaces the bucket's tags; the old set's extra headers are emptied (Swift removes a sysmeta set to ""). */
async function storeBucketTags(ctx: S3Context, req: S3Request, current: Record<string, string>, tags: Tags): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(current)) if (name.startsWith(SYSMETA_BUCKET_TAGGING)) headers[name] = '';
  Object.assign(headers, tags.length > 0 ? encodeTags(SYSMETA_BUCKET_TAGGING, tags) : {});
  const res = await swift(ctx, req, { method: 'POST', container: req.bucket!, headers });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket! });
}

export const getBucketTagging: Command = async (ctx, req) => {
  const tags = bucketTags(await requireBucket(ctx, req));
  if (!tags) throw new S3Error('NoSuchTagSet', undefined, { BucketName: req.bucket! });
  return xmlResponse(taggingXml(tags));
};

export const putBucketTagging: Command = async (ctx, req) => {
  const tags = await taggingBody(req);
  checkTags(tags, 'bucket');
  await storeBucketTags(ctx, req, await requireBucket(ctx, req), tags);
  return { status: 204, headers: {} };
};

export const deleteBucketTagging: Command = async (ctx, req) => {
  await storeBucketTags(ctx, req, await requireBucket(ctx, req), []);
  return { status: 204, headers: {} };
};
