// The SLO manifest in its two shapes, as Swift's slo.py defines them: the PUT format a
// client sends ({"path", "etag", "size_bytes", "range"} or inline {"data": base64}),
// checked entry by entry with Swift's exact error texts; and the stored format (name,
// bytes, hash, content_type, last_modified, range, sub_slo; data entries as given),
// written as Python's json.dumps writes it so ?multipart-manifest=get is byte-for-byte
// Swift's. Also the SLO ETag and size, and the "raw" format that turns one into the other.
import { createHash } from 'node:crypto';
import { plainError, SwiftError } from '../errors.js';
import { pythonJson } from './listing-format.js';
import { parseSegmentRange, rangesForLength, type ByteRange } from './ranges.js';

/** An object-backed entry of a stored manifest. */
export interface StoredObjectEntry {
  name: string;
  bytes: number;
  hash: string;
  content_type: string;
  last_modified: string;
  /** "first-last" of the segment object, when only part of it is used. */
  range?: string;
  sub_slo?: boolean;
}

/** An inline data entry (Swift >= 2.19): base64 with standard padding. */
export interface StoredDataEntry {
  data: string;
}

export type StoredEntry = StoredObjectEntry | StoredDataEntry;

export const isDataEntry = (e: StoredEntry): e is StoredDataEntry => 'data' in e;

/** A checked entry of a manifest PUT. */
export type PutEntry =
  | {
      path: string;
      etag: string | null;
      sizeBytes: number | null;
      /** The one range spec given, unresolved until the segment's size is known. */
      range: ReturnType<typeof parseSegmentRange> | null;
    }
  | { data: Buffer };

const BASE64_CHARS = /^[0-9A-Za-z/+]*$/;

/** swift.common.utils.strict_b64decode: only base64 characters (padding at the ends), correctly padded. */
export function strictBase64Decode(value: unknown): Buffer | null {
  if (typeof value !== 'string') return null;
  const body = value.replace(/^=+|=+$/g, '');
  if (!BASE64_CHARS.test(body)) return null;
  const trailing = value.length - value.replace(/=+$/, '').length;
  const rest = body.length % 4;
  if (rest === 1 || (rest !== 0 && trailing < 4 - rest)) return null;
  return Buffer.from(body, 'base64');
}

/** Python's int() of a JSON value, as size_bytes is read: integers, numeric strings, truncated floats. */
function pythonInt(value: unknown): number | null {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replaceAll('_', ''));
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's truth value of a JSON value. */
const pythonTruthy = (v: unknown) =>
  !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0));

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * slo.parse_and_validate_input: the entries of a manifest PUT body, or a 400 listing every
 * bad entry ("Index N: …" lines, text/plain). `self` is the manifest's own
 * "<container>/<object>", which no entry may name.
 */
