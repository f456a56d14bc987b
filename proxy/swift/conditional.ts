// Conditional GET/HEAD as Swift's swob evaluates them on a response it builds itself (a
// dynamic large object, whose ETag is not the manifest's): If-None-Match (304), If-Match
// (412), If-Modified-Since (304), If-Unmodified-Since (412), in that order. Plain objects
// and SLO manifests are evaluated by the object servers (SLO through X-Backend-Etag-Is-At).
import { parseHttpDate } from '../../common/http.js';

/** The entity tags of an If-Match / If-None-Match value, quotes removed (swob's Match). */
function etagList(header: string | undefined): Set<string> | null {
  if (header === undefined) return null;
  const tags = new Set<string>();
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag) tags.add(tag.length > 1 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag);
  }
  return tags;
}

const matches = (tags: Set<string>, etag: string) => tags.has('*') || tags.has(etag);

/**
 * 304, 412, or null to serve the response as it is. `etag` is unquoted; `lastModified`
 * is the response's Last-Modified header.
 */
export function conditionalStatus(request: Record<string, string>, etag: string, lastModified: string | undefined): 304 | 412 | null {
  const ifNoneMatch = etagList(request['if-none-match']);
  if (etag && ifNoneMatch && matches(ifNoneMatch, etag)) return 304;
  const ifMatch = etagList(request['if-match']);
  if (etag && ifMatch && !matches(ifMatch, etag)) return 412;
  const modified = parseHttpDate(lastModified);
  if (modified === undefined) return null;
  const since = parseHttpDate(request['if-modified-since']);
  if (since !== undefined && modified <= since) return 304;
  const unmodifiedSince = parseHttpDate(request['if-unmodified-since']);
  if (unmodifiedSince !== undefined && modified > unmodifiedSince) return 412;
  return null;
}

/** The request headers that make a GET/HEAD conditional or partial. */
export const CONDITIONAL_HEADERS = ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const;
