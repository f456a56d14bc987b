// CopyObject (PUT /<bucket>/<key> with x-amz-copy-source): Swift's server-side copy
// (X-Copy-From), read as the caller and streamed into the destination. Metadata directive
// COPY keeps the source's content headers and metadata; REPLACE takes the request's.
import { quoteName } from '../../../common/paths.js';
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { httpDateToIso, objectWriteHeaders, quoteEtag } from '../objects.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Context, type S3Request, type S3Response } from '../request.js';
import { toXml } from '../xml.js';
import { SYSMETA_TAGGING, encodeTags, objectTags, parseTaggingHeader } from '../tagging.js';
import { writeConditions } from './put-object.js';
import {
  UNVERSIONED_HEADERS,
  checkVersionId,
  currentVersion,
  findArchived,
  prepareWrite,
  shownContentType,
  versioningState,
  versionsContainer,
} from '../versioning.js';

/**
 * A copy source: bucket, key and version as the client named them; `container` and
 * `object` where that version is stored, once located (locateCopySource).
 */
export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
  container?: string;
  object?: string;
  /** The content type an archived version is shown with. */
  contentType?: string;
}

/** x-amz-copy-source: "[/]<bucket>/<key>[?versionId=…]", URL-encoded. */
export function copySource(req: S3Request): CopySource {
  const raw = req.headers['x-amz-copy-source'] ?? '';
  const at = raw.indexOf('?versionId=');
  const withoutVersion = at < 0 ? raw : raw.slice(0, at);
  let decoded: string;
  let versionId: string | undefined;
  try {
    decoded = decodeURIComponent(withoutVersion);
    if (at >= 0) versionId = decodeURIComponent(raw.slice(at + '?versionId='.length));
  } catch {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1), ...(versionId !== undefined ? { versionId } : {}) };
}

/**
 * Where the named version of a copy source is stored: the plain object when it is the
 * latest, else its archived copy (../versioning.ts). NoSuchVersion when there is none; a
 * delete marker cannot be copied (InvalidRequest, as S3).
 */
export async function locateCopySource(ctx: S3Context, req: S3Request, source: CopySource): Promise<CopySource> {
  if (source.versionId === undefined || source.container !== undefined) return source;
  const { bucket, key, versionId } = source;
  checkVersionId(versionId, 'x-amz-copy-source');
  await versioningState(ctx, req, bucket); // NoSuchBucket
  const current = await currentVersion(ctx, req, bucket, key);
  if (current && current.versionId === versionId) return { ...source, container: bucket, object: key };
  const archived = await findArchived(ctx, req, bucket, key, versionId);
  if (!archived) throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
  if (archived.deleteMarker) throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  return {
    ...source,
    container: versionsContainer(bucket),
    object: archived.name,
    contentType: shownContentType(archived.row.content_type ?? 'application/octet-stream'),
  };
}

export const copyFromHeader = (source: CopySource) => `${quoteName(source.container ?? source.bucket)}/${quoteName(source.object ?? source.key)}`;

const CONDITIONS: Record<string, string> = {
  'x-amz-copy-source-if-match': 'if-match',
  'x-amz-copy-source-if-none-match': 'if-none-match',
  'x-amz-copy-source-if-modified-since': 'if-modified-since',
  'x-amz-copy-source-if-unmodified-since': 'if-unmodified-since',
};

/** x-amz-copy-source-if-* as the conditional headers of a read of the source. */
export function copySourceConditions(req: S3Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, swiftName] of Object.entries(CONDITIONS)) if (req.headers[name] !== undefined) out[swiftName] = req.headers[name]!;
  // S3's precedence (RFC 7232): if-match decides over if-unmodified-since, if-none-match
  // over if-modified-since (if-match true + if-unmodified-since false copies).
  if (out['if-match'] !== undefined) delete out['if-unmodified-since'];
  if (out['if-none-match'] !== undefined) delete out['if-modified-since'];
  return out;
}

/**
 * A GET or HEAD of the copy source as the caller, with conditions and a range: NoSuchBucket,
 * NoSuchKey, PreconditionFailed (any failed condition, as S3 copies answer) or InvalidRange
 * when it cannot be copied.
 */
