// Static large objects (Swift's slo middleware): PUT ?multipart-manifest=put checks every
// listed segment and stores the manifest; GET/HEAD of a manifest serve the concatenated
// segments; ?multipart-manifest=get returns the manifest itself; DELETE
// ?multipart-manifest=delete removes the segments and then the manifest.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isTrue } from '../../common/http.js';
import type { SwiftPath } from '../../common/paths.js';
import { readBody } from '../backend.js';
import {
  SwiftError,
  badRequest,
  entityTooLarge,
  methodNotAllowed,
  statusLine,
  unprocessableEntity,
} from '../errors.js';
import { checkUploadLength } from './constraints.js';
import { cleanContentType, unquoteEtag } from './headers.js';
import { chooseListingFormat } from './listing-format.js';
import { guessContentType } from './mime.js';
import { parseRangeSpec } from './ranges.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { MAX_NESTING, drain, fetchManifestWhole, segmentedResponse, type Segment } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';

const SYSMETA_SLO_ETAG = 'x-object-sysmeta-slo-etag';
const SYSMETA_SLO_SIZE = 'x-object-sysmeta-slo-size';
const LISTING_ETAG_OVERRIDE = 'x-object-sysmeta-container-update-override-etag';
const ALLOWED_PUT_KEYS = new Set(['path', 'etag', 'size_bytes', 'range']);
const HEAD_CONCURRENCY = 4;

/** One entry of a stored manifest (Swift's internal format). */
export interface ManifestEntry {
  name: string;
  bytes: number;
  hash: string;
  content_type?: string;
  last_modified?: string;
  range?: string;
  sub_slo?: boolean;
}

interface PutEntry {
  path: string;
  etag: string | null;
  size_bytes: number | null;
  range?: string;
}

const isSlo = (headers: Record<string, string>) => isTrue(headers['x-static-large-object']);

/** "/container/object" of a manifest entry as a path in the manifest's account. */
function segmentPath(account: string, name: string): SwiftPath | null {
  const trimmed = name.startsWith('/') ? name.slice(1) : name;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) return null;
  return { account, container: trimmed.slice(0, slash), object: trimmed.slice(slash + 1) };
}

/** Swift's body for bulk-style answers: "Key: value" lines then "Errors:", or the same as JSON. */
function bulkBody(json: boolean, fields: Record<string, string | number>, errors: [string, string][]): string {
  if (json) return JSON.stringify({ ...fields, Errors: errors });
  const lines = Object.keys(fields)
    .sort()
    .map((k) => `${k}: ${fields[k]}\n`);
  return `${lines.join('')}Errors:\n${errors.map(([name, reason]) => `${name}, ${reason}\n`).join('')}`;
}

const wantsJson = (req: SwiftRequest) => {
  try {
    return chooseListingFormat(new Map(), req.headers.accept) === 'application/json';
  } catch {
    return false;
  }
};

/** Concurrency-limited map that keeps the order of its input. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function parsePutManifest(body: Buffer, maxSegments: number): PutEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('Manifest must be valid JSON.');
  }
  if (!Array.isArray(parsed)) throw badRequest('Manifest must be a list.');
  if (parsed.length === 0) throw badRequest('Manifest must have at least one segment.');
  if (parsed.length > maxSegments) throw entityTooLarge(`Number of segments must be <= ${maxSegments}`);
  const problems: string[] = [];
  const entries = parsed.map((raw, i): PutEntry => {
    const entry = raw as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`Index ${i}: not a JSON object`);
    } else if ('data' in entry) {
      problems.push(`Index ${i}: inline data segments are not supported`);
    } else if (Object.keys(entry).some((k) => !ALLOWED_PUT_KEYS.has(k))) {
      problems.push(`Index ${i}: extraneous keys ${Object.keys(entry).filter((k) => !ALLOWED_PUT_KEYS.has(k)).map((k) => `"${k}"`).join(', ')}`);
    } else if (typeof entry.path !== 'string' || !segmentPath('a', entry.path)) {
      problems.push(`Index ${i}: invalid or missing path; it must look like /container/object`);
    } else if (entry.etag !== undefined && entry.etag !== null && typeof entry.etag !== 'string') {
      problems.push(`Index ${i}: "etag" must be a string or null`);
    } else if (
      entry.size_bytes !== undefined &&
      entry.size_bytes !== null &&
      !(Number.isSafeInteger(entry.size_bytes) && (entry.size_bytes as number) >= 0)
    ) {
      problems.push(`Index ${i}: "size_bytes" must be an integer or null`);
    } else if (entry.range !== undefined && (typeof entry.range !== 'string' || entry.range.includes(','))) {
      problems.push(`Index ${i}: "range" must be one byte range such as "0-99"`);
    }
    return {
      path: String(entry?.path ?? ''),
      etag: typeof entry?.etag === 'string' ? unquoteEtag(entry.etag) : null,
      size_bytes: typeof entry?.size_bytes === 'number' ? entry.size_bytes : null,
      ...(typeof entry?.range === 'string' ? { range: entry.range } : {}),
    };
  });
  if (problems.length > 0) throw badRequest(problems.join('\n'));
  return entries;
}

/** ISO time of an object's X-Timestamp, as listings show it. */
function isoTime(headers: Record<string, string>): string {
  const ts = Number(headers['x-timestamp']);
  const date = Number.isFinite(ts) ? new Date(ts * 1000) : new Date(headers['last-modified'] ?? Date.now());
  return date.toISOString().replace('Z', '000').slice(0, 26);
}

