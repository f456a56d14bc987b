// Server-side copy (Swift's copy middleware): COPY with Destination, and PUT with
// X-Copy-From. The source is read through the whole pipeline as the caller, with the
// request's Range and conditions (so a COPY with Range copies just that range, and a
// large object is copied as its bytes), and streamed into an ordinary PUT of the
// destination. Headers follow copy.py: the source's metadata and other headers unless
// X-Fresh-Metadata, the request's on top, the source's Content-Type unless the request
// names one. With ?multipart-manifest=get the manifest is copied instead: an SLO
// manifest is stored again through the SLO PUT (which checks its segments), a DLO
// manifest keeps its X-Object-Manifest.
import { Readable } from 'node:stream';
import { isTrue } from '../../common/http.js';
import { quoteName, type SwiftPath } from '../../common/paths.js';
import { entityTooLarge, plainError, preconditionFailed } from '../errors.js';
import { CONDITIONAL_HEADERS } from './conditional.js';
import { isInternalHeader, pick } from './headers.js';
import { checkNameLengths, parseObjectRef, subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { drain } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';

/** Source headers copy.py never carries over (the destination gets its own). */
const NOT_COPIED = new Set(['x-static-large-object', 'x-object-manifest', 'etag', 'content-type', 'x-timestamp', 'x-backend-timestamp']);
/** Request headers that steer the copy itself rather than describe the destination. */
const COPY_CONTROL_HEADERS = new Set(['x-copy-from', 'x-copy-from-account', 'destination', 'destination-account', 'content-length', 'transfer-encoding', 'expect']);
const LISTING_OVERRIDE_PREFIX = 'x-object-sysmeta-container-update-override-';

const isSysmeta = (name: string) => name.startsWith('x-object-sysmeta-');
/** Swift's POST-able system metadata: copied like user metadata (not with fresh metadata). */
const isTransientSysmeta = (name: string) => name.startsWith('x-object-transient-sysmeta-');

/** copy.py's check_account_format: URL-unquoted, present, without "/". */
function accountFrom(value: string): string {
  if (!value) throw preconditionFailed('Account name is required');
  let account: string;
  try {
    account = decodeURIComponent(value);
  } catch {
    account = value;
  }
  if (account.includes('/')) throw preconditionFailed('Account name cannot contain slashes');
  return account;
}

/** The destination PUT's headers, as copy.py's handle_PUT builds sink_req. */
function sinkHeaders(source: SwiftResponse, request: Record<string, string>, manifestCopy: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (isTrue(request['x-fresh-metadata'])) {
    // Fresh metadata: only the source's system metadata survives; the request says the rest.
    for (const [name, value] of Object.entries(source.headers)) if (isSysmeta(name)) out[name] = value;
    Object.assign(out, request);
  } else {
    for (const [name, value] of Object.entries(source.headers)) {
      if (!NOT_COPIED.has(name) && (!isInternalHeader(name) || isSysmeta(name) || isTransientSysmeta(name))) out[name] = value;
    }
    Object.assign(out, request);
  }
  if (manifestCopy && source.headers['x-object-manifest'] !== undefined) out['x-object-manifest'] = source.headers['x-object-manifest'];
  // The source's ETag verifies the copied bytes only when they are the object's own: a
  // whole plain object (or a DLO manifest itself), never a range or a large object.
  const dlo = source.headers['x-object-manifest'] !== undefined;
  if (source.status === 200 && !isTrue(source.headers['x-static-large-object']) && (!dlo || manifestCopy) && source.headers.etag) {
    out.etag = source.headers.etag.replace(/^"(.*)"$/, '$1');
  } else {
    for (const name of Object.keys(out)) if (name.startsWith(LISTING_OVERRIDE_PREFIX)) delete out[name];
  }
  for (const name of COPY_CONTROL_HEADERS) delete out[name];
  if (!request['content-type']) out['content-type'] = source.headers['content-type'] ?? 'application/octet-stream';
  if (source.headers['content-length'] !== undefined) out['content-length'] = source.headers['content-length'];
  else out['transfer-encoding'] = 'chunked';
  return out;
}

/** copy.py's _copy_headers: the new object's metadata and X-Delete-At, shown in the copy's answer. */
function copiedMetadata(sink: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(sink)) {
    if (name.startsWith('x-object-meta-') || isTransientSysmeta(name) || isSysmeta(name) || name === 'x-delete-at') {
      out[name] = value;
    }
  }
  return out;
}

