// Which headers cross which boundary: client → proxy (no internal headers), proxy →
// storage node (transaction id, metadata updates), storage node → client (no hop-by-hop,
// no system metadata). Swift's gatekeeper middleware, in one file.
import { httpDate } from '../../common/http.js';
import type { Timestamp } from '../../common/timestamp.js';
import type { SwiftRequest } from './request.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'date',
  'server',
]);

/** Headers only storage nodes and the proxy's own layers may set or see. */
export const isInternalHeader = (name: string) =>
  name.startsWith('x-backend-') || /^x-(object|container|account)-sysmeta-/.test(name) || name.startsWith('x-object-transient-sysmeta-');

/** Object headers besides metadata that object servers store and return (Swift's allowed_headers). */
export const STORED_OBJECT_HEADERS = [
  'content-disposition',
  'content-encoding',
  'cache-control',
  'content-language',
  'expires',
  'x-robots-tag',
  'x-delete-at',
  'x-object-manifest',
  'x-static-large-object',
] as const;

/** A storage node's response headers as the proxy's layers see them (hop-by-hop ones dropped). */
export function fromBackend(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** The gatekeeper, both ways: clients neither send nor see internal headers. */
export function withoutInternalHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!isInternalHeader(name)) out[name] = value;
  return out;
}

/** Every backend request carries the transaction id, so logs on all hosts line up. */
export function backendHeaders(req: SwiftRequest, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-trans-id': req.transId, 'user-agent': `proxy-server ${process.pid}`, ...extra };
}

/**
 * The X-<kind>-Meta-* headers of a request, with X-Remove-<kind>-Meta-Foo turned into an
 * empty X-<kind>-Meta-Foo (which storage nodes take as "delete").
 */
export function metadataUpdates(headers: Record<string, string>, kind: 'account' | 'container' | 'object'): Record<string, string> {
  const prefix = `x-${kind}-meta-`;
  const removePrefix = `x-remove-${kind}-meta-`;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(removePrefix)) out[prefix + name.slice(removePrefix.length)] ??= '';
    else if (name.startsWith(prefix)) out[name] = value;
  }
  return out;
}

/** Copies the named headers that are present. */
export function pick(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name]!;
  return out;
}

/** Last-Modified for a Swift timestamp: the HTTP date of the next whole second, as Swift. */
export const lastModified = (ts: Timestamp) => httpDate(Math.ceil(ts.seconds));

/** "abc" or abc → abc. */
export const unquoteEtag = (etag: string | undefined) => (etag ?? '').replace(/^"(.*)"$/, '$1');

/** A content type without Swift's internal "swift_bytes" parameter. */
export const cleanContentType = (ct: string) => ct.replace(/;\s*swift_bytes=\d+/, '');
