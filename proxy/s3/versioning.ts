// S3 versioning on Swift containers. The layout (docs/s3.md, "Versioning"):
//
// - The bucket's container holds the latest version of each key as a plain object, so the
//   Swift API (and replication, listings, ACLs) see a versioned bucket as an ordinary
//   container whose objects are the current versions.
// - Older versions and delete markers live in the versions container "<bucket>+versions"
//   (a name no bucket can have, hidden from ListBuckets), as "<key>\x01<inverted
//   timestamp>": Swift's object_versioning names ("\x00<key>\x00<inverted timestamp>" in
//   "\x00versions\x00<bucket>") with \x01 for the reserved \x00 our storage nodes refuse.
//   The inverted timestamp (9999999999.99999 - t) lists a key's versions newest first.
// - A version id is the timestamp of the write ("1700000000.12345", Swift's form),
//   chosen by the proxy and kept in the object's system metadata; "null" for objects
//   written before versioning was enabled or while it is suspended.
// - A delete marker is an empty object with Swift's delete-marker content type
//   ("application/x-deleted;swift_versions_deleted=1"); an archived "null" version or
//   null delete marker carries the content-type parameter "swift_s3_null_version=1", so a
//   listing row alone tells what it is.
// - Invariant: every archived version is older than the plain object of its key. When
//   the plain object goes (DELETE of its version), the newest archived version, unless it
//   is a delete marker, is copied back as the plain object.
// - The bucket's state ("Enabled" / "Suspended", absent when never set) is the container's
//   system metadata X-Container-Sysmeta-S3-Versioning.
import { quoteName } from '../../common/paths.js';
import { Timestamp } from '../../common/timestamp.js';
import { containerPages } from './buckets.js';
import { S3Error, fromSwiftStatus } from './errors.js';
import { drainBody, isSuccess, responseText, swift, type S3Context, type S3Request, type S3Response } from './request.js';

export const SYSMETA_VERSIONING = 'x-container-sysmeta-s3-versioning';
/** The version's timestamp (also its id unless it is the null version). */
export const SYSMETA_VERSION_ID = 'x-object-sysmeta-s3-version-id';
/** Present ("true") on a version whose S3 version id is "null". */
export const SYSMETA_NULL_VERSION = 'x-object-sysmeta-s3-null-version';
export const VERSIONS_SUFFIX = '+versions';
export const versionsContainer = (bucket: string) => `${bucket}${VERSIONS_SUFFIX}`;
export const DELETE_MARKER_TYPE = 'application/x-deleted;swift_versions_deleted=1';
const NULL_PARAM = 'swift_s3_null_version=1';
const SEPARATOR = '\x01';
const MAX_TICKS = 9_999_999_999_99999;
const VERSION_ID = /^\d{10}\.\d{5}$/;

export type VersioningState = 'Enabled' | 'Suspended' | undefined;

/** The tail of each key's queue of versioned writes and deletes in this process. */
const keyQueues = new Map<string, Promise<void>>();

/**
 * Waits for the versioned writes and deletes of one key before this one (in this proxy
 * process) to finish: archiving the current object and writing the new one must not
 * interleave with another writer's, or a version would be lost. Returns the release.
 */
export async function lockKey(req: S3Request, bucket: string, key: string): Promise<() => void> {
  const name = JSON.stringify([req.account, bucket, key]);
  const before = keyQueues.get(name) ?? Promise.resolve();
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => done);
  keyQueues.set(name, tail);
  await before;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
    if (keyQueues.get(name) === tail) keyQueues.delete(name);
  };
}

async function locked<T>(req: S3Request, bucket: string, key: string, work: () => Promise<T>): Promise<T> {
  const release = await lockKey(req, bucket, key);
  try {
    return await work();
  } finally {
    release();
  }
}

/** A new version id: the proxy's clock as a Swift timestamp. */
export const newVersionId = () => Timestamp.now().normal;

/** InvalidArgument for anything that is neither "null" nor one of our version ids. */
export function checkVersionId(id: string, argument = 'versionId'): void {
  if (id === 'null' || VERSION_ID.test(id)) return;
  throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: argument, ArgumentValue: id });
}

const invert = (ts: string) => {
  const t = Timestamp.parse(ts);
  return new Timestamp(MAX_TICKS - t.ticks).normal;
};

