// CopyObject (PUT /<bucket>/<key> with x-amz-copy-source): Swift's server-side copy
// (X-Copy-From), read as the caller and streamed into the destination. Metadata directive
// COPY keeps the source's content headers and metadata; REPLACE takes the request's.
import { quoteName } from '../../../common/paths.js';
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { httpDateToIso, objectWriteHeaders, quoteEtag } from '../objects.js';
import { isSuccess, swift, xmlResponse, type Command, type S3Request } from '../request.js';
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

export const copyObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  const source = copySource(req);
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith('x-amz-copy-source-if-')) throw new S3Error('NotImplemented', 'Conditional copies are not supported.');
  }
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