export async function readCopySource(
  ctx: S3Context,
  req: S3Request,
  named: CopySource,
  method: 'GET' | 'HEAD',
  headers: Record<string, string>,
): Promise<S3Response> {
  const source = await locateCopySource(ctx, req, named);
  const res = await swift(ctx, req, { method, container: source.container ?? source.bucket, object: source.object ?? source.key, headers });
  if (isSuccess(res.status)) return res;
  drainBody(res);
  if (res.status === 404 && source.versionId !== undefined) throw new S3Error('NoSuchVersion', undefined, { Key: source.key, VersionId: source.versionId });
  if (res.status === 404) {
    await requireBucket(ctx, req, source.bucket);
    throw new S3Error('NoSuchKey', undefined, { Key: source.key });
  }
  if (res.status === 412 || res.status === 304) {
    const failed = Object.keys(CONDITIONS).filter((name) => req.headers[name] !== undefined).join(', ');
    throw new S3Error('PreconditionFailed', undefined, { Condition: failed });
  }
  if (res.status === 416) throw new S3Error('InvalidRange', undefined, { RangeRequested: headers.range ?? '' });
  throw fromSwiftStatus(res.status, { bucket: source.bucket, key: source.key });
}

export const copyObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  const source = await locateCopySource(ctx, req, copySource(req));
  const conditions = copySourceConditions(req);
  const directive = (req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  // Copying an older version onto its own key is how S3 clients restore a version.
  if (directive === 'COPY' && source.bucket === bucket && source.key === key && source.versionId === undefined) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const tagging = (req.headers['x-amz-tagging-directive'] ?? 'COPY').toUpperCase();
  if (tagging !== 'COPY' && tagging !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: tagging });
  }
  // The source's tags must be read when the copy would not carry them all: fresh metadata
  // keeps only the source's sysmeta, not tags changed later by PutObjectTagging.
  const readTags = tagging === 'COPY' && directive === 'REPLACE';
  let sourceHeaders: Record<string, string> | undefined;
  if (Object.keys(conditions).length > 0 || readTags) {
    const head = await readCopySource(ctx, req, source, 'HEAD', conditions);
    drainBody(head);
    sourceHeaders = head.headers;
  }
  const headers: Record<string, string> = { 'x-copy-from': copyFromHeader(source), ...writeConditions(req) };
  if (directive === 'REPLACE') Object.assign(headers, objectWriteHeaders(req.headers), { 'x-fresh-metadata': 'true' });
  if (tagging === 'REPLACE') Object.assign(headers, encodeTags(SYSMETA_TAGGING, req.headers['x-amz-tagging'] !== undefined ? parseTaggingHeader(req.headers['x-amz-tagging']) : []));
  else if (readTags && sourceHeaders) Object.assign(headers, encodeTags(SYSMETA_TAGGING, objectTags(sourceHeaders)));
  if (source.contentType !== undefined && directive === 'COPY') headers['content-type'] = source.contentType;
  // In a bucket with versioning the object replaced is archived; elsewhere the copy keeps
  // no version of its source's.
  const versioned = await prepareWrite(ctx, req, bucket, key, { ifNoneMatch: headers['if-none-match'] !== undefined });
  try {
    Object.assign(headers, versioned?.headers ?? UNVERSIONED_HEADERS);
    const res = await swift(ctx, req, { method: 'PUT', container: bucket, object: key, headers });
    if (res.status === 404 && source.versionId !== undefined) {
      await requireBucket(ctx, req, bucket);
      throw new S3Error('NoSuchVersion', undefined, { Key: source.key, VersionId: source.versionId });
    }
    if (res.status === 404) {
      await requireBucket(ctx, req, bucket);
      await requireBucket(ctx, req, source.bucket);
      throw new S3Error('NoSuchKey', undefined, { Key: source.key });
    }
    if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key });
    const etag = quoteEtag((res.headers.etag ?? '').replace(/^"(.*)"$/, '$1'));
    const answer = xmlResponse(toXml('CopyObjectResult', { LastModified: httpDateToIso(res.headers['last-modified']), ETag: etag }));
    if (versioned) answer.headers['x-amz-version-id'] = versioned.versionId;
    const sourceVersion = source.versionId ?? (await sourceVersionId(ctx, req, source));
    if (sourceVersion !== undefined) answer.headers['x-amz-copy-source-version-id'] = sourceVersion;
    return answer;
  } finally {
    versioned?.release();
  }
};

/** The version id of a copy source named without one: only a bucket with versioning has them. */
async function sourceVersionId(ctx: S3Context, req: S3Request, source: CopySource): Promise<string | undefined> {
  if ((await versioningState(ctx, req, source.bucket)) === undefined) return undefined;
  return (await currentVersion(ctx, req, source.bucket, source.key))?.versionId;
}