/** Where a version with this timestamp is archived. */
export const archiveName = (key: string, ts: string) => `${key}${SEPARATOR}${invert(ts)}`;
export const archivePrefix = (key: string) => `${key}${SEPARATOR}`;

/** The ISO time of a version timestamp. */
export const versionTime = (ts: string) => new Date(Math.floor(Timestamp.parse(ts).ticks / 100)).toISOString();

/** A Swift container listing row. */
export interface Row {
  name?: string;
  subdir?: string;
  hash?: string;
  bytes?: number;
  content_type?: string;
  last_modified?: string;
  slo_etag?: string;
}

/** One archived version, from its versions-container row. */
export interface Archived {
  key: string;
  /** The object's name in the versions container. */
  name: string;
  ts: string;
  versionId: string;
  deleteMarker: boolean;
  row: Row;
}

const params = (contentType: string) => contentType.split(';').map((p) => p.trim().toLowerCase());
export const isDeleteMarkerType = (contentType: string | undefined) =>
  contentType !== undefined && params(contentType)[0] === 'application/x-deleted' && params(contentType).includes('swift_versions_deleted=1');
const isNullType = (contentType: string | undefined) => contentType !== undefined && params(contentType).includes(NULL_PARAM);

/** A content type without our null-version parameter (what clients see). */
export function shownContentType(contentType: string): string {
  return contentType
    .split(';')
    .filter((p) => p.trim().toLowerCase() !== NULL_PARAM)
    .join(';');
}

export function parseArchived(row: Row): Archived | null {
  const name = row.name;
  if (name === undefined) return null;
  const at = name.lastIndexOf(SEPARATOR);
  if (at < 0) return null;
  const inverted = name.slice(at + 1);
  if (!VERSION_ID.test(inverted)) return null;
  const ts = invert(inverted);
  return {
    key: name.slice(0, at),
    name,
    ts,
    versionId: isNullType(row.content_type) ? 'null' : ts,
    deleteMarker: isDeleteMarkerType(row.content_type),
    row,
  };
}

/** The version id S3 shows for an object with these (Swift) headers. */
export const versionIdOf = (headers: Record<string, string>) =>
  headers[SYSMETA_NULL_VERSION] === 'true' || !VERSION_ID.test(headers[SYSMETA_VERSION_ID] ?? '') ? 'null' : headers[SYSMETA_VERSION_ID]!;

/**
 * Version system metadata for a write that does not version (a bucket without versioning):
 * empty values, so that a copy does not carry its source's version over.
 */
export const UNVERSIONED_HEADERS: Readonly<Record<string, string>> = { [SYSMETA_VERSION_ID]: '', [SYSMETA_NULL_VERSION]: '' };

/** The timestamp a plain object's version is known by: its own, else when Swift stored it. */
export function versionTsOf(headers: Record<string, string>): string {
  const own = headers[SYSMETA_VERSION_ID];
  if (own !== undefined && VERSION_ID.test(own)) return own;
  const stored = headers['x-timestamp'];
  if (stored !== undefined) {
    try {
      return Timestamp.parse(stored).normal;
    } catch {
      // fall through to Last-Modified
    }
  }
  const ms = Date.parse(headers['last-modified'] ?? '');
  return Timestamp.fromSeconds(Number.isNaN(ms) ? 0 : ms / 1000).normal;
}

/** The bucket's versioning state (NoSuchBucket when it does not exist). */
export async function versioningState(ctx: S3Context, req: S3Request, bucket = req.bucket!): Promise<VersioningState> {
  const info = await ctx.info.container(
    {
      method: 'HEAD',
      path: { account: req.account, container: bucket },
      query: new Map(),
      headers: {},
      body: null,
      identity: req.identity,
      transId: req.transId,
      log: req.log,
      hostUrl: req.hostUrl,
      continueBody: () => {},
      depth: 0,
      owner: false,
    },
    req.account,
    bucket,
  );
  if (info.status === 404) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  if (!isSuccess(info.status)) throw fromSwiftStatus(info.status, { bucket });
  const state = info.headers[SYSMETA_VERSIONING];
  return state === 'Enabled' || state === 'Suspended' ? state : undefined;
}

