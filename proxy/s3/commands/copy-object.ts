// CopyObject (PUT /<bucket>/<key> with x-amz-copy-source): Swift's server-side copy
// (X-Copy-From), read as the caller and streamed into the destination. Metadata directive
// COPY keeps the source's content headers and metadata; REPLACE takes the request's.
import { quoteName } from '../../../common/paths.js';
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { httpDateToIso, objectWriteHeaders, quoteEtag } from '../objects.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Context, type S3Request, type S3Response } from '../request.js';
import { toXml } from '../xml.js';
import { writeConditions } from './put-object.js';

/** x-amz-copy-source: "[/]<bucket>/<key>[?versionId=…]", URL-encoded. */
export function copySource(req: S3Request): { bucket: string; key: string } {
  const raw = req.headers['x-amz-copy-source'] ?? '';
  const withoutVersion = raw.split('?versionId=')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(withoutVersion);
  } catch {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

export const copyFromHeader = (source: { bucket: string; key: string }) =>
  `${quoteName(source.bucket)}/${quoteName(source.key)}`;

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
  source: { bucket: string; key: string },
  method: 'GET' | 'HEAD',
  headers: Record<string, string>,
): Promise<S3Response> {
  const res = await swift(ctx, req, { method, container: source.bucket, object: source.key, headers });
  if (isSuccess(res.status)) return res;
  drainBody(res);
  if (res.status === 404) {
    await requireBucket(ctx, req, source.bucket);
    throw new S3Error('NoSuchKey', undefined, { Key: source.key });
  }
  if (res.status === 412 || res.status === 304) {
    const failed = Object.keys(CONDITIONS).filter((name) => req.headers[name] !== undefined).join(', ');
    throw new S3Error('PreconditionFailed', undefined, { Condition: failed });
  }
  if (res.status === 416) throw new S3Error('InvalidRange', undefined, { RangeRequested: headers.range ?? '' });
  throw fromSwiftStatus(res.status, source);
}

export const copyObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  const source = copySource(req);
  const conditions = copySourceConditions(req);
  const directive = (req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (directive === 'COPY' && source.bucket === bucket && source.key === key) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (Object.keys(conditions).length > 0) drainBody(await readCopySource(ctx, req, source, 'HEAD', conditions));
  const headers: Record<string, string> = { 'x-copy-from': copyFromHeader(source), ...writeConditions(req) };
  if (directive === 'REPLACE') Object.assign(headers, objectWriteHeaders(req.headers), { 'x-fresh-metadata': 'true' });
  const res = await swift(ctx, req, { method: 'PUT', container: bucket, object: key, headers });
  if (res.status === 404) {
    await requireBucket(ctx, req, bucket);
    await requireBucket(ctx, req, source.bucket);
    throw new S3Error('NoSuchKey', undefined, { Key: source.key });
  }
  if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key });
  const etag = quoteEtag((res.headers.etag ?? '').replace(/^"(.*)"$/, '$1'));
  return xmlResponse(toXml('CopyObjectResult', { LastModified: httpDateToIso(res.headers['last-modified']), ETag: etag }));
};
