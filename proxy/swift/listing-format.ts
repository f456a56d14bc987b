// Account and container listings in the formats of the Swift API, byte for byte as Swift
// 2.30's listing_formats middleware and its servers render them: plain text (one name per
// line), JSON (Python's json.dumps) and XML (Python's ElementTree), chosen by ?format= or
// the Accept header (swob's best_match). Storage nodes always answer in JSON; this module
// turns that into what the client asked for.
import { SwiftError, notAcceptable } from '../errors.js';
import { queryParam } from './constraints.js';

/** The media types a listing can be served as, in Swift's order of preference. */
export type ListingFormat = 'text/plain' | 'application/json' | 'application/xml' | 'text/xml';
const OFFERS: readonly ListingFormat[] = ['text/plain', 'application/json', 'application/xml', 'text/xml'];
const FORMAT_PARAM: Readonly<Record<string, ListingFormat>> = { plain: 'text/plain', json: 'application/json', xml: 'application/xml' };

/** A storage node's JSON page of up to 10000 rows with names up to 1 KiB fits well within this. */
export const MAX_LISTING_BODY_BYTES = 64 * 1024 * 1024;

// swob.Accept's grammar (RFC 2616 section 2.2).
const TOKEN = '[^()<>@,;:\\\\"/\\[\\]?={}\\x00-\\x20\\x7f]+';
const QUOTED_STRING = '"(?:[^"]|\\\\.)*"';
const EXTENSION = `(?:\\s*;\\s*(?:${TOKEN})\\s*=\\s*(?:${TOKEN}|${QUOTED_STRING}))`;
const MEDIA_RANGE = new RegExp(`^\\s*(${TOKEN})/(${TOKEN})(${EXTENSION}*?\\s*)$`);
/** Python's float() of a q-value: digits with "_" between them, a fraction, an exponent, inf or nan. */
const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf(?:inity)?|nan)$/i;

const invalidAccept = () => new SwiftError(400, 'Invalid Accept header');

interface AcceptedRange {
  type: string;
  subtype: string;
  quality: number;
  exact: boolean;
}

/** swob's Accept._get_types: every range, best first; a malformed header throws. */
function acceptedRanges(header: string): AcceptedRange[] {
  const ranges = header.split(',').map((item): AcceptedRange => {
    const m = MEDIA_RANGE.exec(item);
    if (!m) throw invalidAccept();
    const [, type = '', subtype = '', params = ''] = m;
    let quality = 1;
    let seenQ = false;
    for (const param of params.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
      const parts = param.split('=');
      if (parts.length !== 2) throw invalidAccept();
      if (parts[0]!.trim() !== 'q') continue;
      const value = parts[1]!.trim();
      if (seenQ || !PY_FLOAT.test(value)) throw invalidAccept();
      seenQ = true;
      quality = Number(value.replace(/_/g, '').replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
    }
    return { type, subtype, quality, exact: type !== '*' && subtype !== '*' };
  });
  // Python's sort(reverse=True) is stable, as Array.prototype.sort is.
  return ranges.sort((a, b) => b.quality - a.quality || Number(b.exact) - Number(a.exact));
}

/**
 * The media type to answer with: ?format=json|xml|plain (anything else non-empty is plain)
 * wins over Accept (a format that is not UTF-8 is 400). Accept is matched as swob does: case-sensitively, ranges in order of
 * quality then exactness (a q of 0 still matches), the first offer a range matches wins;
 * no Accept → text/plain; a malformed Accept → 400; nothing acceptable → 406.
 */
export function chooseListingFormat(query: Map<string, string>, accept: string | undefined): ListingFormat {
  const format = queryParam(query, 'format');
  if (format) return FORMAT_PARAM[format.toLowerCase()] ?? 'text/plain';
  if (!accept) return OFFERS[0]!;
  for (const range of acceptedRanges(accept)) {
    const match = OFFERS.find((offer) => {
      const [type, subtype] = offer.split('/');
      return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
    });
    if (match) return match;
  }
  throw notAcceptable();
}

/** The Content-Type of a listing (GET or HEAD) in the chosen format. */
export const listingContentType = (format: ListingFormat) => `${format}; charset=utf-8`;

/**
 * The headers of a listing answer besides the backend's: the format's Content-Type,
 * Content-Length 0 when there is no body (HEAD, an empty plain listing), as Swift's
 * listing_formats sets them, and Accept-Ranges, which Swift's proxy puts on every answer
 * it relays from a backend (GetOrHeadHandler.get_working_response) but not on one it
 * makes up (the listing of an account not created yet).
 */
export function listingHeaders(format: ListingFormat, answer: { bodiless: boolean; relayed: boolean }): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': listingContentType(format) };
  if (answer.bodiless) headers['content-length'] = '0';
  if (answer.relayed) headers['accept-ranges'] = 'bytes';
  return headers;
}

export type ListingItem = Record<string, unknown>;

/**
 * What Swift's listing_formats does to container rows: an SLO manifest is listed with
 * its total size (the "swift_bytes" parameter of its content type) and its SLO etag.
 */
