// Listings of a container's objects or an account's containers, as Swift's brokers
// produce them (swift/container/backend.py list_objects_iter, swift/account/backend.py
// list_containers_iter): limit, marker, end_marker, prefix, delimiter of any length
// (rolled up into subdir entries), path (containers only) and reverse, over range scans
// of the live rows; answered as JSON or plain text (the proxy renders XML from the JSON).
import type { Timestamp } from '../common/timestamp.js';
import { isValidUtf8Text } from '../common/header-text.js';
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
  /** Containers only: list one pseudo-directory (Swift's path=); undefined when not given. */
  path?: string;
  reverse: boolean;
}

export type ListingEntry<Row> = { name: string; row: Row } | { subdir: string };

export type ListingFormat = 'application/json' | 'text/plain';

/** The order in which Swift's container and account servers read (and so validate) them. */
const READ_ORDER = {
  container: ['path', 'prefix', 'delimiter', 'marker', 'end_marker', 'limit', 'reverse'],
  account: ['prefix', 'delimiter', 'reverse', 'limit', 'marker', 'end_marker'],
} as const;

/**
 * The listing parameters, as Swift's servers read them: a value that is not UTF-8 is 400
 * (get_param), a limit that is not all digits is ignored and one above 10000 is 412; any
 * delimiter is accepted (Swift >= 2.23); path only for containers (the account server
 * has none).
 */
export function listingParams(query: Map<string, string>, kind: 'account' | 'container' = 'container'): ListingParams {
  const params: ListingParams = { limit: LISTING_LIMIT, marker: '', endMarker: '', prefix: '', delimiter: '', reverse: false };
  for (const name of READ_ORDER[kind]) {
    const value = query.get(name);
    if (value !== undefined && !isValidUtf8Text(value)) throw badRequest(`"${name}" parameter not valid UTF-8`);
    if (value === undefined) continue;
    if (name === 'limit') {
      if (!/^\d+$/.test(value)) continue;
      params.limit = Number(value);
      if (params.limit > LISTING_LIMIT) throw preconditionFailed(`Maximum limit is ${LISTING_LIMIT}`);
    } else if (name === 'reverse') params.reverse = isTrue(value);
    else if (name === 'path') params.path = value;
    else if (name === 'end_marker') params.endMarker = value;
    else params[name] = value;
  }
  return params;
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

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/**
 * One page of the live rows of the database whose keys start with `dbPrefix`, by Swift's
 * algorithm: bounds are exclusive (marker < name < end_marker; reversed, the two swap
 * roles); with a delimiter each run of names sharing "<prefix>…<delimiter>" becomes one
 * subdir entry (left out when it equals the marker) and the scan jumps past the run.
 * With path, prefix and delimiter become "<path>/" and "/", the path's own marker object
 * is skipped and deeper names are skipped without a subdir entry (Swift lists them only
 * through directory marker objects); the jump past them is exclusive, as in Swift.
 */
export async function listRows<Row>(store: KvStore, dbPrefix: Buffer, params: ListingParams): Promise<Array<ListingEntry<Row>>> {
  const { start, end } = liveRowRange(dbPrefix);
  const key = (nameBytes: Buffer) => Buffer.concat([start, nameBytes]);
  const { reverse, limit } = params;
  let { prefix, delimiter } = params;
  let path: string | undefined;
  if (params.path !== undefined) {
    prefix = params.path === '' ? '' : `${params.path.replace(/\/+$/, '')}/`;
    path = prefix;
    delimiter = '/';
  }
  // Bounds as UTF-8 bytes: their order is the rows' order (and code point order).
  let [marker, endMarker]: Buffer[] = [utf8(params.marker), utf8(params.endMarker)];
  if (reverse) [marker, endMarker] = [endMarker, marker];
  const origMarker = reverse ? params.endMarker : params.marker;
  const prefixBytes = utf8(prefix);
  const endPrefix = prefix === '' ? undefined : increment(prefixBytes);
  let forceGte = false;

  const results: Array<ListingEntry<Row>> = [];
  while (results.length < limit) {
    let upper = end;
    if (endMarker.length > 0 && (endPrefix === undefined || Buffer.compare(endMarker, endPrefix) < 0)) upper = key(endMarker);
    else if (endPrefix !== undefined) upper = key(endPrefix);
    let lower: { gt: Buffer } | { gte: Buffer } = { gte: start };
    if (forceGte) lower = { gte: key(marker) };
    else if (marker.length > 0 && Buffer.compare(marker, prefixBytes) >= 0) lower = { gt: key(marker) };
    else if (prefix !== '') lower = { gte: key(prefixBytes) };
    forceGte = false;

    const wanted = limit - results.length;
    const iterator = store.iterator({ ...lower, lt: upper, reverse, limit: wanted });
    let rows = 0;
    let jumped = false;
    try {
      for await (const [k, value] of iterator) {
        rows++;
        const name = k.subarray(start.length).toString('utf8');
        if (!delimiter) {
          results.push({ name, row: value as Row });
          continue;
        }
        if (reverse) endMarker = utf8(name);
        else marker = utf8(name);
        const cut = name.indexOf(delimiter, prefix.length);
        if (path !== undefined) {
          if (name === path) continue;
          if (cut < 0 || name.length <= cut + delimiter.length) {
            results.push({ name, row: value as Row });
            continue;
          }
        } else if (cut < 0) {
          results.push({ name, row: value as Row });
          continue;
        }
        // Past everything under name[0, cut + delimiter): up to it when reversed, else from
        // the smallest name above it (the delimiter's last byte plus one).
        const dir = name.slice(0, cut + delimiter.length);
        if (reverse) endMarker = utf8(dir);
        else {
          marker = increment(utf8(dir));
          forceGte = path === undefined;
        }
        if (path === undefined && dir !== origMarker) results.push({ subdir: dir });
        jumped = true;
        break;
      }
    } finally {
      await iterator.close();
    }
    // A scan that ended without a jump and short of what it asked for has seen every row.
    if (!delimiter || rows === 0 || (!jumped && rows < wanted)) break;
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
