// Serving a large object (SLO or DLO) from its segments, as Swift's SegmentedIterable
// under a swob conditional response: the Range header answered across segment boundaries
// (one range as 206, several as multipart/byteranges where the caller allows it), and the
// segments streamed one after another through ordinary subrequests (so the caller's read
// access to segment containers is checked, as in Swift). An SLO's inline data segments
// are bytes of the manifest itself and need no request.
import { Readable } from 'node:stream';
import type { SwiftPath } from '../../common/paths.js';
import { conflict, rangeNotSatisfiable } from '../errors.js';
import { conditionalStatus } from '../../common/conditional-requests.js';
import { parseHttpDate } from '../../common/http.js';
import { unquoteEtag } from './headers.js';
import { contentRange, multipartFraming, parseRange, rangesForLength, type ByteRange } from './ranges.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import type { Handler, Services } from './services.js';

/** How deep large objects may nest (an SLO whose segments are SLOs…), as Swift's limit. */
export const MAX_NESTING = 10;

/** Bytes [first, last] (inclusive) of a segment object. */
export interface ObjectSegment {
  path: SwiftPath;
  first: number;
  last: number;
  /** The ETag the segment object must have (SLO checks; DLO does not). */
  etag?: string;
  /** Query of the segment GET (a DLO fetches its segments with multipart-manifest=get). */
  query?: Map<string, string>;
}

/** Bytes [first, last] of an SLO's inline data segment. */
export interface DataSegment {
  data: Buffer;
  first: number;
  last: number;
}

export type Segment = ObjectSegment | DataSegment;

