// Conditional GET/HEAD as Swift's swob evaluates them, in its order: If-None-Match (304),
// If-Match (412), If-Modified-Since (304), If-Unmodified-Since (412).
import { parseHttpDate } from '../../common/http.js';
import type { Metadata } from './datafile.js';

/** The entity tags of an If-Match / If-None-Match header, quotes removed. */
function etagList(header: string | undefined): Set<string> | undefined {
  if (header === undefined) return undefined;
  const tags = new Set<string>();
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag) tags.add(normalizeEtag(tag));
  }
  return tags;
}

export function normalizeEtag(tag: string): string {
  return tag.length > 1 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag;
}

const matches = (tags: Set<string>, etag: string) => tags.has('*') || tags.has(normalizeEtag(etag));

/** 304, 412, or undefined to serve the object normally. */
export function conditionalStatus(
  headers: Record<string, string>,
  etag: string,
  lastModifiedSeconds: number,
): 304 | 412 | undefined {
  const ifNoneMatch = etagList(headers['if-none-match']);
  if (ifNoneMatch && matches(ifNoneMatch, etag)) return 304;
  const ifMatch = etagList(headers['if-match']);
  if (ifMatch && !matches(ifMatch, etag)) return 412;
  const modifiedSince = parseHttpDate(headers['if-modified-since']);
  if (modifiedSince !== undefined && lastModifiedSeconds <= modifiedSince) return 304;
  const unmodifiedSince = parseHttpDate(headers['if-unmodified-since']);
  if (unmodifiedSince !== undefined && lastModifiedSeconds > unmodifiedSince) return 412;
  return undefined;
}

/** "If-Match: *" on an object that does not exist fails (RFC 7232 3.1). */
export function missingObjectStatus(headers: Record<string, string>): 412 | undefined {
  return etagList(headers['if-match'])?.has('*') ? 412 : undefined;
}

/** For If-None-Match on PUT: does the stored object match "*" or one of the tags? */
export function ifNoneMatchHits(headers: Record<string, string>, etag: string): boolean {
  const tags = etagList(headers['if-none-match']);
  return tags !== undefined && matches(tags, etag);
}

/**
 * The ETag conditional requests compare with: the first metadata key named by
 * X-Backend-Etag-Is-At that the object has (how SLO and encryption expose another
 * ETag), else the object's own.
 */
export function conditionalEtag(headers: Record<string, string>, metadata: Metadata): string {
  const keys = headers['x-backend-etag-is-at'];
  if (keys) {
    const lower = new Map(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
    for (const key of keys.split(',')) {
      const value = lower.get(key.trim().toLowerCase());
      if (value !== undefined) return value;
    }
  }
  return metadata.ETag ?? '';
}
