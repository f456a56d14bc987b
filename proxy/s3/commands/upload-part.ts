// UploadPart (PUT /<bucket>/<key>?partNumber=N&uploadId=U) streams the body into the
// part's object in the segments container, through the same payload checks as PutObject;
// UploadPartCopy (the same with x-amz-copy-source[-range]) streams a byte range of another
// object into it. A part uploaded again replaces the earlier one.
import { Readable } from 'node:stream';
import { segmentsContainer } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { partName, partNumberOf, requireUpload, uploadIdOf } from '../multipart.js';
import { httpDateToIso, quoteEtag } from '../objects.js';
import { isSuccess, swift, xmlResponse, type Command } from '../request.js';
import { toXml } from '../xml.js';
import { copySource, copySourceConditions, readCopySource } from './copy-object.js';
import { putBody } from './put-object.js';

export const uploadPart: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const part = partNumberOf(req);
  const uploadId = uploadIdOf(req);
  await requireUpload(ctx, req, uploadId);
  const { res, checksums } = await putBody(ctx, req, segmentsContainer(bucket), partName(req.key!, uploadId, part), {});
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key: req.key! }, typeof res.body === 'string' ? res.body : undefined);
  return { status: 200, headers: { etag: quoteEtag(res.headers.etag ?? ''), 'content-length': '0', ...checksums } };
};

/** x-amz-copy-source-range: "bytes=first-last", both ends given (S3's only form). */
function copyRange(req: { headers: Record<string, string> }): string | undefined {
  const value = req.headers['x-amz-copy-source-range'];
  if (value === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!match || Number(match[1]) > Number(match[2])) {
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: value,
    });
  }
  return `bytes=${match[1]}-${match[2]}`;
}

/** A response body as a stream (small answers may come as a string or a buffer). */
const asReadable = (body: Readable | Buffer | string | null | undefined): Readable | null =>
  body === null || body === undefined ? null : body instanceof Readable ? body : Readable.from([Buffer.from(body)]);

export const uploadPartCopy: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const part = partNumberOf(req);
  const uploadId = uploadIdOf(req);
  const source = copySource(req);
  const range = copyRange(req);
  await requireUpload(ctx, req, uploadId);
  const sourceRes = await readCopySource(ctx, req, source, 'GET', { ...copySourceConditions(req), ...(range ? { range } : {}) });
  const length = sourceRes.headers['content-length'];
  const res = await swift(ctx, req, {
    method: 'PUT',
    container: segmentsContainer(bucket),
    object: partName(req.key!, uploadId, part),
    headers: length !== undefined ? { 'content-length': length } : { 'transfer-encoding': 'chunked' },
    body: asReadable(sourceRes.body),
  });
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key: req.key! });
  return xmlResponse(toXml('CopyPartResult', { LastModified: httpDateToIso(res.headers['last-modified']), ETag: quoteEtag(res.headers.etag ?? '') }));
};
