// Conditional GET/HEAD as Swift's swob evaluates them (Response._get_conditional_response_status),
// for the object servers and for the responses the proxy builds itself (a DLO, whose ETag
// is not its manifest's), in swob's order: If-None-Match (304), If-Match (412),
// If-Modified-Since (304), If-Unmodified-Since (412). As swob, an answer without an ETag
// skips the ETag conditions and one without Last-Modified the date conditions.
import { parseHttpDate } from './http.js';

/** A tag without its surrounding quotes. */
export function normalizeEtag(tag: string): string {
  return tag.length > 1 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag;
}

/** The entity tags of an If-Match / If-None-Match value, quotes removed (swob's Match). */
function etagList(header: string | undefined): Set<string> | undefined {
  if (header === undefined) return undefined;
  const tags = new Set<string>();
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag) tags.add(normalizeEtag(tag));
  }
  return tags;
}

const matches = (tags: Set<string>, etag: string) => tags.has('*') || tags.has(normalizeEtag(etag));

/** 304, 412, or undefined to serve the response as it is. `lastModifiedSeconds`: its Last-Modified. */
export function conditionalStatus(
  headers: Record<string, string>,
  etag: string,
  lastModifiedSeconds: number | undefined,
): 304 | 412 | undefined {
  const ifNoneMatch = etagList(headers['if-none-match']);
  if (etag && ifNoneMatch && matches(ifNoneMatch, etag)) return 304;
  const ifMatch = etagList(headers['if-match']);
  if (etag && ifMatch && !matches(ifMatch, etag)) return 412;
  if (lastModifiedSeconds === undefined) return undefined;
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
