// Object and bucket tags: S3's rules for a tag set (how many, how long, which characters,
// no duplicate keys, no "aws:" keys) with S3's codes and messages, the Tagging XML both
// ways, the x-amz-tagging header's URL-query form, and how tags are stored in Swift
// system metadata so they replicate with the object or container:
// - an object's tags as written with it (PutObject, CopyObject, CompleteMultipartUpload):
//   X-Object-Sysmeta-S3-Tagging;
// - an object's tags changed afterwards (PutObjectTagging, DeleteObjectTagging): a POST
//   of X-Object-Transient-Sysmeta-S3-Tagging (Swift object POSTs never change sysmeta;
//   transient sysmeta is Swift's POST-able system metadata);
// - a bucket's: X-Container-Sysmeta-S3-Tagging.
// Each stored set carries the time it was written, so of the two object sets the one
// written last wins.
import { S3Error } from './errors.js';
import { parseXml, toXml } from './xml.js';

export const SYSMETA_TAGGING = 'x-object-sysmeta-s3-tagging';
export const TRANSIENT_TAGGING = 'x-object-transient-sysmeta-s3-tagging';
export const SYSMETA_BUCKET_TAGGING = 'x-container-sysmeta-s3-tagging';

export type Tags = Array<[string, string]>;

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;
/** Letters, numbers and spaces representable in UTF-8, and + - = . _ : / @ (S3's tag restrictions). */
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const chars = (s: string) => [...s].length;

/** S3's checks of a tag set, in S3's order: count, then each tag, then duplicate keys. */
export function checkTags(tags: Tags, kind: 'object' | 'bucket'): void {
  if (kind === 'object' && tags.length > MAX_OBJECT_TAGS) throw new S3Error('BadRequest', 'Object tags cannot be greater than 10');
  if (kind === 'bucket' && tags.length > MAX_BUCKET_TAGS) throw new S3Error('BadRequest', 'Bucket tag count cannot be greater than 50');
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (chars(key) > MAX_KEY) throw new S3Error('InvalidTag', `The TagKey you have provided is too long, max ${MAX_KEY}`, { TagKey: key });
    if (chars(value) > MAX_VALUE) throw new S3Error('InvalidTag', `The TagValue you have provided is too long, max ${MAX_VALUE}`, { TagKey: key, TagValue: value });
    if (key === '' || !ALLOWED.test(key)) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid', { TagKey: key });
    if (!ALLOWED.test(value)) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid', { TagKey: key, TagValue: value });
    if (key.toLowerCase().startsWith('aws:')) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:', { TagKey: key });
    if (seen.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key', { TagKey: key });
    seen.add(key);
  }
}

/** A Tagging document (PutObjectTagging, PutBucketTagging): MalformedXML unless Tagging/TagSet/Tag{Key,Value}. */
export function parseTaggingXml(text: string): Tags {
  const root = parseXml(text, 'Tagging');
  const set = root.TagSet;
  if (set === undefined) throw new S3Error('MalformedXML');
  if (set === '' ) return [];
  if (typeof set !== 'object' || set === null) throw new S3Error('MalformedXML');
  const raw = (set as Record<string, unknown>).Tag;
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((tag) => {
    if (typeof tag !== 'object' || tag === null) throw new S3Error('MalformedXML');
    const { Key: key, Value: value } = tag as Record<string, unknown>;
    if (typeof key !== 'string' || (value !== undefined && typeof value !== 'string')) throw new S3Error('MalformedXML');
    return [key, value ?? ''] as [string, string];
  });
}

export const taggingXml = (tags: Tags): string =>
  toXml('Tagging', { TagSet: tags.length > 0 ? { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } : '' });

const HEADER_ERROR = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.";

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

/** x-amz-tagging: "k1=v1&k2=v2" (URL query encoding), checked as an object's tag set. */
export function parseTaggingHeader(value: string): Tags {
  const tags: Tags = [];
  const seen = new Set<string>();
  if (value.trim() === '') return tags;
  for (const pair of value.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let key: string;
    let val: string;
    try {
      key = formDecode(eq < 0 ? pair : pair.slice(0, eq));
      val = eq < 0 ? '' : formDecode(pair.slice(eq + 1));
    } catch {
      throw new S3Error('InvalidArgument', HEADER_ERROR, { ArgumentName: 'x-amz-tagging', ArgumentValue: value });
    }
    if (seen.has(key)) throw new S3Error('InvalidArgument', HEADER_ERROR, { ArgumentName: 'x-amz-tagging', ArgumentValue: value });
    seen.add(key);
    tags.push([key, val]);
  }
  checkTags(tags, 'object');
  return tags;
}

/**
 * Swift keeps header values up to 8 KiB, and a full tag set (10 × 384 characters of up to
 * 4 bytes) is more: the stored value is split over `<name>`, `<name>-2`, `<name>-3`… The
 * first holds "<ms since the epoch>;<parts>;" and the rest of the data, which is the
 * base64 of the JSON array of [key, value] pairs.
 */
const CHUNK = 8000;

/** A tag set as stored under a header name (see above): one or more headers. */
export function encodeTags(name: string, tags: Tags, at = Date.now()): Record<string, string> {
  const data = tags.length > 0 ? Buffer.from(JSON.stringify(tags)).toString('base64') : '';
  const pieces: string[] = [];
  for (let i = 0; i === 0 || i < data.length; i += CHUNK) pieces.push(data.slice(i, i + CHUNK));
  const out: Record<string, string> = {};
  pieces.forEach((piece, i) => {
    out[i === 0 ? name : `${name}-${i + 1}`] = i === 0 ? `${at};${pieces.length};${piece}` : piece;
  });
  return out;
}

function decodeStored(headers: Record<string, string>, name: string): { at: number; tags: Tags } | undefined {
  const first = /^(\d+);(\d+);(.*)$/s.exec(headers[name] ?? '');
  if (!first) return undefined;
  let data = first[3]!;
  for (let i = 2; i <= Number(first[2]); i++) data += headers[`${name}-${i}`] ?? '';
  try {
    const tags = data === '' ? [] : (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Tags);
    return Array.isArray(tags) ? { at: Number(first[1]), tags } : undefined;
  } catch {
    return undefined;
  }
}

/** An object's tags from its (Swift-internal) headers: the newer of the written and the updated set. */
export function objectTags(headers: Record<string, string>): Tags {
  const written = decodeStored(headers, SYSMETA_TAGGING);
  const updated = decodeStored(headers, TRANSIENT_TAGGING);
  const newest = !updated ? written : !written ? updated : updated.at >= written.at ? updated : written;
  return newest?.tags ?? [];
}

/** A bucket's tags, or undefined when it has none (NoSuchTagSet). */
export function bucketTags(headers: Record<string, string>): Tags | undefined {
  const stored = decodeStored(headers, SYSMETA_BUCKET_TAGGING);
  return stored && stored.tags.length > 0 ? stored.tags : undefined;
}

/** The sysmeta header an object write carries for an x-amz-tagging header (none: no header). */
export function taggingWriteHeaders(headers: Record<string, string>): Record<string, string> {
  const value = headers['x-amz-tagging'];
  if (value === undefined) return {};
  return encodeTags(SYSMETA_TAGGING, parseTaggingHeader(value));
}
