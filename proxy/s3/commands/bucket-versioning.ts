// GetBucketVersioning and PutBucketVersioning (/<bucket>?versioning): the state lives in
// the bucket container's system metadata (../versioning.ts). Enabling or suspending makes
// the versions container first (same storage policy as the bucket), so a bucket is never
// versioned without it. MFA delete is not implemented: asking for it is NotImplemented.
import { createHash } from 'node:crypto';
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command } from '../request.js';
import { SYSMETA_VERSIONING, versionsContainer } from '../versioning.js';
import { parseXml, toXml } from '../xml.js';

const MAX_BODY_BYTES = 64 * 1024;

export const getBucketVersioning: Command = async (ctx, req) => {
  const headers = await requireBucket(ctx, req);
  const state = headers[SYSMETA_VERSIONING];
  return xmlResponse(toXml('VersioningConfiguration', state === 'Enabled' || state === 'Suspended' ? { Status: state } : {}));
};

export const putBucketVersioning: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const body = await readSmallPayload(req.body, req.headers, req, MAX_BODY_BYTES);
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5.trim()) throw new S3Error('BadDigest');
  const doc = parseXml(body.toString('utf8'), 'VersioningConfiguration');
  const status = doc.Status;
  const mfaDelete = doc.MfaDelete;
  if (mfaDelete !== undefined && mfaDelete !== 'Enabled' && mfaDelete !== 'Disabled') throw new S3Error('MalformedXML');
  if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
  if (mfaDelete === 'Enabled' || req.headers['x-amz-mfa'] !== undefined) {
    throw new S3Error('NotImplemented', 'MFA delete is not implemented by this server.', { Header: 'x-amz-mfa' });
  }
  const bucketHeaders = await requireBucket(ctx, req);
  const policy = bucketHeaders['x-storage-policy'];
  const made = await swift(ctx, req, { method: 'PUT', container: versionsContainer(bucket), headers: policy ? { 'x-storage-policy': policy } : {} });
  drainBody(made);
  if (!isSuccess(made.status)) throw fromSwiftStatus(made.status, { bucket });
  const res = await swift(ctx, req, { method: 'POST', container: bucket, headers: { [SYSMETA_VERSIONING]: status } });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
  return { status: 200, headers: { 'content-length': '0' } };
};
