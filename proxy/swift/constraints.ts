// Swift's request constraints (swift/common/constraints.py): metadata limits, object
// sizes, expiry headers and listing parameters, each failing with Swift's status and a
// message naming what is wrong.
import { isTrue } from '../../common/http.js';
import type { ProxySettings } from '../config.js';
import {
  badRequest,
  entityTooLarge,
  lengthRequired,
  notImplemented,
  preconditionFailed,
} from '../errors.js';

export type Limits = Pick<
  ProxySettings,
  | 'max_file_size'
  | 'max_meta_name_length'
  | 'max_meta_value_length'
  | 'max_meta_count'
  | 'max_meta_overall_size'
  | 'max_header_size'
  | 'container_listing_limit'
  | 'account_listing_limit'
>;

export type MetaKind = 'account' | 'container' | 'object';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header values arrive as latin1 strings holding the raw bytes. */
function isUtf8(latin1: string): boolean {
  try {
    utf8.decode(Buffer.from(latin1, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/** Swift's check_metadata: header sizes, then the X-<kind>-Meta-* names, values, count and total. */
export function checkMetadata(headers: Record<string, string>, kind: MetaKind, limits: Limits): void {
  const prefix = `x-${kind}-meta-`;
  let count = 0;
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value.length > limits.max_header_size) {
      throw badRequest(`Header value too long: ${name.slice(0, limits.max_meta_name_length)}`);
    }
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    if (!key) throw badRequest('Metadata name cannot be empty');
    if (kind !== 'object' && (!isUtf8(key) || !isUtf8(value))) throw badRequest('Metadata must be valid UTF-8');
    count++;
    size += key.length + value.length;
    if (key.length > limits.max_meta_name_length) throw badRequest(`Metadata name too long: ${prefix}${key}`);
    if (value.length > limits.max_meta_value_length) {
      throw badRequest(`Metadata value longer than ${limits.max_meta_value_length}: ${prefix}${key}`);
    }
    if (count > limits.max_meta_count) throw badRequest(`Too many metadata items; max ${limits.max_meta_count}`);
    if (size > limits.max_meta_overall_size) {
      throw badRequest(`Total metadata too large; max ${limits.max_meta_overall_size}`);
    }
  }
}

/**
 * The length of an object PUT's body: its Content-Length, or undefined for a chunked
 * upload. 411 without either, 413 over max_file_size, 501 for other transfer codings.
 */
export function checkUploadLength(headers: Record<string, string>, limits: Limits): number | undefined {
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    if (te.trim().toLowerCase() !== 'chunked') throw notImplemented(`Transfer-Encoding ${te} is not supported.`);
    return undefined;
  }
  const cl = headers['content-length'];
  if (cl === undefined) throw lengthRequired();
  const length = Number(cl);
  if (!Number.isSafeInteger(length) || length < 0) throw badRequest(`Invalid Content-Length: ${cl}`);
  if (length > limits.max_file_size) throw entityTooLarge('Your request is too large.');
  return length;
}

/**
 * Swift's check_delete_headers: X-Delete-After (seconds from now) becomes X-Delete-At;
 * non-integers and moments not in the future are refused. Returns the X-Delete-At to
 * store (ten digits), or undefined when the request sets none.
 */
export function deleteAtFrom(headers: Record<string, string>, nowS: number): string | undefined {
  let deleteAt: number | undefined;
  const after = headers['x-delete-after'];
  if (after !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(after)) throw badRequest('Non-integer X-Delete-After');
    deleteAt = Math.floor(nowS + Number(after));
    if (deleteAt <= nowS) throw badRequest('X-Delete-After in past');
  } else if (headers['x-delete-at'] !== undefined) {
    const at = headers['x-delete-at'];
    if (!/^\s*-?\d+\s*$/.test(at)) throw badRequest('Non-integer X-Delete-At');
    deleteAt = Number(at);
    if (deleteAt <= nowS) throw badRequest('X-Delete-At in past');
  }
  if (deleteAt === undefined) return undefined;
  return String(Math.min(deleteAt, 9_999_999_999)).padStart(10, '0');
}

export interface ListingParams {
  limit: number;
  marker?: string;
  end_marker?: string;
  prefix?: string;
  delimiter?: string;
  reverse: boolean;
}

/** The listing parameters of an account or container GET: limit over the maximum → 412. */
export function listingParams(query: Map<string, string>, maxLimit: number): ListingParams {
  let limit = maxLimit;
  const given = query.get('limit');
  if (given !== undefined && /^\d+$/.test(given)) {
    limit = Number(given);
    if (limit > maxLimit) throw preconditionFailed(`Maximum limit is ${maxLimit}`);
  }
  const delimiter = query.get('delimiter');
  if (delimiter && (delimiter.length > 1 || delimiter.charCodeAt(0) > 254)) throw preconditionFailed('Bad delimiter');
  const params: ListingParams = { limit, reverse: isTrue(query.get('reverse')) };
  for (const key of ['marker', 'end_marker', 'prefix'] as const) {
    const value = query.get(key);
    if (value) params[key] = value;
  }
  if (delimiter) params.delimiter = delimiter;
  return params;
}

/** The query string a storage node gets for a listing: always JSON, always explicit. */
export function backendListingQuery(params: ListingParams): string {
  const q = new URLSearchParams({ format: 'json', limit: String(params.limit) });
  if (params.marker) q.set('marker', params.marker);
  if (params.end_marker) q.set('end_marker', params.end_marker);
  if (params.prefix) q.set('prefix', params.prefix);
  if (params.delimiter) q.set('delimiter', params.delimiter);
  if (params.reverse) q.set('reverse', 'true');
  return q.toString();
}