export function presentContainerItem(item: ListingItem): ListingItem {
  if (typeof item.subdir === 'string') return item;
  const out = { ...item };
  if (typeof out.content_type === 'string') {
    const match = /;\s*swift_bytes=(\d+)/.exec(out.content_type);
    if (match) {
      out.content_type = out.content_type.replace(match[0], '');
      out.bytes = Number(match[1]);
    }
  }
  if (typeof out.hash === 'string') {
    const match = /;\s*slo_etag=([^;\s]+)/.exec(out.hash);
    if (match) {
      out.hash = out.hash.replace(match[0], '');
      out.slo_etag = `"${match[1]}"`;
    }
  }
  return out;
}

/** The fields of a listing row in the order Swift's servers build them; other fields follow. */
const FIELD_ORDER = {
  // swift/container/server.py update_data_record, then last_modified
  container: ['bytes', 'hash', 'name', 'content_type', 'last_modified'],
  // swift/account/utils.py account_listing_response
  account: ['name', 'count', 'bytes', 'last_modified'],
} as const;
/** The fields listing_formats writes in an XML row, in this order (container_to_xml, account_to_xml). */
const XML_FIELDS = {
  container: ['name', 'hash', 'bytes', 'content_type', 'last_modified'],
  account: ['name', 'count', 'bytes', 'last_modified'],
} as const;

function inSwiftOrder(kind: 'account' | 'container', item: ListingItem): ListingItem {
  if (typeof item.subdir === 'string') return { subdir: item.subdir };
  const out: ListingItem = {};
  for (const field of FIELD_ORDER[kind]) if (field in item) out[field] = item[field];
  for (const [field, value] of Object.entries(item)) if (!(field in out)) out[field] = value;
  return out;
}

/** Python's json.dumps with its defaults: ", " and ": " separators, ensure_ascii (\uXXXX, surrogate pairs). */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJsonString(k)}: ${pythonJson(v)}`);
  return `{${entries.join(', ')}}`;
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pythonJsonString(text: string): string {
  // Everything outside printable ASCII is escaped; JS strings are UTF-16 already, so a
  // character beyond the BMP comes out as its surrogate pair, as Python writes it.
  const escaped = text.replace(/[^ -~]|["\\]/g, (c) => JSON_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

/** Python's str() of a listing value, as ElementTree gets it (six.text_type). */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return String(value);
}

// ElementTree's escaping: text escapes &, < and >; attribute values also " and the
// whitespace that attribute normalisation would lose (CR, LF, tab). Quotes in text and
// apostrophes anywhere stay as they are.
const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string) =>
  escapeText(text).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#09;');

/** An element with text; ElementTree closes one without text as "<tag />". */
const xmlElement = (tag: string, text: string) => (text === '' ? `<${tag} />` : `<${tag}>${escapeText(text)}</${tag}>`);

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** listing_formats.container_to_xml: no whitespace between elements; an empty listing is "<container name=… />". */
function containerXml(name: string, items: ListingItem[]): string {
  let inner = '';
  for (const item of items) {
    if (typeof item.subdir === 'string') {
      inner += `<subdir name="${escapeAttribute(item.subdir)}">${xmlElement('name', item.subdir)}</subdir>`;
      continue;
    }
    // Only these five: fields a middleware adds to the JSON rows (slo_etag…) stay out of XML.
    inner += `<object>${XML_FIELDS.container.map((field) => xmlElement(field, pythonStr(item[field]))).join('')}</object>`;
  }
  const open = `<container name="${escapeAttribute(name)}"`;
  return XML_DECLARATION + (inner === '' ? `${open} />` : `${open}>${inner}</container>`);
}

/** listing_formats.account_to_xml: a newline after the opening tag and after each entry; subdirs have no child. */
function accountXml(name: string, items: ListingItem[]): string {
  let inner = '\n';
  for (const item of items) {
    if (typeof item.subdir === 'string') inner += `<subdir name="${escapeAttribute(item.subdir)}" />\n`;
    else inner += `<container>${XML_FIELDS.account.map((field) => xmlElement(field, pythonStr(item[field]))).join('')}</container>\n`;
  }
  return `${XML_DECLARATION}<account name="${escapeAttribute(name)}">${inner}</account>`;
}

export interface FormattedListing {
  status: number;
  /** null for a 204, which carries no body (yet keeps its Content-Type, see listingHeaders). */
  body: string | null;
}

/** A listing page in the chosen format; an empty body (plain text only) is a 204, as in Swift. */
export function formatListing(kind: 'account' | 'container', name: string, items: ListingItem[], format: ListingFormat): FormattedListing {
  const rows = items.map((item) => inSwiftOrder(kind, item));
  let body: string;
  if (format === 'application/json') body = pythonJson(rows);
  else if (format === 'text/plain') body = rows.map((row) => `${pythonStr(row.subdir ?? row.name)}\n`).join('');
  else body = kind === 'container' ? containerXml(name, rows) : accountXml(name, rows);
  return body === '' ? { status: 204, body: null } : { status: 200, body };
}
