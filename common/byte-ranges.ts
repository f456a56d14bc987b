// HTTP byte ranges as Swift's swob reads and frames them (swob.Range, ranges_for_length,
// multi_range_iterator), for the object servers and the proxy's large objects alike: a
// malformed Range header is ignored, unsatisfiable or egregious ranges (too many, too
// overlapping, too scattered: RFC 7233 §6.1) give 416, one range a 206 with
// Content-Range, several a multipart/byteranges body.
import { randomBytes } from 'node:crypto';

/** A requested byte-range-spec: [first, last] inclusive, either side may be open. */
export type RangeSpec = readonly [start: number | null, end: number | null];

/** Half-open byte range [start, end) of the body. */
export interface ByteRange {
  start: number;
  end: number;
}

const MAX_RANGES = 50;
const MAX_RANGE_OVERLAPS = 2;
const MAX_NONASCENDING_RANGES = 8;

/** The specs of a Range header, or null when it is absent or malformed (then ignored). */
export function parseRange(header: string | undefined): RangeSpec[] | null {
  if (!header) return null;
  const value = header.replaceAll(' ', '');
  if (!value.toLowerCase().startsWith('bytes=')) return null;
  const specs: RangeSpec[] = [];
  for (const spec of value.slice(6).split(',')) {
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

/** The ranges to serve of a body of `length` bytes; [] means 416 (swob's ranges_for_length). */
export function rangesForLength(specs: readonly RangeSpec[], length: number): ByteRange[] {
  const ranges: ByteRange[] = [];
  for (const [start, end] of specs) {
    if (start === null) {
      if (end === 0) continue; // "bytes=-0"
      ranges.push({ start: end! > length ? 0 : length - end!, end: length });
    } else if (start < length) {
      ranges.push({ start, end: end === null ? length : Math.min(end + 1, length) });
    }
  }
  if (ranges.length > MAX_RANGES) return [];
  let overlaps = 0;
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      const overlap =
        (a.start < b.start && b.start < a.end) ||
        (a.start < b.end && b.end < a.end) ||
        (b.start < a.start && a.start < b.end) ||
        (b.start < a.end && a.end < b.end);
      if (overlap && ++overlaps > MAX_RANGE_OVERLAPS) return [];
    }
  }
  const ascending = ranges.every((r, i) => i === 0 || !isAfter(ranges[i - 1]!, r));
  if (!ascending && ranges.length >= MAX_NONASCENDING_RANGES) return [];
  return ranges;
}

const isAfter = (a: ByteRange, b: ByteRange) => a.start > b.start || (a.start === b.start && a.end > b.end);

export const contentRange = (r: ByteRange, length: number) => `bytes ${r.start}-${r.end - 1}/${length}`;

export interface MultipartLayout {
  contentType: string;
  contentLength: number;
  /** The bytes before each range's data (delimiter and part headers). */
  partHeads: Buffer[];
  /** "\r\n" after each part's data, then the closing delimiter. */
  partTail: Buffer;
  closing: Buffer;
}

/** Swift's multipart/byteranges framing for `ranges` of a body whose Content-Type is `bodyType` (as sent). */
export function multipartLayout(ranges: readonly ByteRange[], length: number, bodyType: Buffer, boundary = randomBytes(16).toString('hex')): MultipartLayout {
  const partHeads = ranges.map((r) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: `, 'latin1'),
      bodyType,
      Buffer.from(`\r\nContent-Range: ${contentRange(r, length)}\r\n\r\n`, 'latin1'),
    ]),
  );
  const partTail = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--`);
  const contentLength =
    partHeads.reduce((n, h) => n + h.length, 0) +
    ranges.reduce((n, r) => n + (r.end - r.start) + partTail.length, 0) +
    closing.length;
  return { contentType: `multipart/byteranges;boundary=${boundary}`, contentLength, partHeads, partTail, closing };
}
