// Byte ranges for the large-object layers: the Range header of a GET and the "range" of
// an SLO segment, read and framed by common/byte-ranges.ts (swob's rules, shared with the
// object servers), as the inclusive ranges segments are sliced with.
import {
  contentRange as halfOpenContentRange,
  multipartLayout,
  parseRange,
  rangesForLength as serveRanges,
  type ByteRange as HalfOpenRange,
  type MultipartLayout,
  type RangeSpec,
} from '../../common/byte-ranges.js';

/** Inclusive byte offsets. */
export interface ByteRange {
  first: number;
  last: number;
}

/** An inclusive range as the large-object layers slice segments, from common/byte-ranges.ts's half-open one. */
const inclusive = (r: HalfOpenRange): ByteRange => ({ first: r.start, last: r.end - 1 });
const halfOpen = (r: ByteRange): HalfOpenRange => ({ start: r.first, end: r.last + 1 });

export { parseRange };

/** swob's ranges_for_length: the ranges to serve of `length` bytes; [] means 416. */
export const rangesForLength = (specs: readonly RangeSpec[], length: number): ByteRange[] => serveRanges(specs, length).map(inclusive);

/**
 * An SLO segment's "range" as given in a manifest PUT ("0-99", "5-", "-5"): its specs,
 * or null when it is not a valid Range value.
 */
export function parseSegmentRange(range: string): RangeSpec[] | null {
  return parseRange(`bytes=${range}`);
}

export const contentRange = (r: ByteRange, length: number) => halfOpenContentRange(halfOpen(r), length);

/** The framing of a multipart/byteranges body (swob's multi_range_iterator); `bodyType` is text. */
export function multipartFraming(ranges: readonly ByteRange[], length: number, bodyType: string): MultipartLayout {
  return multipartLayout(ranges.map(halfOpen), length, Buffer.from(bodyType, 'utf8'));
}
