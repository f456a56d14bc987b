// HTTP byte ranges (RFC 9110 §14): the Range header of a GET, and the "range" of an SLO
// segment. A syntactically broken Range header is ignored (the whole object is served,
// as Swift does); a well-formed one that selects nothing is a 416.

/** Inclusive byte offsets. */
export interface ByteRange {
  first: number;
  last: number;
}

export type RangeSelection =
  | { kind: 'whole' }
  | { kind: 'unsatisfiable' }
  | { kind: 'ranges'; ranges: ByteRange[] };

const SPEC_RE = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/** One "a-b", "a-" or "-n" spec against a length: a range, 'unsatisfiable', or null when malformed. */
export function parseRangeSpec(spec: string, length: number): ByteRange | 'unsatisfiable' | null {
  const m = SPEC_RE.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { first: Math.max(0, length - suffix), last: length - 1 };
  }
  const first = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < first) return null;
  if (first >= length) return 'unsatisfiable';
  return { first, last: m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1) };
}

export function parseRangeHeader(header: string | undefined, length: number): RangeSelection {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return { kind: 'whole' };
  const ranges: ByteRange[] = [];
  for (const spec of m[1]!.split(',')) {
    const parsed = parseRangeSpec(spec, length);
    if (parsed === null) return { kind: 'whole' };
    if (parsed !== 'unsatisfiable') ranges.push(parsed);
  }
  return ranges.length === 0 ? { kind: 'unsatisfiable' } : { kind: 'ranges', ranges };
}
