// How an S3 object's headers map onto a Swift object's and back: x-amz-meta-* ↔
// X-Object-Meta-*, the content headers both store, quoted ETags (a multipart object's
// S3 ETag kept in system metadata), and S3's time formats.
import { STORED_OBJECT_HEADERS } from '../swift/headers.js';

/** The S3 ETag of a completed multipart upload ("<md5 of part md5s>-<parts>"). */
export const SYSMETA_S3_ETAG = 'x-object-sysmeta-s3-etag';
/** Stored content headers S3 clients may set on PUT. */
const CONTENT_HEADERS = ['content-type', 'content-disposition', 'content-encoding', 'cache-control', 'content-language', 'expires'] as const;
const SHOWN_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'last-modified',
  'accept-ranges',
  ...STORED_OBJECT_HEADERS.filter((h) => !h.startsWith('x-')),
];

/** The Swift headers for an object write: content headers and x-amz-meta-* as object metadata. */
export function objectWriteHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) if (headers[name] !== undefined) out[name] = headers[name]!;
  // aws-chunked is the framing of the request, not an encoding of the object.
  if (out['content-encoding'] !== undefined) {
    const rest = out['content-encoding'].split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked');
    if (rest.length > 0) out['content-encoding'] = rest.join(', ');
    else delete out['content-encoding'];
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-')) out[`x-object-meta-${name.slice('x-amz-meta-'.length)}`] = value;
  }
  return out;
}

export const quoteEtag = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`);

/** A Swift object's response headers as S3 shows them. */
export function s3ObjectHeaders(swift: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SHOWN_HEADERS) if (swift[name] !== undefined) out[name] = swift[name]!;
  for (const [name, value] of Object.entries(swift)) {
    if (name.startsWith('x-object-meta-')) out[`x-amz-meta-${name.slice('x-object-meta-'.length)}`] = value;
  }
  const etag = swift[SYSMETA_S3_ETAG] ?? swift.etag;
  if (etag !== undefined) out.etag = quoteEtag(etag.replace(/^"(.*)"$/, '$1'));
  if (out['accept-ranges'] === undefined) out['accept-ranges'] = 'bytes';
  return out;
}

/** Swift listing time ("2024-01-02T03:04:05.678901") → S3's ("2024-01-02T03:04:05.678Z"). */
export function listingTime(value: unknown): string {
  if (typeof value !== 'string' || value === '') return new Date(0).toISOString();
  const ms = Date.parse(value.endsWith('Z') ? value : `${value}Z`);
  return Number.isNaN(ms) ? new Date(0).toISOString() : new Date(ms).toISOString();
}

/** An HTTP date (Last-Modified) → S3's ISO time. */
export function httpDateToIso(value: string | undefined): string {
  const ms = value ? Date.parse(value) : NaN;
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString();
}
