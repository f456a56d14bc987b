// Swift's request constraints (swift/common/constraints.py): metadata limits, object
// sizes, expiry headers and listing parameters, each failing with Swift's status and a
// message naming what is wrong.
import { isTrue } from '../../common/http.js';
import type { ProxySettings } from '../config.js';
import { wireFromText, isValidUtf8Text } from '../../common/header-text.js';
import { lengthRequired, plainError, preconditionFailed } from '../errors.js';

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

const bytes = (text: string) => Buffer.byteLength(wireFromText(text), 'latin1');

/**
 * Swift's check_metadata: header sizes, then the X-<kind>-Meta-* names, values, count and
 * total, all measured in bytes as sent (values are text here: common/header-text.ts).
 */
export function checkMetadata(headers: Record<string, string>, kind: MetaKind, limits: Limits): void {
  const prefix = `x-${kind}-meta-`;
  let count = 0;
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (bytes(value) > limits.max_header_size) {
      throw plainError(400, `Header value too long: ${name.slice(0, limits.max_meta_name_length)}`);
    }
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    if (!key) throw plainError(400, 'Metadata name cannot be empty');
    if (kind !== 'object' && (!isValidUtf8Text(key) || !isValidUtf8Text(value) || value.includes('\0'))) {
      throw plainError(400, 'Metadata must be valid UTF-8');
    }
    count++;
    size += bytes(key) + bytes(value);
    if (bytes(key) > limits.max_meta_name_length) throw plainError(400, `Metadata name too long: ${prefix}${key}`);
    if (bytes(value) > limits.max_meta_value_length) {
      throw plainError(400, `Metadata value longer than ${limits.max_meta_value_length}: ${prefix}${key}`);
    }
    if (count > limits.max_meta_count) throw plainError(400, `Too many metadata items; max ${limits.max_meta_count}`);
    if (size > limits.max_meta_overall_size) {
      throw plainError(400, `Total metadata too large; max ${limits.max_meta_overall_size}`);
    }
  }
}

/**
 * Swift's check_object_creation, the length part: the body's Content-Length, or undefined
 * for a chunked upload. 411 without either, 413 over max_file_size, and for other
 * transfer codings Swift's 400 (one coding that is not chunked) or 501 (a list).
 */
export function checkUploadLength(headers: Record<string, string>, limits: Limits): number | undefined {
  const te = headers['transfer-encoding'];
  if (te !== undefined && te !== '') {
    const codings = te.split(',');
    if (codings.length > 1) throw plainError(501, 'Unsupported Transfer-Coding header value specified in Transfer-Encoding header');
    if (te.trim().toLowerCase() !== 'chunked') throw plainError(400, 'Invalid Transfer-Encoding header value');
    return undefined;
  }
  const cl = headers['content-length'];
  if (cl === undefined) throw lengthRequired();
  const length = Number(cl);
  if (!/^\s*\d+\s*$/.test(cl) || !Number.isSafeInteger(length)) throw plainError(400, 'Invalid Content-Length');
  if (length > limits.max_file_size) throw plainError(413, 'Your request is too large.');
  return length;
}

/** Swift's check_object_creation: an object's Content-Type must be UTF-8 without NUL. */
export function checkContentType(contentType: string): void {
  if (!isValidUtf8Text(contentType) || contentType.includes('\0')) throw plainError(400, 'Invalid Content-Type');
}

/** A header Swift reads with Python's int(): optional sign, digits, "_" between digits, spaces around. */
function pythonInt(value: string): number | null {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return null;
  return Number(value.replace(/_/g, ''));
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
    const seconds = pythonInt(after);
    if (seconds === null) throw plainError(400, 'Non-integer X-Delete-After');
    deleteAt = Math.floor(nowS + seconds);
    if (deleteAt <= nowS) throw plainError(400, 'X-Delete-After in past');
  } else if (headers['x-delete-at'] !== undefined) {
    const at = pythonInt(headers['x-delete-at']);
    if (at === null) throw plainError(400, 'Non-integer X-Delete-At');
    deleteAt = at;
    if (deleteAt <= nowS) throw plainError(400, 'X-Delete-At in past');
  }
  if (deleteAt === undefined) return undefined;
  return String(Math.min(deleteAt, 9_999_999_999)).padStart(10, '0');
}

export interface ListingParams {
  limit: number;
  marker?: string;
  end_marker?: string;
  prefix?: string;
  /** Any string (Swift >= 2.23 takes delimiters of several characters). */
  delimiter?: string;
  /** Containers only: the pseudo-directory to list; "" (given empty) is the top level. */
  path?: string;
  reverse: boolean;
}

/**
 * The order in which Swift's servers read (and so validate) the listing parameters:
 * swift/container/server.py and swift/account/server.py GET, get_param one by one, the
 * limit (constrain_req_limit) in its place among them.
 */
const READ_ORDER = {
  container: ['path', 'prefix', 'delimiter', 'marker', 'end_marker', 'limit', 'reverse'],
  account: ['prefix', 'delimiter', 'reverse', 'limit', 'marker', 'end_marker'],
} as const;

/**
 * Swift's get_param: a value whose bytes are not UTF-8 (kept as escaped bytes by the
 * query decoding) is a 400 naming the parameter.
 */
export function queryParam(query: Map<string, string>, name: string): string | undefined {
  const value = query.get(name);
  if (value && !isValidUtf8Text(value)) throw plainError(400, `"${name}" parameter not valid UTF-8`);
  return value;
}

/**
 * The listing parameters of an account or container GET, read as Swift's servers read
 * them: a value that is not UTF-8 is 400; a limit that is not all digits is ignored, one
 * over the maximum is 412 "Maximum limit is N"; empty marker, end_marker, prefix and
 * delimiter are as good as absent; path counts even when empty, and only for containers
 * (the account server has no path).
 */
export function listingParams(query: Map<string, string>, maxLimit: number, kind: 'account' | 'container'): ListingParams {
  const params: ListingParams = { limit: maxLimit, reverse: false };
  for (const name of READ_ORDER[kind]) {
    if (name === 'limit') {
      const given = queryParam(query, 'limit');
      if (given !== undefined && /^\d+$/.test(given)) {
        params.limit = Number(given);
        if (params.limit > maxLimit) throw preconditionFailed(`Maximum limit is ${maxLimit}`);
      }
      continue;
    }
    const value = queryParam(query, name);
    if (name === 'reverse') params.reverse = isTrue(value);
    else if (name === 'path') {
      if (value !== undefined) params.path = value;
    } else if (value) params[name] = value;
  }
  return params;
}

/** The query string a storage node gets for a listing: always JSON, always explicit. */
export function backendListingQuery(params: ListingParams): string {
  const q = new URLSearchParams({ format: 'json', limit: String(params.limit) });
  for (const key of ['marker', 'end_marker', 'prefix', 'delimiter', 'path'] as const) {
    const value = params[key];
    if (value !== undefined) q.set(key, value);
  }
  if (params.reverse) q.set('reverse', 'true');
  return q.toString();
}
