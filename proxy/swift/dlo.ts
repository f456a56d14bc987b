// Dynamic large objects (Swift's dlo middleware): an object with X-Object-Manifest:
// <container>/<prefix> is served as the concatenation, in name order, of the objects
// listed under that prefix at the time of the read.
import { createHash } from 'node:crypto';
import { SwiftError, badRequest } from '../errors.js';
import type { ListingItem } from './listing-format.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { MAX_NESTING, drain, fetchManifestWhole, segmentedResponse, type Segment } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';

const isDlo = (headers: Record<string, string>) => headers['x-object-manifest'] !== undefined;

/** "<container>/<prefix>" (URL-encoded or not), refusing what Swift refuses. */
function parseManifestValue(value: string): { container: string; prefix: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return null;
  }
  const slash = decoded.indexOf('/');
  const container = slash < 0 ? '' : decoded.slice(0, slash);
  const prefix = slash < 0 ? '' : decoded.slice(slash + 1);
  if (!container || !prefix || prefix.startsWith('/') || value.includes('?') || value.includes('&')) return null;
  return { container, prefix };
}

export function dloMiddleware(s: Services): Middleware {
  /** Every object under the prefix, page by page, as the caller would list them. */
  async function listSegments(req: SwiftRequest, container: string, prefix: string): Promise<ListingItem[]> {
    const items: ListingItem[] = [];
    const limit = s.config.container_listing_limit;
    for (let marker = ''; ; ) {
      const query = new Map([
        ['format', 'json'],
        ['prefix', prefix],
        ['limit', String(limit)],
      ]);
      if (marker) query.set('marker', marker);
      let res: SwiftResponse;
      try {
        res = await s.handle(subrequest(req, { method: 'GET', path: { account: req.path.account, container }, query }));
      } catch (err) {
        // A manifest may be uploaded before its segment container exists: no segments yet.
        if (err instanceof SwiftError && err.status === 404) return items;
        throw err;
      }
      const page = JSON.parse(String(res.body ?? '[]')) as ListingItem[];
      items.push(...page);
      if (items.length > s.config.max_dlo_segments) {
        throw new SwiftError(409, `The large object has more than ${s.config.max_dlo_segments} segments.`);
      }
      if (page.length < limit) return items;
      marker = String(page[page.length - 1]!.name);
    }
  }

  async function serve(req: SwiftRequest, res: SwiftResponse): Promise<SwiftResponse> {
    if (req.depth > MAX_NESTING) throw new SwiftError(409, 'Max recursion depth exceeded');
    drain(res);
    const manifest = parseManifestValue(res.headers['x-object-manifest']!);
    if (!manifest) throw new SwiftError(500, 'The object has an invalid X-Object-Manifest');
    const listed = await listSegments(req, manifest.container, manifest.prefix);
    const etag = createHash('md5');
    for (const item of listed) etag.update(String(item.hash ?? ''));
    const asManifest = new Map([['multipart-manifest', 'get']]);
    const segments: Segment[] = listed
      .filter((item) => Number(item.bytes) > 0)
      .map((item) => ({
        path: { account: req.path.account, container: manifest.container, object: String(item.name) },
        first: 0,
        last: Number(item.bytes) - 1,
        query: asManifest,
      }));
    const total = segments.reduce((sum, seg) => sum + seg.last + 1, 0);
    const headers = { ...res.headers, etag: `"${etag.digest('hex')}"` };
    return segmentedResponse(s, req, headers, segments, total);
  }

  return async function dlo(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.method === 'PUT' && req.headers['x-object-manifest'] !== undefined) {
      if (!parseManifestValue(req.headers['x-object-manifest'])) {
        throw badRequest('X-Object-Manifest must be in the format container/prefix');
      }
      return next(req);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return next(req);
    const res = await fetchManifestWhole(req, next, isDlo);
    if (!isDlo(res.headers) || res.status < 200 || res.status >= 300) return res;
    if (req.query.get('multipart-manifest') === 'get') return res;
    return serve(req, res);
  };
}
