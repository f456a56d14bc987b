// DeleteObjects (POST /<bucket>?delete): up to 1000 keys from an XML body, each deleted as
// DeleteObject does (a missing key counts as deleted); Quiet answers only the failures.
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { isSuccess, xmlResponse, type Command } from '../request.js';
import { parseXml, toXml } from '../xml.js';
import { deleteKey } from './delete-object.js';

const MAX_KEYS = 1000;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const DELETE_CONCURRENCY = 8;

export const deleteObjects: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const body = await readSmallPayload(req.body, req.headers, req, MAX_BODY_BYTES);
  const doc = parseXml(body.toString('utf8'), 'Delete');
  const objects = (doc.Object ?? []) as Array<Record<string, unknown>>;
  const keys = objects.map((o) => o.Key);
  if (keys.length === 0 || keys.length > MAX_KEYS || keys.some((k) => typeof k !== 'string' || k === '')) throw new S3Error('MalformedXML');
  const quiet = String(doc.Quiet ?? 'false').toLowerCase() === 'true';
  await requireBucket(ctx, req);
  const deleted: Array<{ Key: string }> = [];
  const errors: Array<{ Key: string; Code: string; Message: string }> = [];
  const list = keys as string[];
  for (let i = 0; i < list.length; i += DELETE_CONCURRENCY) {
    await Promise.all(
      list.slice(i, i + DELETE_CONCURRENCY).map(async (key) => {
        const status = await deleteKey(ctx, req, bucket, key);
        if (isSuccess(status) || status === 404) deleted.push({ Key: key });
        else {
          const err = fromSwiftStatus(status, { bucket, key });
          errors.push({ Key: key, Code: err.code, Message: err.message });
        }
      }),
    );
  }
  const result: Record<string, unknown> = {};
  if (!quiet && deleted.length) result.Deleted = deleted;
  if (errors.length) result.Error = errors;
  return xmlResponse(toXml('DeleteResult', result));
};
