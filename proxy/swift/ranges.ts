// HTTP byte ranges as Swift's swob reads them (swob.Range): the Range header of a GET
// and the "range" of an SLO segment. A syntactically broken Range header is ignored (the
// whole object is served); a well-formed one that selects nothing, or one that asks for
// too many / too overlapping / too scattered ranges (RFC 7233 §6.1), is a 416. Several
// satisfiable ranges are answered as multipart/byteranges, framed as swob frames them.
import { randomBytes } from 'node:crypto';

/** Inclusive byte offsets. */
export interface ByteRange {
  first: number;
  last: number;
}

/** One byte-range-spec as written: either side may be open ("5-", "-5"). */
type RangeSpec = readonly [start: number | null, end: number | null];

const MAX_RANGES = 50;
const MAX_RANGE_OVERLAPS = 2;
const MAX_NONASCENDING_RANGES = 8;

/** The specs of a Range header value, or null when it is absent or malformed (swob then ignores it). */
export function parseRange(header: string | undefined): RangeSpec[] | null {
  if (!header) return null;
  const value = header.replaceAll(' ', '');
  if (!value.toLowerCase().startsWith('bytes=')) return null;
  const specs: RangeSpec[] = [];
  for (const spec of value.slice('bytes='.length).split(',')) {
    const dash = spec.indexOf('-');
    if (dash < 0) return null;
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if ((first !== '' && !/^\d+$/.test(first)) || (last !== '' && !/^\d+$/.test(last))) return null;
    const start = first === '' ? null : Number(first);
    const end = last === '' ? null : Number(last);
    if (start === null && end === null) return null;
    if (start !== null && end !== null && end < start) return null;
    specs.push([start, end]);
  }
  return specs;
}

/** swob's ranges_for_length: the ranges to serve of `length` bytes; [] means 416. */
export function rangesForLength(specs: readonly RangeSpec[], length: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (const [start, end] of specs) {
    if (start === null) {
      if (end === 0) continue; // "bytes=-0" selects nothing
      ranges.push({ first: end! > length ? 0 : length - end!, last: length - 1 });
    } else if (start < length) {
      ranges.push({ first: start, last: end === null || end >= length ? length - 1 : end });
    }
  }
  if (ranges.length > MAX_RANGES) return [];
  let overlaps = 0;
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (overlap(ranges[i]!, ranges[j]!) && ++overlaps > MAX_RANGE_OVERLAPS) return [];
    }
  }
  const ascending = ranges.every((r, i) => i === 0 || ranges[i - 1]!.first <= r.first);
  if (!ascending && ranges.length >= MAX_NONASCENDING_RANGES) return [];
  return ranges;
}

/** swob's overlap test, on half-open [first, last + 1) ranges. */
function overlap(a: ByteRange, b: ByteRange): boolean {
  const [s1, e1, s2, e2] = [a.first, a.last + 1, b.first, b.last + 1];
  return (s1 < s2 && s2 < e1) || (s1 < e2 && e2 < e1) || (s2 < s1 && s1 < e2) || (s2 < e1 && e1 < e2);
}

/**
 * An SLO segment's "range" as given in a manifest PUT ("0-99", "5-", "-5"): its specs,
 * or null when it is not a valid Range value.
 */
export function parseSegmentRange(range: string): RangeSpec[] | null {
  return parseRange(`bytes=${range}`);
}

export const contentRange = (r: ByteRange, length: number) => `bytes ${r.first}-${r.last}/${length}`;

/** The framing of a multipart/byteranges body (swob's multi_range_iterator). */
export interface MultipartFraming {
  contentType: string;
  contentLength: number;
  /** What goes before each range's bytes: the boundary and the part's headers. */
  partHead: (index: number) => Buffer;
  /** "\r\n" after each part's bytes. */
  partTail: Buffer;
  /** The closing boundary. */
  closing: Buffer;
}

export function multipartFraming(ranges: readonly ByteRange[], length: number, bodyType: string): MultipartFraming {
  const boundary = randomBytes(16).toString('hex');
  const heads = ranges.map((r) =>
    Buffer.from(`--${boundary}\r\nContent-Type: ${bodyType}\r\nContent-Range: ${contentRange(r, length)}\r\n\r\n`, 'utf8'),
  );
  const partTail = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--`);
  const contentLength =
    heads.reduce((n, h) => n + h.length, 0) + ranges.reduce((n, r) => n + r.last - r.first + 1 + partTail.length, 0) + closing.length;
  return {
    contentType: `multipart/byteranges;boundary=${boundary}`,
    contentLength,
    partHead: (i) => heads[i]!,
    partTail,
    closing,
  };
}
