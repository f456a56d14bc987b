// Which request headers are metadata that the servers keep, and Swift's limits on them
// (constraints.check_metadata): names and values as sent, keys title-cased as Swift does.
import { titleCaseHeader } from '../common/http.js';
import { badRequest } from './errors.js';

export type MetadataTarget = 'object' | 'container' | 'account';

export const META_LIMITS = {
  max_meta_name_length: 128,
  max_meta_value_length: 256,
  max_meta_count: 90,
  max_meta_overall_size: 4096,
  max_header_size: 8192,
} as const;

/** Headers an object keeps besides its metadata (Swift's object-server allowed_headers). */
export const OBJECT_ALLOWED_HEADERS = new Set([
  'content-disposition',
  'content-encoding',
  'x-delete-at',
  'x-object-manifest',
  'x-static-large-object',
  'cache-control',
  'content-language',
  'expires',
  'x-robots-tag',
]);

export const isUserMeta = (target: MetadataTarget, name: string) => name.toLowerCase().startsWith(`x-${target}-meta-`);
export const isSysMeta = (target: MetadataTarget, name: string) => name.toLowerCase().startsWith(`x-${target}-sysmeta-`);
export const isObjectTransientSysmeta = (name: string) => name.toLowerCase().startsWith('x-object-transient-sysmeta-');

/** The request headers selected by `keep`, with title-cased names. */
export function pickHeaders(headers: Record<string, string>, keep: (name: string) => boolean): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (keep(name)) picked[titleCaseHeader(name)] = value;
  }
  return picked;
}

/** 400 when the request's X-<target>-Meta-* headers break Swift's limits. */
export function checkMetadata(target: MetadataTarget, headers: Record<string, string>): void {
  const prefix = `x-${target}-meta-`;
  let count = 0;
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value.length > META_LIMITS.max_header_size) throw badRequest(`Header value too long: ${name.slice(0, 128)}`);
    if (!name.startsWith(prefix)) continue;
    const key = name.slice(prefix.length);
    if (key === '') throw badRequest('Metadata name cannot be empty');
    if (target !== 'object' && (!isUtf8(key) || !isUtf8(value))) throw badRequest('Metadata must be valid UTF-8');
    count++;
    size += key.length + value.length;
    if (key.length > META_LIMITS.max_meta_name_length) throw badRequest(`Metadata name too long: ${name}`);
    if (value.length > META_LIMITS.max_meta_value_length) {
      throw badRequest(`Metadata value longer than ${META_LIMITS.max_meta_value_length}: ${name}`);
    }
    if (count > META_LIMITS.max_meta_count) throw badRequest(`Too many metadata items; max ${META_LIMITS.max_meta_count}`);
    if (size > META_LIMITS.max_meta_overall_size) {
      throw badRequest(`Total metadata too large; max ${META_LIMITS.max_meta_overall_size}`);
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a header value (a latin1 string of the bytes sent) holds valid UTF-8. */
export function isUtf8(wire: string): boolean {
  try {
    strictUtf8.decode(Buffer.from(wire, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/** The text a header value's bytes spell in UTF-8 (Swift's wsgi_to_str). */
export function utf8FromWire(wire: string): string {
  return Buffer.from(wire, 'latin1').toString('utf8');
}