type Problem = [segment: string, reason: string];
type CheckedSegment = { entry: ManifestEntry; used: number } | { problems: Problem[] };

export function sloMiddleware(s: Services): Middleware {
  async function readManifestBody(req: SwiftRequest): Promise<Buffer> {
    const length = checkUploadLength(req.headers, s.config);
    const tooLarge = () => entityTooLarge(`Manifest File > ${s.config.max_manifest_size} bytes`);
    if (length !== undefined && length > s.config.max_manifest_size) throw tooLarge();
    req.continueBody();
    try {
      return req.body ? await readBody(req.body, s.config.max_manifest_size) : Buffer.alloc(0);
    } catch {
      throw tooLarge();
    }
  }

  /** HEADs one listed segment (as the caller) and turns it into a stored entry, or problems. */
  async function checkSegment(req: SwiftRequest, entry: PutEntry, isLast: boolean): Promise<CheckedSegment> {
    const path = segmentPath(req.path.account, entry.path)!;
    const name = `/${path.container}/${path.object}`;
    let head: SwiftResponse;
    try {
      head = await s.handle(subrequest(req, { method: 'HEAD', path }));
    } catch (err) {
      return { problems: [[name, err instanceof SwiftError ? statusLine(err.status) : 'Unavailable']] };
    }
    drain(head);
    const size = Number(head.headers['content-length'] ?? 0);
    const etag = unquoteEtag(head.headers.etag);
    let used = size;
    let range: string | undefined;
    if (entry.range !== undefined) {
      const parsed = parseRangeSpec(entry.range, size);
      if (parsed === null || parsed === 'unsatisfiable') return { problems: [[name, 'Unsatisfiable Range']] };
      used = parsed.last - parsed.first + 1;
      if (used !== size) range = `${parsed.first}-${parsed.last}`;
    }
    const problems: Problem[] = [];
    // As in Swift, only the last segment may be smaller than min_segment_size, even empty.
    const min = s.config.min_segment_size;
    if (used < min && !isLast) problems.push([name, `Too small; each segment must be at least ${min} byte${min === 1 ? '' : 's'}.`]);
    if (entry.size_bytes !== null && entry.size_bytes !== size) problems.push([name, 'Size Mismatch']);
    if (entry.etag !== null && entry.etag !== etag) problems.push([name, 'Etag Mismatch']);
    if (problems.length > 0) return { problems };
    const stored: ManifestEntry = {
      name,
      bytes: size,
      hash: etag,
      content_type: cleanContentType(head.headers['content-type'] ?? 'application/octet-stream'),
      last_modified: isoTime(head.headers),
    };
    if (range) stored.range = range;
    if (isSlo(head.headers)) stored.sub_slo = true;
    return { entry: stored, used };
  }

  /** Checks every segment, then stores the manifest through the rest of the pipeline. */
  async function putManifest(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.headers['x-copy-from']) throw methodNotAllowed(['PUT']);
    const entries = parsePutManifest(await readManifestBody(req), s.config.max_manifest_segments);
    const checked = await mapLimit(entries, HEAD_CONCURRENCY, (entry, i) => checkSegment(req, entry, i === entries.length - 1));
    const problems = checked.flatMap((c) => ('problems' in c ? c.problems : []));
    if (problems.length > 0) {
      const json = wantsJson(req);
      throw new SwiftError(400, bulkBody(json, {}, problems), {
        'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
      });
    }
    const kept = checked.flatMap((c) => ('entry' in c ? [c] : []));
    const sloEtag = createHash('md5');
    for (const { entry } of kept) sloEtag.update(entry.range ? `${entry.hash}:${entry.range};` : entry.hash);
    const etag = sloEtag.digest('hex');
    if (req.headers.etag && unquoteEtag(req.headers.etag) !== etag) {
      throw unprocessableEntity(`The ETag given (${req.headers.etag}) does not match the manifest's: ${etag}`);
    }
    const total = kept.reduce((sum, { used }) => sum + used, 0);
    const manifest = Buffer.from(JSON.stringify(kept.map(({ entry }) => entry)));
    const manifestMd5 = createHash('md5').update(manifest).digest('hex');
    const contentType = req.headers['content-type'] || guessContentType(req.path.object!);
    const headers: Record<string, string> = {
      ...req.headers,
      // The listing shows the large object's size: swift_bytes in its content type.
      'content-type': `${cleanContentType(contentType)};swift_bytes=${total}`,
      'content-length': String(manifest.length),
      etag: manifestMd5,
      'x-static-large-object': 'True',
      [SYSMETA_SLO_ETAG]: etag,
      [SYSMETA_SLO_SIZE]: String(total),
      [LISTING_ETAG_OVERRIDE]: `${manifestMd5}; slo_etag=${etag}`,
    };
    delete headers['transfer-encoding'];
    const query = new Map(req.query);
    query.delete('multipart-manifest');
    const res = await next({ ...req, headers, query, body: Readable.from([manifest]), continueBody: () => {} });
    return { ...res, headers: { ...res.headers, etag: `"${etag}"` } };
  }

  /**
   * The manifest itself: Swift's stored JSON (as application/json), or with ?format=raw
   * the PUT format under the large object's own Content-Type, so that a server-side copy
   * of it is a valid manifest PUT.
   */
  async function manifestResponse(req: SwiftRequest, res: SwiftResponse): Promise<SwiftResponse> {
    if (req.query.get('format') !== 'raw' || req.method === 'HEAD' || !(res.body instanceof Readable)) {
      return { ...res, headers: { ...res.headers, 'content-type': 'application/json; charset=utf-8' } };
    }
    const entries = await readManifest(res);
    const body = JSON.stringify(
      entries.map((e) => ({ path: e.name, etag: e.hash, size_bytes: e.bytes, ...(e.range ? { range: e.range } : {}) })),
    );
    const headers: Record<string, string> = {
      ...res.headers,
      'content-type': cleanContentType(res.headers['content-type'] ?? 'application/octet-stream'),
      'content-length': String(Buffer.byteLength(body)),
      etag: createHash('md5').update(body).digest('hex'),
    };
    return { status: 200, headers, body };
  }

  async function readManifest(res: SwiftResponse): Promise<ManifestEntry[]> {
    if (!(res.body instanceof Readable)) return [];
    return JSON.parse((await readBody(res.body, s.config.max_manifest_size * 2)).toString('utf8')) as ManifestEntry[];
  }

  /** The manifest's segments as byte ranges of their objects (empty ones carry no bytes). */
  function segmentsOf(account: string, entries: ManifestEntry[]): Segment[] {
    return entries.filter((e) => e.bytes > 0).map((e) => {
      const path = segmentPath(account, e.name);
      if (!path) throw new SwiftError(500, `Corrupt manifest entry ${JSON.stringify(e.name)}`);
      const range = e.range ? parseRangeSpec(e.range, e.bytes) : null;
      const { first, last } = range && range !== 'unsatisfiable' ? range : { first: 0, last: e.bytes - 1 };
      return { path, first, last, etag: e.hash };
    });
  }

  /** GET/HEAD of a manifest: the large object's headers, and on GET its bytes. */
  async function serve(req: SwiftRequest, res: SwiftResponse, next: Handler): Promise<SwiftResponse> {
    if (req.depth > MAX_NESTING) throw new SwiftError(409, 'Max recursion depth exceeded');
    const headers = { ...res.headers };
    headers['content-type'] = cleanContentType(headers['content-type'] ?? 'application/octet-stream');
    let manifestRes = res;
    if (req.method === 'HEAD' && headers[SYSMETA_SLO_SIZE] && headers[SYSMETA_SLO_ETAG]) {
      headers.etag = `"${headers[SYSMETA_SLO_ETAG]}"`;
      headers['content-length'] = headers[SYSMETA_SLO_SIZE]!;
      return { status: 200, headers, body: null };
    }
    if (req.method === 'HEAD') manifestRes = await next({ ...req, method: 'GET', headers: {} });
    const segments = segmentsOf(req.path.account, await readManifest(manifestRes));
    const total = segments.reduce((sum, seg) => sum + seg.last - seg.first + 1, 0);
    if (!headers[SYSMETA_SLO_ETAG]) {
      const md5 = createHash('md5');
      for (const seg of segments) md5.update(seg.etag ?? '');
      headers[SYSMETA_SLO_ETAG] = md5.digest('hex');
    }
    headers.etag = `"${headers[SYSMETA_SLO_ETAG]}"`;
    return segmentedResponse(s, req, headers, segments, total);
  }

  /** Deletes every segment (nested manifests' too), then the manifest; reports like Swift's bulk delete. */
  async function deleteManifest(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const errors: [string, string][] = [];
    let deleted = 0;
    let notFound = 0;
    const deleteOne = async (path: SwiftPath, depth: number): Promise<void> => {
      const name = `/${path.container}/${path.object}`;
      try {
        const sub = subrequest(req, { method: 'GET', path, query: new Map([['multipart-manifest', 'get']]) });
        const res = depth === 0 ? await next({ ...sub, depth: req.depth }) : await s.handle(sub);
        if (isSlo(res.headers) && depth < MAX_NESTING) {
          for (const entry of await readManifest(res)) {
            const seg = segmentPath(req.path.account, entry.name);
            if (seg) await deleteOne(seg, depth + 1);
          }
        } else drain(res);
        const del = depth === 0 ? await next(req) : await s.handle(subrequest(req, { method: 'DELETE', path }));
        drain(del);
        deleted++;
      } catch (err) {
        if (err instanceof SwiftError && err.status === 404) notFound++;
        else errors.push([name, err instanceof SwiftError ? statusLine(err.status) : 'Unavailable']);
      }
    };
    await deleteOne(req.path, 0);
    const json = wantsJson(req);
    const status = errors.length > 0 ? 400 : 200;
    const body = bulkBody(json, {
      'Number Deleted': deleted,
      'Number Not Found': notFound,
      'Response Body': '',
      'Response Status': statusLine(status),
    }, errors);
    return { status: 200, headers: { 'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8' }, body };
  }

  return async function slo(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const mode = req.query.get('multipart-manifest');
    if (req.method === 'PUT' && mode === 'put') return putManifest(req, next);
    if (req.method === 'DELETE' && mode === 'delete') return deleteManifest(req, next);
    if (req.method !== 'GET' && req.method !== 'HEAD') return next(req);
    // Conditional requests of a large object compare its SLO etag, not the manifest's —
    // unless a layer above named its own etag first (S3's multipart ETag), as Swift
    // appends to X-Backend-Etag-Is-At rather than replacing it.
    const etagIsAt = req.headers['x-backend-etag-is-at'];
    const withEtagIsAt = { ...req, headers: { ...req.headers, 'x-backend-etag-is-at': etagIsAt ? `${etagIsAt},${SYSMETA_SLO_ETAG}` : SYSMETA_SLO_ETAG } };
    const res = await fetchManifestWhole(withEtagIsAt, next, isSlo);
    if (!isSlo(res.headers)) return res;
    if (res.status === 304) {
      // The object servers compared the SLO etag; show that one, not the manifest's.
      const sloEtag = res.headers[SYSMETA_SLO_ETAG];
      return sloEtag ? { ...res, headers: { ...res.headers, etag: `"${sloEtag}"` } } : res;
    }
    if (res.status < 200 || res.status >= 300) return res;
    if (mode === 'get') return manifestResponse(req, res);
    return serve(req, res, next);
  };
}
