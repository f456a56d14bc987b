// Listings of a container's objects or an account's containers, as Swift's brokers
// produce them: limit, marker, end_marker, prefix, delimiter (rolled up into subdir
// entries) and reverse, over one range scan of the live rows; answered as JSON or plain
// text (the proxy renders XML from the JSON).
import type { Timestamp } from '../common/timestamp.js';
import { isTrue } from '../common/http.js';
import type { KvStore } from './devices.js';
import { badRequest, notAcceptable, preconditionFailed } from './errors.js';
import type { BackendResponse } from './http.js';
import { liveRowRange } from './db/keys.js';

export const LISTING_LIMIT = 10_000;

export interface ListingParams {
  limit: number;
  marker: string;
  endMarker: string;
  prefix: string;
  delimiter: string;
  reverse: boolean;
}

export type ListingEntry<Row> = { name: string; row: Row } | { subdir: string };

export type ListingFormat = 'application/json' | 'text/plain';

/** The listing parameters; 412 for limit > 10000 or a bad delimiter, as Swift. */
export function listingParams(query: Map<string, string>): ListingParams {
  let limit = LISTING_LIMIT;
  const given = query.get('limit');
  if (given !== undefined && /^\d+$/.test(given)) {
    limit = Number(given);
    if (limit > LISTING_LIMIT) throw preconditionFailed(`Maximum limit is ${LISTING_LIMIT}`);
  }
  const delimiter = query.get('delimiter') ?? '';
  if (delimiter.length > 1 || (delimiter !== '' && delimiter.charCodeAt(0) > 254)) throw preconditionFailed('Bad delimiter');
  return {
    limit,
    marker: query.get('marker') ?? '',
    endMarker: query.get('end_marker') ?? '',
    prefix: query.get('prefix') ?? '',
    delimiter,
    reverse: isTrue(query.get('reverse')),
  };
}

const FORMATS: Record<string, string> = { json: 'application/json', plain: 'text/plain', xml: 'application/xml' };
const OFFERED: ListingFormat[] = ['text/plain', 'application/json'];
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_RANGE = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})\\s*((?:;[^;]*)*)$`);

/** The answer's type from ?format= or Accept (Swift's best_match); 406 for XML or nothing acceptable. */
export function listingFormat(query: Map<string, string>, headers: Record<string, string>): ListingFormat {
  const format = query.get('format');
  const accept = format ? (FORMATS[format.toLowerCase()] ?? 'text/plain') : headers.accept;
  if (!accept?.trim()) return OFFERED[0]!;
  const ranges = accept.split(',').map((item) => {
    const m = MEDIA_RANGE.exec(item);
    if (!m) throw badRequest('Invalid Accept header');
    const [, type = '', subtype = '', params = ''] = m;
    const q = /(?:^|;)\s*q\s*=\s*([^;\s]*)/.exec(params)?.[1];
    const quality = q === undefined ? 1 : Number(q);
    if (Number.isNaN(quality)) throw badRequest('Invalid Accept header');
    return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), quality, exact: type !== '*' && subtype !== '*' };
  });
  ranges.sort((a, b) => b.quality - a.quality || Number(b.exact) - Number(a.exact));
  for (const { type, subtype } of ranges) {
    const match = OFFERED.find((offer) => {
      const [t, s] = offer.split('/');
      return (type === '*' || type === t) && (subtype === '*' || subtype === s);
    });
    if (match) return match;
  }
  throw notAcceptable();
}

/** One page of the live rows of the database whose keys start with `dbPrefix`. */
export async function listRows<Row>(store: KvStore, dbPrefix: Buffer, params: ListingParams): Promise<Array<ListingEntry<Row>>> {
  const { start, end } = liveRowRange(dbPrefix);
  const key = (name: string) => Buffer.concat([start, Buffer.from(name, 'utf8')]);
  const { prefix, delimiter, reverse, limit } = params;
  const [marker, endMarker] = reverse ? [params.endMarker, params.marker] : [params.marker, params.endMarker];
  const prefixBytes = Buffer.from(prefix, 'utf8');
  const endPrefix = prefix === '' ? undefined : increment(prefixBytes);

  let lower: { gt: Buffer } | { gte: Buffer } = { gte: start };
  if (marker !== '' && Buffer.compare(Buffer.from(marker, 'utf8'), prefixBytes) >= 0) lower = { gt: key(marker) };
  else if (prefix !== '') lower = { gte: key(prefix) };
  let upper: Buffer = end;
  if (endMarker !== '' && (endPrefix === undefined || Buffer.compare(Buffer.from(endMarker, 'utf8'), endPrefix) < 0)) upper = key(endMarker);
  else if (endPrefix !== undefined) upper = Buffer.concat([start, endPrefix]);

  const results: Array<ListingEntry<Row>> = [];
  while (results.length < limit) {
    const iterator = store.iterator({ ...lower, lt: upper, reverse, limit: delimiter ? -1 : limit - results.length });
    let skippedTo = false;
    try {
      for await (const [k, value] of iterator) {
        const name = k.subarray(start.length).toString('utf8');
        const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
        if (cut >= 0) {
          // Roll everything under this "directory" into one subdir entry, then skip past it.
          const subdir = name.slice(0, cut + delimiter.length);
          if (subdir !== marker) results.push({ subdir });
          if (reverse) upper = key(subdir);
          else lower = { gte: key(name.slice(0, cut) + String.fromCharCode(delimiter.charCodeAt(0) + 1)) };
          skippedTo = true;
          break;
        }
        results.push({ name, row: value as Row });
        if (results.length >= limit) break;
      }
    } finally {
      await iterator.close();
    }
    if (!skippedTo) break;
  }
  return results;
}

/** The smallest byte string greater than every string starting with `bytes` (UTF-8 has no 0xFF). */
function increment(bytes: Buffer): Buffer {
  const next = Buffer.from(bytes);
  next[next.length - 1]! += 1;
  return next;
}

/** A listing answer: JSON (200, "[]" when empty) or plain names (204 when empty), as Swift. */
export function listingResponse<Row>(
  format: ListingFormat,
  entries: Array<ListingEntry<Row>>,
  toJson: (name: string, row: Row) => object,
  headers: Record<string, string | number>,
): BackendResponse {
  const contentType = `${format}; charset=utf-8`;
  if (format === 'application/json') {
    const body = JSON.stringify(entries.map((e) => ('subdir' in e ? { subdir: e.subdir } : toJson(e.name, e.row))));
    return { status: 200, headers: { ...headers, 'Content-Type': contentType }, body };
  }
  if (entries.length === 0) return { status: 204, headers: { ...headers, 'Content-Type': contentType } };
  const body = `${entries.map((e) => ('subdir' in e ? e.subdir : e.name)).join('\n')}\n`;
  return { status: 200, headers: { ...headers, 'Content-Type': contentType }, body };
}

/** Swift's Timestamp.isoformat: "2024-01-01T00:00:00.000000" (UTC, microseconds). */
export function isoformat(ts: Timestamp): string {
  const whole = Math.floor(ts.ticks / 100_000);
  const micros = (ts.ticks % 100_000) * 10;
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}`;
}