const isData = (seg: Segment): seg is DataSegment => 'data' in seg;
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
async function fetchSegment(s: Services, parent: SwiftRequest, seg: ObjectSegment): Promise<SwiftResponse> {
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
async function* segmentBytes(res: SwiftResponse, seg: ObjectSegment): AsyncGenerator<Buffer> {
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

/** The segments' bytes in order; `first` is the already fetched response of the first object segment. */
async function* concatenate(s: Services, req: SwiftRequest, segments: Segment[], first: SwiftResponse | null): AsyncGenerator<Buffer> {
  let prefetched = first;
  for (const seg of segments) {
    if (isData(seg)) {
      yield seg.data.subarray(seg.first, seg.last + 1);
      continue;
    }
    const res: SwiftResponse = prefetched ?? (await fetchSegment(s, req, seg));
    prefetched = null;
    yield* segmentBytes(res, seg);
  }
}

/** What a response body is made of: one run of segments, or several framed as multipart/byteranges. */
type Plan =
  | { kind: 'single'; status: 200 | 206; parts: Segment[]; contentRange?: string; length: number }
  | { kind: 'multi'; ranges: ByteRange[] };

export interface SegmentedOptions {
  /** Several ranges in one request are answered as multipart/byteranges (SLO); otherwise the whole object is (DLO). */
  multiRange: boolean;
  /** Evaluate If-Match & co. against this ETag and the headers' Last-Modified (DLO; the object servers did it for an SLO). */
  conditionalEtag?: string;
}

/**
 * The response for a large object of `total` bytes made of `segments`, as swob's
 * conditional response over a SegmentedIterable: HEAD ignores Range; a Range that selects
 * nothing is a 416 (the object's headers, Content-Range: bytes *&#47;total); the first object
 * segment is fetched before answering, so a missing one is a 409, not a broken 200.
 */
export async function segmentedResponse(
  s: Services,
  req: SwiftRequest,
  headers: Record<string, string>,
  segments: Segment[],
  total: number,
  options: SegmentedOptions,
): Promise<SwiftResponse> {
  const out: Record<string, string> = { ...headers, 'accept-ranges': 'bytes', 'content-length': String(total) };
  delete out['content-range'];
  const unmet = () =>
    options.conditionalEtag === undefined ? undefined : conditionalStatus(req.headers, options.conditionalEtag, parseHttpDate(out['last-modified']));
  if (req.method === 'HEAD') {
    const status = unmet();
    return status ? { status, headers: { ...out, 'content-length': '0' }, body: null } : { status: 200, headers: out, body: null };
  }
  const plan = planBody(req.headers.range, segments, total, options.multiRange);
  if (plan === 'unsatisfiable') {
    const body = rangeNotSatisfiable().body;
    return {
      status: 416,
      headers: { ...out, 'content-range': `bytes */${total}`, 'content-length': String(Buffer.byteLength(body)) },
      body,
    };
  }
  const firstObject = (plan.kind === 'single' ? plan.parts : sliceSegments(segments, plan.ranges[0]!.first, plan.ranges[0]!.last)).find(
    (seg): seg is ObjectSegment => !isData(seg),
  );
  let first: SwiftResponse | null = null;
  try {
    if (firstObject) first = await fetchSegment(s, req, firstObject);
  } catch (err) {
    req.log.warn({ err: (err as Error).message }, 'large object: first segment unavailable');
    throw conflict();
  }
  const status = unmet();
  if (status) {
    if (first) drain(first);
    return { status, headers: { ...out, 'content-length': '0' }, body: null };
  }
  let body: Readable;
  if (plan.kind === 'single') {
    out['content-length'] = String(plan.length);
    if (plan.contentRange) out['content-range'] = plan.contentRange;
    body = Readable.from(concatenate(s, req, plan.parts, first));
  } else {
    const framing = multipartFraming(plan.ranges, total, out['content-type'] ?? 'application/octet-stream');
    out['content-type'] = framing.contentType;
    out['content-length'] = String(framing.contentLength);
    body = Readable.from(multipartBody(s, req, segments, plan.ranges, framing, first));
  }
  body.on('error', (err) => req.log.warn({ err: err.message }, 'large object: segment failed mid-stream'));
  return { status: plan.kind === 'single' ? plan.status : 206, headers: out, body };
}

function planBody(range: string | undefined, segments: Segment[], total: number, multiRange: boolean): Plan | 'unsatisfiable' {
  const whole: Plan = { kind: 'single', status: 200, parts: segments, length: total };
  const specs = parseRange(range);
  if (!specs) return whole;
  const ranges = rangesForLength(specs, total);
  if (ranges.length === 0) return 'unsatisfiable';
  // A suffix range of an empty object: swob answers the whole (empty) object.
  if (total === 0) return whole;
  if (ranges.length > 1) return multiRange ? { kind: 'multi', ranges } : whole;
  const only = ranges[0]!;
  return {
    kind: 'single',
    status: 206,
    parts: sliceSegments(segments, only.first, only.last),
    contentRange: contentRange(only, total),
    length: only.last - only.first + 1,
  };
}

async function* multipartBody(
  s: Services,
  req: SwiftRequest,
  segments: Segment[],
  ranges: ByteRange[],
  framing: ReturnType<typeof multipartFraming>,
  first: SwiftResponse | null,
): AsyncGenerator<Buffer> {
  let prefetched = first;
  for (const [i, range] of ranges.entries()) {
    yield framing.partHeads[i]!;
    yield* concatenate(s, req, sliceSegments(segments, range.first, range.last), prefetched);
    prefetched = null;
    yield framing.partTail;
  }
  yield framing.closing;
}

/**
 * GET/HEAD through the rest of the pipeline so that a manifest arrives whole: a client's
 * Range is about the large object, not about the manifest, so a manifest fetched with
 * one (206, or 416 past its own few bytes) is fetched again without it.
 */
export async function fetchManifestWhole(
  req: SwiftRequest,
  next: Handler,
  isManifest: (headers: Record<string, string>) => boolean,
): Promise<SwiftResponse> {
  const res = await next(req);
  if (req.headers.range === undefined || (res.status !== 206 && res.status !== 416) || !isManifest(res.headers)) return res;
  drain(res);
  const headers = { ...req.headers };
  delete headers.range;
  return next({ ...req, headers });
}