/** The plain (latest) object of a key, or null. */
export interface Current {
  headers: Record<string, string>;
  versionId: string;
  ts: string;
  slo: boolean;
}

export async function currentVersion(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<Current | null> {
  const head = await swift(ctx, req, { method: 'HEAD', container: bucket, object: key });
  drainBody(head);
  if (head.status === 404) return null;
  if (!isSuccess(head.status)) throw fromSwiftStatus(head.status, { bucket, key });
  return {
    headers: head.headers,
    versionId: versionIdOf(head.headers),
    ts: versionTsOf(head.headers),
    slo: (head.headers['x-static-large-object'] ?? '').toLowerCase() === 'true',
  };
}

/** Every row of a container listing from `marker` (exclusive); nothing when the container is missing. */
export async function* listRows(ctx: S3Context, req: S3Request, container: string, prefix: string, marker: string): AsyncGenerator<Row> {
  const pageSize = Math.min(1000, ctx.config.container_listing_limit);
  for await (const page of containerPages<Row>(ctx, req, container, { prefix, marker, pageSize, bucket: container })) yield* page;
}

/** Every archived version of one key, newest first. */
export async function archivedVersions(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<Archived[]> {
  const out: Archived[] = [];
  for await (const row of listRows(ctx, req, versionsContainer(bucket), archivePrefix(key), '')) {
    const archived = parseArchived(row);
    if (archived && archived.key === key) out.push(archived);
  }
  return out;
}

/** The newest archived version of a key (one listing row), or null. */
export async function newestArchived(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<Archived | null> {
  const res = await swift(ctx, req, { method: 'GET', container: versionsContainer(bucket), query: { format: 'json', limit: '1', prefix: archivePrefix(key) } });
  if (res.status === 404 || res.status === 204) {
    drainBody(res);
    return null;
  }
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
  const rows = JSON.parse(await responseText(res)) as Row[];
  const archived = rows[0] ? parseArchived(rows[0]) : null;
  return archived && archived.key === key ? archived : null;
}

/** Copies the plain object into the versions container (a large object's manifest, not its bytes). */
export async function archiveCurrent(ctx: S3Context, req: S3Request, bucket: string, key: string, current: Current): Promise<void> {
  const type = current.headers['content-type'] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'x-copy-from': `${quoteName(bucket)}/${quoteName(key)}`,
    'content-type': current.versionId === 'null' ? `${shownContentType(type)};${NULL_PARAM}` : type,
    [SYSMETA_VERSION_ID]: current.ts,
  };
  if (current.versionId === 'null') headers[SYSMETA_NULL_VERSION] = 'true';
  const res = await swift(ctx, req, {
    method: 'PUT',
    container: versionsContainer(bucket),
    object: archiveName(key, current.ts),
    headers,
    ...(current.slo ? { query: { 'multipart-manifest': 'get' } } : {}),
  });
  drainBody(res);
  if (!isSuccess(res.status)) {
    req.log.warn({ status: res.status, bucket, key }, 'could not archive the current version');
    throw res.status === 404 ? new S3Error('InternalError') : fromSwiftStatus(res.status, { bucket, key });
  }
}

/** Writes a delete marker with this timestamp (null: the bucket's versioning is suspended). */
export async function putDeleteMarker(ctx: S3Context, req: S3Request, bucket: string, key: string, ts: string, isNull: boolean): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': isNull ? `${DELETE_MARKER_TYPE};${NULL_PARAM}` : DELETE_MARKER_TYPE,
    'content-length': '0',
    [SYSMETA_VERSION_ID]: ts,
  };
  if (isNull) headers[SYSMETA_NULL_VERSION] = 'true';
  const res = await swift(ctx, req, { method: 'PUT', container: versionsContainer(bucket), object: archiveName(key, ts), headers });
  drainBody(res);
  if (!isSuccess(res.status)) throw res.status === 404 ? new S3Error('InternalError') : fromSwiftStatus(res.status, { bucket, key });
}

