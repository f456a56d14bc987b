// DeleteObjects (POST /<bucket>?delete): up to 1000 keys from an XML body, each deleted as
// DeleteObject does (a missing key counts as deleted); Quiet answers only the failures.
// With versioning: a key alone gets a delete marker (DeleteMarker, DeleteMarkerVersionId),
// a key with VersionId loses that version (DeleteMarker when it was one).
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { isSuccess, xmlResponse, type Command } from '../request.js';
import { checkVersionId, deleteVersion, deleteWithMarker, versioningState } from '../versioning.js';
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
  if (objects.some((o) => o.VersionId !== undefined && typeof o.VersionId !== 'string')) throw new S3Error('MalformedXML');
  const quiet = String(doc.Quiet ?? 'false').toLowerCase() === 'true';
  await requireBucket(ctx, req);
  const state = await versioningState(ctx, req, bucket);
  const deleted: Array<Record<string, unknown>> = [];
  const errors: Array<Record<string, string>> = [];
  const list = objects.map((o) => ({ key: o.Key as string, versionId: o.VersionId as string | undefined }));
  /** Deletes one entry; its <Deleted> element. */
  const deleteOne = async (key: string, versionId: string | undefined): Promise<Record<string, unknown>> => {
    if (versionId !== undefined) {
      const { deleteMarker } = await deleteVersion(ctx, req, bucket, key, versionId);
      return { Key: key, VersionId: versionId, ...(deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: versionId } : {}) };
    }
    if (state !== undefined) {
      const marker = await deleteWithMarker(ctx, req, bucket, key, state);
      return { Key: key, DeleteMarker: true, DeleteMarkerVersionId: marker.versionId };
    }
    const status = await deleteKey(ctx, req, bucket, key);
    if (!isSuccess(status) && status !== 404) throw fromSwiftStatus(status, { bucket, key });
    return { Key: key };
  };
  for (let i = 0; i < list.length; i += DELETE_CONCURRENCY) {
    await Promise.all(
      list.slice(i, i + DELETE_CONCURRENCY).map(async ({ key, versionId }) => {
        try {
          if (versionId !== undefined) {
            try {
              checkVersionId(versionId);
            } catch {
              // S3 reports an id it cannot have made as a version that does not exist.
              throw new S3Error('NoSuchVersion');
            }
          }
          deleted.push(await deleteOne(key, versionId));
        } catch (caught) {
          if (!(caught instanceof S3Error)) throw caught;
          errors.push({ Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}), Code: caught.code, Message: caught.message });
        }
      }),
    );
  }
  const result: Record<string, unknown> = {};
  if (!quiet && deleted.length) result.Deleted = deleted;
  if (errors.length) result.Error = errors;
  return xmlResponse(toXml('DeleteResult', result));
};
