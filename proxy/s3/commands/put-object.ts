// PutObject (PUT /<bucket>/<key>): a Swift object PUT with the body streamed through the
// payload checks (signed SHA-256, aws-chunked signatures, x-amz-checksum-*). Content-MD5
// becomes Swift's ETag check (BadDigest); If-None-Match: * refuses to overwrite.
import { S3Error, fromSwiftStatus } from '../errors.js';
import { objectWriteHeaders, quoteEtag } from '../objects.js';
import { decodePayload } from '../payload.js';
import { taggingWriteHeaders } from '../tagging.js';
import { ifNoneMatchHeader } from '../write-conditions.js';
import { isSuccess, swift, type Command, type S3Context, type S3Request, type S3Response } from '../request.js';
import { prepareWrite } from '../versioning.js';

/** Content-MD5 (base64 of 16 bytes) as the hex ETag Swift checks the body against. */
export function contentMd5Etag(req: S3Request): string | undefined {
  const value = req.headers['content-md5'];
  if (value === undefined) return undefined;
  const digest = Buffer.from(value, 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value.trim()) throw new S3Error('InvalidDigest');
  return digest.toString('hex');
}

/** The conditions a write carries to the object servers (If-Match is checked before: ../write-conditions.ts). */
export const writeConditions = (req: S3Request): Record<string, string> => ifNoneMatchHeader(req);

/**
 * Streams the request's body (through the payload checks) into a Swift object PUT. Returns
 * the Swift answer and the verified x-amz-checksum-* values; a failed payload check throws.
 */
export async function putBody(
  ctx: S3Context,
  req: S3Request,
  container: string,
  object: string,
  headers: Record<string, string>,
): Promise<{ res: S3Response; checksums: Record<string, string> }> {
  const md5 = contentMd5Etag(req);
  if (md5) headers.etag = md5;
  const payload = req.body ? decodePayload(req.body, req.headers, req) : null;
  if (payload?.length !== undefined) headers['content-length'] = String(payload.length);
  else if (payload) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = '0';
  const res = await swift(ctx, req, { method: 'PUT', container, object, headers, body: payload?.body ?? null, continueBody: req.continueBody });
  const failure = payload?.failure();
  if (failure) throw failure;
  return { res, checksums: payload?.checksums() ?? {} };
}

export const putObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  const headers = { ...objectWriteHeaders(req.headers), ...taggingWriteHeaders(req.headers), ...writeConditions(req) };
  // In a bucket with versioning the current object is archived first (../versioning.ts).
  const versioned = await prepareWrite(ctx, req, bucket, key, { ifNoneMatch: headers['if-none-match'] !== undefined });
  if (versioned) Object.assign(headers, versioned.headers);
  try {
    const { res, checksums } = await putBody(ctx, req, bucket, key, headers);
    if (res.status === 404) throw fromSwiftStatus(404, { bucket });
    if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key }, typeof res.body === 'string' ? res.body : undefined);
    return {
      status: 200,
      headers: { etag: quoteEtag(res.headers.etag ?? ''), 'content-length': '0', ...checksums, ...(versioned ? { 'x-amz-version-id': versioned.versionId } : {}) },
    };
  } finally {
    versioned?.release();
  }

};