export function copyMiddleware(s: Services): Middleware {
  /** The source as the caller may read it, with the request's Range and conditions, newest replica first. */
  async function getSource(req: SwiftRequest, source: SwiftPath, manifestCopy: boolean): Promise<SwiftResponse> {
    const query = manifestCopy ? new Map([['multipart-manifest', 'get'], ['format', 'raw']]) : new Map<string, string>();
    const headers = { ...pick(req.headers, CONDITIONAL_HEADERS), 'x-newest': 'true' };
    return s.handle(subrequest(req, { method: 'GET', path: source, query, headers }));
  }

  async function copy(req: SwiftRequest, source: SwiftPath, next: Handler): Promise<SwiftResponse> {
    const manifestCopy = req.query.get('multipart-manifest') === 'get';
    const src = await getSource(req, source, manifestCopy);
    if (src.status >= 300) return src;
    const length = src.headers['content-length'];
    if (length === undefined || Number(length) > s.config.max_file_size) {
      drain(src);
      throw entityTooLarge();
    }
    const query = new Map(req.query);
    if (manifestCopy) {
      if (isTrue(src.headers['x-static-large-object'])) query.set('multipart-manifest', 'put');
      if (src.headers['x-object-manifest'] !== undefined) query.delete('multipart-manifest');
    }
    const headers = sinkHeaders(src, req.headers, manifestCopy);
    const body = src.body instanceof Readable ? src.body : Readable.from([Buffer.from(src.body ?? '')]);
    const res = await next({ ...req, method: 'PUT', headers, query, body, continueBody: () => {} });
    const copied: Record<string, string> = {
      ...copiedMetadata(headers),
      'x-copied-from': quoteName(`${source.container}/${source.object}`),
      'x-copied-from-account': quoteName(source.account),
    };
    if (src.headers['last-modified']) copied['x-copied-from-last-modified'] = src.headers['last-modified'];
    return { ...res, headers: { ...res.headers, ...copied } };
  }

  /** PUT with X-Copy-From: "<container>/<object>", from X-Copy-From-Account or this account. */
  function putCopy(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    // copy.py refuses a body by its Content-Length only (a chunked one is not read).
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > 0) throw plainError(400, 'Copy requests require a zero byte body');
    const ref = parseObjectRef(req.headers['x-copy-from']!, 'X-Copy-From');
    const fromAccount = req.headers['x-copy-from-account'];
    const account = fromAccount === undefined ? req.path.account : accountFrom(fromAccount);
    checkNameLengths({ account, ...ref }, s.config);
    return copy(req, { account, container: ref.container, object: ref.object }, next);
  }

  /** COPY with Destination: "<container>/<object>", into Destination-Account or this account. */
  function copyVerb(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const destination = req.headers.destination;
    if (!destination) throw preconditionFailed('Destination header required');
    const toAccount = req.headers['destination-account'];
    const account = toAccount === undefined ? req.path.account : accountFrom(toAccount);
    const ref = parseObjectRef(destination, 'Destination');
    checkNameLengths({ account, ...ref }, s.config);
    const put = { ...req, method: 'PUT', path: { account, container: ref.container, object: ref.object } };
    return copy(put, req.path, next);
  }

  return async function copyLayer(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.method === 'COPY') return copyVerb(req, next);
    if (req.method === 'PUT' && req.headers['x-copy-from'] !== undefined) return putCopy(req, next);
    return next(req);
  };
}
