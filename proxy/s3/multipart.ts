// Multipart uploads as Swift's s3api keeps them, in the bucket's hidden "<bucket>+segments"
// container: a zero-byte marker object "<key>/<uploadId>" holds the upload's metadata
// (content headers, x-amz-meta-*), and part N is the object "<key>/<uploadId>/<NNNNN>"
// (zero-padded, so the container listing is in part order). Completing writes a static
// large object over the parts; aborting deletes them. Upload ids are 24 base64url
// characters and part numbers 5 digits, so the two kinds of names never look alike.
import { randomBytes } from 'node:crypto';
import { containerPages, requireBucket, segmentsContainer } from './buckets.js';
import { S3Error, fromSwiftStatus } from './errors.js';
import { drainBody, isSuccess, responseText, swift, type S3Context, type S3Request } from './request.js';

export const MAX_PART_NUMBER = 10_000;
/** S3's smallest part, except the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const UPLOAD_ID = /^[A-Za-z0-9_-]{24}$/;
const PART_SUFFIX = /^\d{5}$/;

/** 24 base64url characters, never starting with "-": command lines (awscli) would read the id as an option. */
export function newUploadId(): string {
  for (;;) {
    const id = randomBytes(18).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
export const uploadMarkerName = (key: string, uploadId: string) => `${key}/${uploadId}`;
export const partPrefix = (key: string, uploadId: string) => `${key}/${uploadId}/`;
export const partName = (key: string, uploadId: string, part: number) => `${partPrefix(key, uploadId)}${String(part).padStart(5, '0')}`;

/** A row of a Swift JSON container listing. */
export interface ListingRow {
  name: string;
  hash: string;
  bytes: number;
  last_modified: string;
  content_type?: string;
}

/** An upload found in the segments container (its marker object). */
export interface UploadMarker {
  key: string;
  uploadId: string;
  initiated: string;
}

/** A stored part of an upload. */
export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: string;
  name: string;
}

/** The marker row's key and upload id, or null for a part or a foreign object. */
export function parseMarkerName(name: string): { key: string; uploadId: string } | null {
  const slash = name.lastIndexOf('/');
  if (slash <= 0) return null;
  const uploadId = name.slice(slash + 1);
  return UPLOAD_ID.test(uploadId) && !/^\d+$/.test(uploadId) ? { key: name.slice(0, slash), uploadId } : null;
}

/** The part number of an upload's part name, or null when the name is not one. */
export function parsePartNumber(name: string, key: string, uploadId: string): number | null {
  const prefix = partPrefix(key, uploadId);
  if (!name.startsWith(prefix)) return null;
  const suffix = name.slice(prefix.length);
  return PART_SUFFIX.test(suffix) ? Number(suffix) : null;
}

/** uploadId from the query: NoSuchUpload when it cannot be one of ours. */
export function uploadIdOf(req: S3Request): string {
  const uploadId = req.query.get('uploadId') ?? '';
  if (!UPLOAD_ID.test(uploadId)) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  return uploadId;
}

/** partNumber from the query: an integer 1–10000, InvalidArgument otherwise. */
export function partNumberOf(req: S3Request): number {
  const text = req.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, {
      ArgumentName: 'partNumber',
      ArgumentValue: text,
    });
  }
  return n;
}

/**
 * The upload's marker must exist: its Swift headers (the metadata given at creation).
 * NoSuchBucket when the bucket is gone, NoSuchUpload when the upload is.
 */
export async function requireUpload(ctx: S3Context, req: S3Request, uploadId: string): Promise<Record<string, string>> {
  const bucket = req.bucket!;
  const res = await swift(ctx, req, { method: 'HEAD', container: segmentsContainer(bucket), object: uploadMarkerName(req.key!, uploadId) });
  drainBody(res);
  if (isSuccess(res.status)) return res.headers;
  if (res.status === 404) {
    await requireBucket(ctx, req, bucket);
    throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  }
  throw fromSwiftStatus(res.status, { bucket });
}

/**
 * The segments-container listing under `prefix` after `marker`, one backend page at a
 * time (the Swift API's container_listing_limit rows), in name order; nothing when the
 * container does not exist. Callers stop reading when they have what they need.
 */
export function segmentPages(ctx: S3Context, req: S3Request, prefix: string, marker = ''): AsyncGenerator<ListingRow[]> {
  const pageSize = ctx.config.container_listing_limit;
  return containerPages<ListingRow>(ctx, req, segmentsContainer(req.bucket!), { prefix, marker, pageSize, bucket: req.bucket! });
}

/** Every row of a segments-container listing under `prefix`: only for bounded sets (one upload's ≤ 10,000 parts). */
export async function listSegments(ctx: S3Context, req: S3Request, prefix: string, marker = ''): Promise<ListingRow[]> {
  const rows: ListingRow[] = [];
  for await (const page of segmentPages(ctx, req, prefix, marker)) rows.push(...page);
  return rows;
}

/** The parts stored for an upload so far, in part order. */
export async function storedParts(ctx: S3Context, req: S3Request, uploadId: string, afterPart = 0): Promise<StoredPart[]> {
  const key = req.key!;
  const marker = afterPart > 0 ? partName(key, uploadId, afterPart) : '';
  const rows = await listSegments(ctx, req, partPrefix(key, uploadId), marker);
  const parts: StoredPart[] = [];
  for (const row of rows) {
    const partNumber = parsePartNumber(row.name, key, uploadId);
    if (partNumber !== null) parts.push({ partNumber, etag: row.hash, size: row.bytes, lastModified: row.last_modified, name: row.name });
  }
  return parts;
}

/** Deletes objects of the segments container, a few at a time; missing ones are fine. */
export async function deleteSegments(ctx: S3Context, req: S3Request, names: string[]): Promise<void> {
  const container = segmentsContainer(req.bucket!);
  const CONCURRENCY = 8;
  for (let i = 0; i < names.length; i += CONCURRENCY) {
    await Promise.all(
      names.slice(i, i + CONCURRENCY).map(async (name) => {
        const res = await swift(ctx, req, { method: 'DELETE', container, object: name });
        drainBody(res);
        if (!isSuccess(res.status) && res.status !== 404) throw fromSwiftStatus(res.status, { bucket: req.bucket! });
      }),
    );
  }
}

/**
 * The object's headers and, when it is a multipart object (a static large object), the
 * size of each part from its manifest; `parts` is null for a simple object. NoSuchKey when
 * there is no such object.
 */
export async function objectParts(ctx: S3Context, req: S3Request): Promise<{ headers: Record<string, string>; parts: number[] | null }> {
  const res = await swift(ctx, req, { method: 'GET', container: req.bucket!, object: req.key!, query: { 'multipart-manifest': 'get' } });
  if (res.status === 404) {
    drainBody(res);
    await requireBucket(ctx, req);
    throw new S3Error('NoSuchKey', undefined, { Key: req.key! });
  }
  if (!isSuccess(res.status)) {
    drainBody(res);
    throw fromSwiftStatus(res.status, { bucket: req.bucket!, key: req.key! });
  }
  if ((res.headers['x-static-large-object'] ?? '').toLowerCase() !== 'true') {
    drainBody(res);
    return { headers: res.headers, parts: null };
  }
  const entries = JSON.parse(await responseText(res)) as Array<{ bytes: number; range?: string }>;
  const parts = entries.map((e) => {
    const m = e.range ? /^(\d+)-(\d+)$/.exec(e.range) : null;
    return m ? Number(m[2]) - Number(m[1]) + 1 : e.bytes;
  });
  return { headers: res.headers, parts };
}