/** Deletes an object: a large object's segments with it when `withSegments`. Returns the Swift status. */
export async function deleteSwiftObject(ctx: S3Context, req: S3Request, container: string, object: string, withSegments: boolean): Promise<number> {
  const res = await swift(ctx, req, {
    method: 'DELETE',
    container,
    object,
    ...(withSegments ? { query: { 'multipart-manifest': 'delete' }, headers: { accept: 'application/json' } } : {}),
  });
  if (!withSegments || !isSuccess(res.status)) {
    drainBody(res);
    return res.status;
  }
  // The segments are deleted while the report streams: read it to the end, so they are
  // gone when the answer goes out, and see whether the manifest went too.
  const report = JSON.parse((await responseText(res)).trim() || '{}') as { 'Response Status'?: string };
  return Number.parseInt(report['Response Status'] ?? '200', 10) || 500;
}

const isSloRow = (row: Row) => row.slo_etag !== undefined || /;\s*swift_bytes=/.test(row.content_type ?? '');

/** Deletes an archived version (a large object's segments with it). */
export async function deleteArchived(ctx: S3Context, req: S3Request, bucket: string, archived: Archived): Promise<void> {
  const status = await deleteSwiftObject(ctx, req, versionsContainer(bucket), archived.name, isSloRow(archived.row) && !archived.deleteMarker);
  if (!isSuccess(status) && status !== 404) throw fromSwiftStatus(status, { bucket, key: archived.key });
}

