// CreateMultipartUpload (POST /<bucket>/<key>?uploads): a new upload id, and its marker
// object in the bucket's segments container (created on first use) carrying the content
// headers and x-amz-meta-* the completed object will have.
import { requireBucket, segmentsContainer } from '../buckets.js';
import { fromSwiftStatus } from '../errors.js';
import { newUploadId, uploadMarkerName } from '../multipart.js';
import { objectWriteHeaders } from '../objects.js';
import { taggingWriteHeaders } from '../tagging.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command } from '../request.js';
import { toXml } from '../xml.js';

export const createMultipartUpload: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  await requireBucket(ctx, req);
  const container = segmentsContainer(bucket);
  const made = await swift(ctx, req, { method: 'PUT', container });
  drainBody(made);
  if (!isSuccess(made.status)) throw fromSwiftStatus(made.status, { bucket });
  const uploadId = newUploadId();
  const headers: Record<string, string> = { ...objectWriteHeaders(req.headers), ...taggingWriteHeaders(req.headers), 'content-length': '0' };
  if (headers['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
  const res = await swift(ctx, req, { method: 'PUT', container, object: uploadMarkerName(key, uploadId), headers });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket, key }, typeof res.body === 'string' ? res.body : undefined);
  return xmlResponse(toXml('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId }));
};
