// GetObject and HeadObject (GET/HEAD /<bucket>/<key>): a Swift object GET/HEAD with
// Range and the conditional headers (evaluated by the object servers), the answer's
// headers in S3's form, and response-* query overrides of the content headers. With
// ?versionId= the version is read where it lives (the plain object when it is the latest,
// else the versions container); a delete marker is 405 by id, 404 NoSuchKey when latest.
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { SYSMETA_S3_ETAG, s3ObjectHeaders } from '../objects.js';
import { objectParts, partNumberOf } from '../multipart.js';
import { objectTags } from '../tagging.js';
import { readConditions } from '../conditions.js';
import { drainBody, swift, type Command, type S3Context, type S3Request } from '../request.js';
import {
  SYSMETA_VERSION_ID,
  checkVersionId,
  currentVersion,
  findArchived,
  newestArchived,
  shownContentType,
  versionIdOf,
  versionTime,
  versionTsOf,
  versioningState,
  versionsContainer,
} from '../versioning.js';

const OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];

/**
 * GET/HEAD with partNumber: the byte range of that part of a multipart object (from its
 * manifest), and how many parts it has. A simple object is one part: the whole of it.
 */
async function partRange(ctx: S3Context, req: S3Request): Promise<{ range?: string; count: number }> {
  const number = partNumberOf(req);
  const { parts } = await objectParts(ctx, req);
  if (parts === null) {
    if (number !== 1) throw new S3Error('InvalidPartNumber');
    return { count: 1 };
  }
  if (number > parts.length) throw new S3Error('InvalidPartNumber');
  const first = parts.slice(0, number - 1).reduce((a, b) => a + b, 0);
  const size = parts[number - 1]!;
  // An empty last part has no byte range to ask for; the whole (empty) remainder is it.
  return size > 0 ? { range: `bytes=${first}-${first + size - 1}`, count: parts.length } : { count: parts.length };
}

export const getObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  // If-Match and If-None-Match compare the ETag S3 shows: a multipart object's
  // "<md5 of md5s>-N", kept in sysmeta, where it has one (awscli sends If-Match on the
  // ranged GETs of a download).
  const headers: Record<string, string> = { 'x-backend-etag-is-at': SYSMETA_S3_ETAG };
  if (req.headers.range !== undefined) headers.range = req.headers.range;
  // S3's precedence of the conditional headers (../conditions.ts).
  const conditions = readConditions(req.headers);
  Object.assign(headers, conditions.read);
  const part = req.query.has('partNumber') ? await partRange(ctx, req) : undefined;
  if (part) {
    if (headers.range !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
    if (part.range) headers.range = part.range;
  }
  const versionId = req.query.get('versionId');
  let container = bucket;
  let object = key;
  if (versionId !== undefined) {
    checkVersionId(versionId);
    await versioningState(ctx, req, bucket); // NoSuchBucket
    const current = await currentVersion(ctx, req, bucket, key);
    if (!current || current.versionId !== versionId) {
      const archived = await findArchived(ctx, req, bucket, key, versionId);
      if (!archived) throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
      if (archived.deleteMarker) {
        throw new S3Error(
          'MethodNotAllowed',
          undefined,
          { Method: req.method, ResourceType: 'DeleteMarker' },
          { 'x-amz-delete-marker': 'true', 'x-amz-version-id': versionId, 'last-modified': new Date(versionTime(archived.ts)).toUTCString() },
        );
      }
      container = versionsContainer(bucket);
      object = archived.name;
    }
  }
  if (conditions.precheck) {
    const head = await swift(ctx, req, { method: 'HEAD', container, object, headers: { 'x-backend-etag-is-at': SYSMETA_S3_ETAG, ...conditions.precheck } });
    drainBody(head);
    if (head.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: conditions.condition412 ?? 'If-Match' });
  }
  const res = await swift(ctx, req, { method: req.method, container, object, headers });
  if (res.status === 404) {
    drainBody(res);
    if (versionId !== undefined) throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
    if ((await versioningState(ctx, req, bucket)) !== undefined) {
      // The latest version may be a delete marker: S3 says so.
      const newest = await newestArchived(ctx, req, bucket, key);
      if (newest?.deleteMarker) {
        throw new S3Error('NoSuchKey', undefined, { Key: key }, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': newest.versionId });
      }
    }
    await requireBucket(ctx, req);
    throw new S3Error('NoSuchKey', undefined, { Key: key });
  }
  if (res.status === 304) {
    drainBody(res);
    const shown = s3ObjectHeaders(res.headers);
    return { status: 304, headers: { ...(shown.etag ? { etag: shown.etag } : {}), ...(shown['last-modified'] ? { 'last-modified': shown['last-modified'] } : {}) } };
  }
  if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: conditions.condition412 ?? 'If-Match' });
  if (res.status === 416) throw new S3Error('InvalidRange', undefined, { RangeRequested: req.headers.range ?? '' });
  if (res.status < 200 || res.status >= 300) throw fromSwiftStatus(res.status, { bucket, key });
  const out = s3ObjectHeaders(res.headers);
  if (out['content-type'] !== undefined) out['content-type'] = shownContentType(out['content-type']);
  if (res.headers[SYSMETA_VERSION_ID] !== undefined && res.headers[SYSMETA_VERSION_ID] !== '') {
    // When the version was written (an archived or restored copy was stored later).
    out['last-modified'] = new Date(versionTime(versionTsOf(res.headers))).toUTCString();
    out['x-amz-version-id'] = versionIdOf(res.headers);
  } else if (versionId !== undefined || (await versioningState(ctx, req, bucket)) !== undefined) {
    out['x-amz-version-id'] = 'null';
  }
  if (part) out['x-amz-mp-parts-count'] = String(part.count);
  // GetObject tells how many tags the object has (when it has any); HeadObject does not.
  const tagCount = objectTags(res.headers).length;
  if (tagCount > 0 && req.method === 'GET') out['x-amz-tagging-count'] = String(tagCount);
  for (const name of OVERRIDES) {
    const value = req.query.get(`response-${name}`);
    if (value !== undefined) out[name] = value;
  }
  return { status: res.status, headers: out, body: req.method === 'HEAD' ? null : (res.body ?? null) };
};
