// Decoding a raw request target the way Swift's WSGI stack does: the path is
// percent-decoded to bytes that must be UTF-8 without NUL (else 412, as Swift), query
// parameters are decoded as swob's Request.params does (dict(parse_qsl(…)): the last
// value of a repeated key wins) and, as in Swift, refused only by the code that reads
// them (see parseQuery).
import { textFromWire } from './header-text.js';

/** A request line Swift would refuse; `status` is 400 (malformed) or 412 (bad UTF-8/NUL). */
export class RequestTargetError extends Error {
  readonly code = 'ERR_REQUEST_TARGET';
  constructor(
    readonly status: 400 | 412,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes %XX escapes (and "+" when `plusIsSpace`) to bytes; null for a broken escape,
 * unless `keepBroken`, which leaves it as it stands (Python's unquote).
 */
export function percentDecode(raw: string, plusIsSpace: boolean, keepBroken = false): Buffer | null {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) {
        if (!keepBroken) return null;
        out[n++] = c;
        continue;
      }
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      // Node hands the raw request target over as latin1: one char per byte.
      out[n++] = c === 0x2b /* + */ && plusIsSpace ? 0x20 : c & 0xff;
    }
  }
  return out.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The bytes as text, or null when they are not valid UTF-8 or hold a NUL. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    const text = utf8.decode(bytes);
    return text.includes('\0') ? null : text;
  } catch {
    return null;
  }
}

/** Splits a raw request target ("/path?query") at the first "?". */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

/** The decoded path; 400 for a broken escape, 412 for invalid UTF-8 or NUL. */
export function decodePath(rawPath: string): string {
  const bytes = percentDecode(rawPath, false);
  if (bytes === null) throw new RequestTargetError(400, 'Invalid percent-encoding in the path');
  const text = utf8Text(bytes);
  if (text === null) throw new RequestTargetError(412, 'Invalid UTF8 or contains NULL');
  return text;
}

/**
 * Query parameters; a parameter given without "=" has the value "". Nothing here is
 * refused, as in Swift: a broken %-escape stays as it stands, bytes that are not UTF-8
 * are kept as escaped bytes (common/header-text.ts) and NUL is a character, so that the
 * code reading a parameter answers for it (Swift's get_param: 400 '"<name>" parameter
 * not valid UTF-8') and parameters nobody reads do no harm.
 */
export function parseQuery(rawQuery: string): Map<string, string> {
  const query = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeParam(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeParam(pair.slice(eq + 1));
    query.set(key, value);
  }
  return query;
}

const decodeParam = (raw: string): string => textFromWire(percentDecode(raw, true, true)!.toString('latin1'));

/** Swift's config_true_value: "true", "1", "yes", "on", "t", "y" (any case). */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['true', '1', 'yes', 'on', 't', 'y'].includes(value.trim().toLowerCase());
}

/** "x-object-meta-color" → "X-Object-Meta-Color", as Python's str.title() on ASCII. */
export function titleCaseHeader(name: string): string {
  return name.replace(/[a-zA-Z]+/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase());
}

/** An HTTP-date (RFC 9110 IMF-fixdate) for whole seconds since the epoch. */
export function httpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/** Seconds since the epoch of an HTTP-date, or undefined when it does not parse. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** Whether a request announces a body: chunked, or a Content-Length other than 0. */
export function announcesBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
