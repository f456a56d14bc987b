// Dynamic large objects (Swift's dlo middleware): an object with X-Object-Manifest:
// <container>/<prefix> is served as the concatenation, in name order, of the objects
// listed under that prefix at the time of the read. Its ETag is the quoted MD5 of the
// listed segments' ETags; conditional requests are evaluated against that ETag and the
// manifest's Last-Modified, whatever the object servers said about the manifest itself.
// One Range is served across segments; several are answered with the whole object, and
// a Range past the end is a 416 naming the real size (Swift's dlo.py does both).
import { createHash } from 'node:crypto';
import { SwiftError, badRequest } from '../errors.js';
import { CONDITIONAL_HEADERS } from './conditional.js';
import type { ListingItem } from './listing-format.js';
import { parseRange, rangesForLength } from './ranges.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { MAX_NESTING, drain, segmentedResponse, type Segment } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';

const isDlo = (headers: Record<string, string>) => headers['x-object-manifest'] !== undefined;

/** Swift's PUT check, on the value as sent: "<container>/<prefix>", no query characters, no leading "/" in the prefix. */
function isValidManifestValue(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const container = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  return container !== '' && prefix !== '' && !value.includes('?') && !value.includes('&') && !prefix.startsWith('/');
}

/** The container and prefix a stored X-Object-Manifest names: URL-unquoted, then split at the first "/". */
function manifestTarget(value: string): { container: string; prefix: string } | null {
  let unquoted = value;
  try {
    unquoted = decodeURIComponent(value);
  } catch {
    // Swift's unquote leaves a malformed escape as it is.
  }
  const slash = unquoted.indexOf('/');
  if (slash <= 0) return null;
  return { container: unquoted.slice(0, slash), prefix: unquoted.slice(slash + 1) };
}

export function dloMiddleware(s: Services): Middleware {
  /** Every object under the prefix, page by page, as the caller would list them; an error answer is returned as it is. */
  async function listSegments(req: SwiftRequest, container: string, prefix: string): Promise<ListingItem[] | SwiftResponse> {
    const items: ListingItem[] = [];
    const limit = s.config.container_listing_limit;
    for (let marker = ''; ; ) {
      const query = new Map([
        ['format', 'json'],
        ['prefix', prefix],
        ['limit', String(limit)],
      ]);
      if (marker) query.set('marker', marker);
      // A listing error (no such segment container: 404) is the answer, as in dlo.py.
      const res = await s.handle(subrequest(req, { method: 'GET', path: { account: req.path.account, container }, query }));
      if (res.status < 200 || res.status >= 300) return res;
      const page = JSON.parse(String(res.body ?? '[]')) as ListingItem[];
      items.push(...page);
      if (items.length > s.config.max_dlo_segments) {
        throw new SwiftError(409, `The large object has more than ${s.config.max_dlo_segments} segments.`);
      }
      if (page.length < limit) return items;
      marker = String(page[page.length - 1]!.name);
    }
  }

  /**
   * The manifest's own headers. A conditional or ranged request may have been answered
   * about the manifest (304/412 on its ETag, 416 on its 0 bytes): those answers say
   * nothing about the large object, so the headers are fetched again without the conditions.
   */
  async function manifestHeaders(req: SwiftRequest, res: SwiftResponse, next: Handler): Promise<Record<string, string> | null> {
    if (res.status === 200 && isDlo(res.headers)) return res.headers;
    const headers = { ...req.headers };
    for (const name of CONDITIONAL_HEADERS) delete headers[name];
    const probe = await next({ ...req, method: 'HEAD', headers });
    drain(probe);
    return probe.status === 200 && isDlo(probe.headers) ? probe.headers : null;
  }

  async function serve(req: SwiftRequest, manifest: Record<string, string>): Promise<SwiftResponse> {
    if (req.depth > MAX_NESTING) throw new SwiftError(409, 'Max recursion depth exceeded');
    const target = manifestTarget(manifest['x-object-manifest']!);
    if (!target) throw new SwiftError(500, 'The object has an invalid X-Object-Manifest');
    const listed = await listSegments(req, target.container, target.prefix);
    if (!Array.isArray(listed)) return listed;
    const total = listed.reduce((sum, item) => sum + Number(item.bytes), 0);
    // One range that selects nothing is refused before any segment is read (dlo.py).
    const specs = parseRange(req.headers.range);
    if (specs && specs.length === 1 && rangesForLength(specs, total).length === 0) {
      throw new SwiftError(416, undefined, { 'accept-ranges': 'bytes', 'content-range': `bytes */${total}` });
    }
    const etag = createHash('md5');
    for (const item of listed) etag.update(String(item.hash ?? '').replace(/^"(.*)"$/, '$1'));
    const dloEtag = etag.digest('hex');
    const asManifest = new Map([['multipart-manifest', 'get']]);
    const segments: Segment[] = listed
      .filter((item) => Number(item.bytes) > 0)
      .map((item) => ({
        path: { account: req.path.account, container: target.container, object: String(item.name) },
        first: 0,
        last: Number(item.bytes) - 1,
        query: asManifest,
      }));
    const headers = { ...manifest, etag: `"${dloEtag}"` };
    return segmentedResponse(s, req, headers, segments, total, { multiRange: false, conditionalEtag: dloEtag });
  }

  return async function dlo(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.method === 'PUT' && req.headers['x-object-manifest'] !== undefined) {
      if (!isValidManifestValue(req.headers['x-object-manifest'])) {
        throw badRequest('X-Object-Manifest must be in the format container/prefix');
      }
      return next(req);
    }
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.query.get('multipart-manifest') === 'get') return next(req);
    const res = await next(req);
    if (!isDlo(res.headers)) return res;
    const manifest = await manifestHeaders(req, res, next);
    if (!manifest) return res;
    drain(res);
    return serve(req, manifest);
  };
}
