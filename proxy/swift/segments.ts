// Serving a large object (SLO or DLO) from its segments: the byte ranges of the whole
// mapped onto segments, the Range header answered across segment boundaries, and the
// segments streamed one after another through ordinary subrequests (so the caller's
// read access to segment containers is checked, as in Swift).
import { Readable } from 'node:stream';
import type { SwiftPath } from '../../common/paths.js';
import { conflict } from '../errors.js';
import { unquoteEtag } from './headers.js';
import { parseRangeHeader } from './ranges.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import type { Handler, Services } from './services.js';

/** How deep large objects may nest (an SLO whose segments are SLOs…), as Swift's limit. */
export const MAX_NESTING = 10;

export interface Segment {
  path: SwiftPath;
  /** The bytes of the segment object that belong to the large object, inclusive. */
  first: number;
  last: number;
  /** The ETag the segment object must have (SLO checks; DLO does not). */
  etag?: string;
  /** Query of the segment GET (a DLO fetches its segments with multipart-manifest=get). */
  query?: Map<string, string>;
}

const lengthOf = (seg: Segment) => seg.last - seg.first + 1;

/** The parts of `segments` that hold bytes [start, end] (inclusive) of the whole. */
export function sliceSegments(segments: readonly Segment[], start: number, end: number): Segment[] {
  const out: Segment[] = [];
  let offset = 0;
  for (const seg of segments) {
    const segStart = offset;
    const segEnd = offset + lengthOf(seg) - 1;
    offset = segEnd + 1;
    if (segEnd < start || segStart > end) continue;
    out.push({
      ...seg,
      first: seg.first + Math.max(0, start - segStart),
      last: seg.first + (Math.min(end, segEnd) - segStart),
    });
  }
  return out;
}

function asReadable(body: SwiftResponse['body']): Readable {
  if (body instanceof Readable) return body;
  return Readable.from(body ? [Buffer.from(body)] : []);
}

export const drain = (res: SwiftResponse) => {
  if (res.body instanceof Readable) {
    res.body.on('error', () => {});
    res.body.resume();
  }
};

/** GETs one segment, for just the bytes needed. Fails with a message naming the segment. */
async function fetchSegment(s: Services, parent: SwiftRequest, seg: Segment): Promise<SwiftResponse> {
  const name = `/${seg.path.container}/${seg.path.object}`;
  const headers: Record<string, string> = { range: `bytes=${seg.first}-${seg.last}` };
  let res: SwiftResponse;
  try {
    res = await s.handle(subrequest(parent, { method: 'GET', path: seg.path, headers, ...(seg.query ? { query: seg.query } : {}) }));
  } catch (err) {
    throw new Error(`segment ${name}: ${(err as Error).message}`);
  }
  if (res.status !== 200 && res.status !== 206) {
    drain(res);
    throw new Error(`segment ${name} answered ${res.status}`);
  }
  if (seg.etag !== undefined && unquoteEtag(res.headers.etag) !== seg.etag) {
    drain(res);
    throw new Error(`segment ${name} has ETag ${res.headers.etag}, the manifest says ${seg.etag}`);
  }
  return res;
}

/** The bytes of one fetched segment; a 200 (Range ignored) is cut down to the part needed. */
async function* segmentBytes(res: SwiftResponse, seg: Segment): AsyncGenerator<Buffer> {
  let skip = res.status === 200 ? seg.first : 0;
  let remaining = lengthOf(seg);
  for await (const chunk of asReadable(res.body)) {
    let bytes = chunk as Buffer;
    if (skip > 0) {
      if (bytes.length <= skip) {
        skip -= bytes.length;
        continue;
      }
      bytes = bytes.subarray(skip);
      skip = 0;
    }
    if (bytes.length > remaining) bytes = bytes.subarray(0, remaining);
    remaining -= bytes.length;
    if (bytes.length > 0) yield bytes;
    if (remaining === 0) break;
  }
  if (remaining > 0) throw new Error(`segment /${seg.path.container}/${seg.path.object} ended ${remaining} bytes early`);
}

async function* concatenate(s: Services, req: SwiftRequest, first: SwiftResponse, segments: Segment[]): AsyncGenerator<Buffer> {
  let res: SwiftResponse | null = first;
  for (const seg of segments) {
    res ??= await fetchSegment(s, req, seg);
    yield* segmentBytes(res, seg);
    res = null;
  }
}

/**
 * The response for a large object of `total` bytes made of `segments`, honouring a
 * single-range Range header (several ranges are answered with the whole object). The
 * first segment is fetched before answering, so a missing one is a 409, not a broken 200.
 */
export async function segmentedResponse(
  s: Services,
  req: SwiftRequest,
  headers: Record<string, string>,
  segments: Segment[],
  total: number,
): Promise<SwiftResponse> {
  const out: Record<string, string> = { ...headers, 'accept-ranges': 'bytes' };
  delete out['content-range'];
  const selection = parseRangeHeader(req.headers.range, total);
  if (selection.kind === 'unsatisfiable') {
    return { status: 416, headers: { 'content-range': `bytes */${total}`, 'content-length': '0' }, body: null };
  }
  let status = 200;
  let parts = segments;
  let length = total;
  if (selection.kind === 'ranges' && selection.ranges.length === 1) {
    const { first, last } = selection.ranges[0]!;
    status = 206;
    parts = sliceSegments(segments, first, last);
    length = last - first + 1;
    out['content-range'] = `bytes ${first}-${last}/${total}`;
  }
  out['content-length'] = String(length);
  if (req.method === 'HEAD' || parts.length === 0) return { status, headers: out, body: null };
  let first: SwiftResponse;
  try {
    first = await fetchSegment(s, req, parts[0]!);
  } catch (err) {
    req.log.warn({ err: (err as Error).message }, 'large object: first segment unavailable');
    throw conflict(`Large object segment unavailable: ${(err as Error).message}`);
  }
  const body = Readable.from(concatenate(s, req, first, parts));
  body.on('error', (err) => req.log.warn({ err: err.message }, 'large object: segment failed mid-stream'));
  return { status, headers: out, body };
}

/**
 * GET/HEAD through the rest of the pipeline so that a manifest arrives whole: a client's
 * Range is about the large object, not about the manifest, so a manifest fetched with
 * one (206, or 416 for an empty DLO manifest) is fetched again without it.
 */
export async function fetchManifestWhole(
  req: SwiftRequest,
  next: Handler,
  isManifest: (headers: Record<string, string>) => boolean,
): Promise<SwiftResponse> {
  const res = await next(req);
  if (req.headers.range === undefined) return res;
  const withoutRange = { ...req, headers: { ...req.headers } };
  delete withoutRange.headers.range;
  if (res.status === 206 && isManifest(res.headers)) {
    drain(res);
    return next(withoutRange);
  }
  if (res.status === 416) {
    const probe = await next({ ...withoutRange, method: 'HEAD' });
    if (isManifest(probe.headers)) {
      drain(res);
      return next(withoutRange);
    }
  }
  return res;
}
