// Account and container listings in the three formats of the Swift API: plain text (one
// name per line), JSON and XML, chosen by ?format= or the Accept header. Storage nodes
// always answer in JSON; this module turns that into what the client asked for.
import { notAcceptable } from '../errors.js';

export type ListingFormat = 'plain' | 'json' | 'xml';

/** A storage node's JSON page of up to 10000 rows with names up to 1 KiB fits well within this. */
export const MAX_LISTING_BODY_BYTES = 64 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<ListingFormat, string>> = {
  plain: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

/** In Swift's order of preference when the client accepts several equally. */
const OFFERS: ReadonlyArray<[string, ListingFormat]> = [
  ['text/plain', 'plain'],
  ['application/json', 'json'],
  ['application/xml', 'xml'],
  ['text/xml', 'xml'],
];

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [mediaType, ...params] = part.trim().split(';');
    const [type, subtype] = (mediaType ?? '').trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined && Number.isFinite(Number(v))) q = Number(v);
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The q-value the most specific matching range gives an offer (0 when none matches). */
function qualityOf(offer: string, ranges: MediaRange[]): number {
  const [type, subtype] = offer.split('/');
  let best: { specificity: number; q: number } | null = null;
  for (const r of ranges) {
    const matches = (r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype);
    if (!matches) continue;
    const specificity = (r.type === '*' ? 0 : 1) + (r.subtype === '*' ? 0 : 1);
    if (!best || specificity > best.specificity) best = { specificity, q: r.q };
  }
  return best?.q ?? 0;
}

/** ?format=json|xml|plain wins over Accept; nothing acceptable → 406. */
export function chooseListingFormat(query: Map<string, string>, accept: string | undefined): ListingFormat {
  const format = query.get('format')?.toLowerCase();
  if (format !== undefined) return format === 'json' || format === 'xml' ? format : 'plain';
  if (!accept || accept.trim() === '') return 'plain';
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return 'plain'; // an unparsable Accept is ignored, as in Swift
  let chosen: ListingFormat | null = null;
  let bestQ = 0;
  for (const [offer, fmt] of OFFERS) {
    const q = qualityOf(offer, ranges);
    if (q > bestQ) {
      bestQ = q;
      chosen = fmt;
    }
  }
  if (!chosen) throw notAcceptable();
  return chosen;
}

export type ListingItem = Record<string, unknown>;

const xmlEscape = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as const)[c as '&']};`);

function toXml(root: 'account' | 'container', name: string, items: ListingItem[]): string {
  const entry = root === 'account' ? 'container' : 'object';
  const fields = root === 'account' ? ['name', 'count', 'bytes', 'last_modified'] : ['name', 'hash', 'bytes', 'content_type', 'last_modified'];
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<${root} name="${xmlEscape(name)}">`;
  for (const item of items) {
    if (typeof item.subdir === 'string') {
      out += `<subdir name="${xmlEscape(item.subdir)}"><name>${xmlEscape(item.subdir)}</name></subdir>`;
      continue;
    }
    out += `<${entry}>`;
    const extra = Object.keys(item).filter((k) => !fields.includes(k)).sort();
    for (const field of [...fields, ...extra]) {
      if (item[field] !== undefined) out += `<${field}>${xmlEscape(item[field])}</${field}>`;
    }
    out += `</${entry}>`;
  }
  return `${out}</${root}>`;
}

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

export interface FormattedListing {
  status: number;
  contentType: string;
  body: string;
}

export function formatListing(
  kind: 'account' | 'container',
  name: string,
  items: ListingItem[],
  format: ListingFormat,
): FormattedListing {
  const contentType = CONTENT_TYPES[format];
  if (format === 'json') return { status: 200, contentType, body: JSON.stringify(items) };
  if (format === 'xml') return { status: 200, contentType, body: toXml(kind, name, items) };
  const lines = items.map((i) => `${String(i.subdir ?? i.name)}\n`).join('');
  // Swift answers an empty plain-text listing with 204.
  return { status: lines ? 200 : 204, contentType, body: lines };
}