export function parseManifestInput(body: Buffer, self: string): PutEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(body));
  } catch {
    throw new SwiftError(400, 'Manifest must be valid JSON.\n');
  }
  if (!Array.isArray(parsed)) throw new SwiftError(400, 'Manifest must be a list.\n');
  const errors: string[] = [];
  const entries = parsed.map((raw, i): PutEntry | null => {
    const problem = (text: string) => {
      errors.push(`Index ${i}: ${text}`);
      return null;
    };
    if (!isObject(raw)) return problem('not a JSON object');
    const type = 'data' in raw ? 'data' : 'path' in raw ? 'path' : null;
    if (!type) return problem("expected keys to include one of 'data' or 'path'");
    const allowed = type === 'data' ? ['data'] : ['path', 'range', 'etag', 'size_bytes'];
    const extraneous = Object.keys(raw).filter((k) => !allowed.includes(k)).sort();
    if (extraneous.length > 0) return problem(`extraneous keys ${extraneous.map((k) => pythonJson(k)).join(', ')}`);
    if (type === 'data') {
      const data = strictBase64Decode(raw.data);
      if (!data) return problem('data must be valid base64');
      if (data.length < 1) return problem('too small; each segment must be at least 1 byte.');
      return { data };
    }
    const { path, etag } = raw;
    if (typeof path !== 'string') return problem('"path" must be a string');
    if (etag !== undefined && etag !== null && typeof etag !== 'string') return problem('"etag" must be a string or null (if provided)');
    if (!path.replace(/^\/+|\/+$/g, '').includes('/')) {
      return problem('path does not refer to an object. Path must be of the form /container/object.');
    }
    let sizeBytes: number | null = null;
    if (raw.size_bytes !== undefined && raw.size_bytes !== null) {
      sizeBytes = pythonInt(raw.size_bytes);
      if (sizeBytes === null) return problem('invalid size_bytes');
      if (sizeBytes < 1 && i !== parsed.length - 1) return problem('too small; each segment must be at least 1 byte.');
    }
    if (path.replace(/^\/+/, '') === self) return problem('manifest must not include itself as a segment');
    let range: ReturnType<typeof parseSegmentRange> = null;
    if (pythonTruthy(raw.range)) {
      // slo.py builds Range('bytes=%s' % range): only a string can make a valid one.
      range = typeof raw.range === 'string' ? parseSegmentRange(raw.range) : null;
      if (!range) return problem('invalid range');
      if (range.length > 1) return problem('multiple ranges (only one allowed)');
      if (sizeBytes !== null && rangesForLength(range, sizeBytes).length !== 1) return problem('unsatisfiable range');
    }
    return { path, etag: typeof etag === 'string' ? etag : null, sizeBytes, range };
  });
  if (parsed.length > 0 && parsed.every((e) => isObject(e) && 'data' in e)) {
    errors.push('Inline data segments require at least one object-backed segment.');
  }
  if (errors.length > 0) throw plainError(400, errors.map((e) => `${e}\n`).join(''));
  return entries as PutEntry[];
}

/** The bytes a stored entry contributes to the large object. */
export function entryLength(entry: StoredEntry): number {
  if (isDataEntry(entry)) return Buffer.from(entry.data, 'base64').length;
  const range = entry.range ? /^(\d+)-(\d+)$/.exec(entry.range) : null;
  return range ? Number(range[2]) - Number(range[1]) + 1 : entry.bytes;
}

/** An entry's "range" as inclusive offsets of its segment object (the whole object without one). */
export function entryByteRange(entry: StoredObjectEntry): ByteRange {
  const range = entry.range ? /^(\d+)-(\d+)$/.exec(entry.range) : null;
  return range ? { first: Number(range[1]), last: Number(range[2]) } : { first: 0, last: entry.bytes - 1 };
}

/** Swift's SLO ETag: the MD5 of each entry's contribution (its ETag, "etag:range;", or the MD5 of inline data). */
export function sloEtag(entries: readonly StoredEntry[]): string {
  const md5 = createHash('md5');
  for (const e of entries) {
    if (isDataEntry(e)) md5.update(createHash('md5').update(Buffer.from(e.data, 'base64')).digest('hex'));
    else md5.update(e.range ? `${e.hash}:${e.range};` : e.hash);
  }
  return md5.digest('hex');
}

/** The stored manifest's bytes: Python's json.dumps of the entries, keys in slo.py's order. */
export function storedManifestBody(entries: readonly StoredEntry[]): Buffer {
  const ordered = entries.map((e) =>
    isDataEntry(e)
      ? { data: e.data }
      : {
          name: e.name,
          bytes: e.bytes,
          hash: e.hash,
          content_type: e.content_type,
          last_modified: e.last_modified,
          ...(e.range !== undefined ? { range: e.range } : {}),
          ...(e.sub_slo ? { sub_slo: true } : {}),
        },
  );
  return Buffer.from(pythonJson(ordered), 'utf8');
}

/** ?format=raw: the stored manifest back in the PUT format, keys in sorted order as slo.py dumps it (sort_keys=True). */
export function rawManifestBody(entries: readonly StoredEntry[]): Buffer {
  const raw = entries.map((e) =>
    isDataEntry(e)
      ? { data: e.data }
      : { etag: e.hash, path: e.name, ...(e.range !== undefined ? { range: e.range } : {}), size_bytes: e.bytes },
  );
  return Buffer.from(pythonJson(raw), 'utf8');
}

/** A stored manifest read back; anything else is Swift's 500 "Unable to load SLO manifest". */
export function parseStoredManifest(body: Buffer): StoredEntry[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.every(isObject)) return parsed as unknown as StoredEntry[];
  } catch {
    // falls through
  }
  throw new SwiftError(500, 'Unable to load SLO manifest');
}