/** Suspended versioning: a new null version replaces the archived one, if any. */
export async function removeNullArchive(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<void> {
  for (const archived of await archivedVersions(ctx, req, bucket, key)) {
    if (archived.versionId === 'null') await deleteArchived(ctx, req, bucket, archived);
  }
}

/**
 * After the plain object of a key went away by a version delete: the newest archived
 * version becomes the plain object again, unless it is a delete marker (then the key
 * stays deleted). s3api's _restore_on_delete, on this layout.
 */
export async function restoreLatest(ctx: S3Context, req: S3Request, bucket: string, key: string): Promise<void> {
  if (await currentVersion(ctx, req, bucket, key)) return;
  const newest = await newestArchived(ctx, req, bucket, key);
  if (!newest || newest.deleteMarker) return;
  const slo = isSloRow(newest.row);
  const headers: Record<string, string> = {
    'x-copy-from': `${quoteName(versionsContainer(bucket))}/${quoteName(newest.name)}`,
    'content-type': shownContentType(newest.row.content_type ?? 'application/octet-stream'),
  };
  const res = await swift(ctx, req, { method: 'PUT', container: bucket, object: key, headers, ...(slo ? { query: { 'multipart-manifest': 'get' } } : {}) });
  drainBody(res);
  if (!isSuccess(res.status)) {
    req.log.warn({ status: res.status, bucket, key }, 'could not restore the previous version');
    return;
  }
  // The plain copy now holds the version (and references a large object's segments).
  await deleteSwiftObject(ctx, req, versionsContainer(bucket), newest.name, false);
}

/** What a write into a bucket with versioning leaves for the response and the cleanup. */
export interface VersionedWrite {
  /** x-amz-version-id of the answer. */
  versionId: string;
  /** System metadata for the new plain object. */
  headers: Record<string, string>;
  /** The replaced plain object was archived (its large-object segments are still in use). */
  archived: boolean;
  /** Ends the key's lock (lockKey): call it once the write is done, whatever its outcome. */
  release: () => void;
}

/**
 * Before a write of a key (PutObject, CopyObject, CompleteMultipartUpload): nothing in a
 * bucket without versioning; with it enabled, the current object is archived and the new
 * one gets a version id; suspended, a non-null current object is archived, the archived
 * null version (if any) removed, and the new object is the null version.
 */
export async function prepareWrite(
  ctx: S3Context,
  req: S3Request,
  bucket: string,
  key: string,
  options: { ifNoneMatch?: boolean } = {},
): Promise<VersionedWrite | null> {
  const state = await versioningState(ctx, req, bucket);
  if (state === undefined) return null;
  const release = await lockKey(req, bucket, key);
  try {
    const current = await currentVersion(ctx, req, bucket, key);
    // If-None-Match: * fails on a current object before anything is archived.
    if (current && options.ifNoneMatch) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    let archived = false;
    if (current && (state === 'Enabled' || current.versionId !== 'null')) {
      await archiveCurrent(ctx, req, bucket, key, current);
      archived = true;
    }
    const ts = newVersionId();
    if (state === 'Enabled') return { versionId: ts, headers: { [SYSMETA_VERSION_ID]: ts }, archived, release };
    await removeNullArchive(ctx, req, bucket, key);
    return { versionId: 'null', headers: { [SYSMETA_VERSION_ID]: ts, [SYSMETA_NULL_VERSION]: 'true' }, archived, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** The headers S3 shows for a plain or archived object, with its version id. */
export function withVersionHeader(res: S3Response, headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'x-amz-version-id': versionIdOf(res.headers) };
}

/** One archived version by id ("null" included), or null. */
export async function findArchived(ctx: S3Context, req: S3Request, bucket: string, key: string, versionId: string): Promise<Archived | null> {
  if (versionId === 'null') return (await archivedVersions(ctx, req, bucket, key)).find((a) => a.versionId === 'null') ?? null;
  const name = archiveName(key, versionId);
  for await (const row of listRows(ctx, req, versionsContainer(bucket), name, '')) {
    if (row.name !== name) break;
    const archived = parseArchived(row);
    // A name with this timestamp holds the null version when it was written suspended.
    return archived && archived.versionId === versionId ? archived : null;
  }
  return null;
}

/**
 * DeleteObject without a version id in a bucket with versioning: a delete marker becomes
 * the latest version (the current object archived first); suspended, it is the null
 * version and replaces the previous null version.
 */
export function deleteWithMarker(ctx: S3Context, req: S3Request, bucket: string, key: string, state: 'Enabled' | 'Suspended'): Promise<{ versionId: string }> {
  return locked(req, bucket, key, () => writeDeleteMarker(ctx, req, bucket, key, state));
}

async function writeDeleteMarker(ctx: S3Context, req: S3Request, bucket: string, key: string, state: 'Enabled' | 'Suspended'): Promise<{ versionId: string }> {
  const current = await currentVersion(ctx, req, bucket, key);
  const archive = current !== null && (state === 'Enabled' || current.versionId !== 'null');
  if (archive) await archiveCurrent(ctx, req, bucket, key, current);
  if (state === 'Suspended') await removeNullArchive(ctx, req, bucket, key);
  const ts = newVersionId();
  await putDeleteMarker(ctx, req, bucket, key, ts, state === 'Suspended');
  if (current) {
    // An archived large object keeps its segments (the archived manifest uses them).
    const status = await deleteSwiftObject(ctx, req, bucket, key, current.slo && !archive);
    if (!isSuccess(status) && status !== 404) throw fromSwiftStatus(status, { bucket, key });
  }
  return { versionId: state === 'Enabled' ? ts : 'null' };
}

/**
 * DeleteObject with a version id: that version goes for good (a large object's segments
 * with it). Deleting the latest version, or the delete marker that was latest, makes the
 * newest remaining version the latest again. Nothing to delete is no error (204).
 */
export async function deleteVersion(ctx: S3Context, req: S3Request, bucket: string, key: string, versionId: string): Promise<{ deleteMarker: boolean }> {
  await versioningState(ctx, req, bucket); // NoSuchBucket
  return locked(req, bucket, key, () => removeVersion(ctx, req, bucket, key, versionId));
}

async function removeVersion(ctx: S3Context, req: S3Request, bucket: string, key: string, versionId: string): Promise<{ deleteMarker: boolean }> {
  const current = await currentVersion(ctx, req, bucket, key);
  if (current && current.versionId === versionId) {
    // An archive copy of the same version (left by a write that failed after archiving) goes too.
    const copy = await deleteSwiftObject(ctx, req, versionsContainer(bucket), archiveName(key, current.ts), false);
    if (!isSuccess(copy) && copy !== 404) throw fromSwiftStatus(copy, { bucket, key });
    const status = await deleteSwiftObject(ctx, req, bucket, key, current.slo);
    if (!isSuccess(status) && status !== 404) throw fromSwiftStatus(status, { bucket, key });
    await restoreLatest(ctx, req, bucket, key);
    return { deleteMarker: false };
  }
  const archived = await findArchived(ctx, req, bucket, key, versionId);
  if (!archived) return { deleteMarker: false };
  await deleteArchived(ctx, req, bucket, archived);
  if (!current) await restoreLatest(ctx, req, bucket, key);
  return { deleteMarker: archived.deleteMarker };
}
