// Server-side copy (Swift's copy middleware): COPY with Destination, and PUT with
// X-Copy-From. The source is read through the whole pipeline as the caller (so a large
// object is copied as its concatenated bytes) and streamed into an ordinary PUT of the
// destination. With ?multipart-manifest=get the manifest is copied instead: an SLO
// manifest is stored again through the SLO PUT (which checks its segments), a DLO
// manifest keeps its X-Object-Manifest.
import { Readable } from 'node:stream';
import { announcesBody, isTrue } from '../../common/http.js';
import { quoteName, type SwiftPath } from '../../common/paths.js';
import { badRequest, entityTooLarge, preconditionFailed } from '../errors.js';
import { STORED_OBJECT_HEADERS, cleanContentType, pick } from './headers.js';
import { checkNameLengths, parseObjectRef, subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { drain } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';

/** Headers a copy takes from its source (besides metadata); expiry and manifests are not copied. */
const COPIED_HEADERS = STORED_OBJECT_HEADERS.filter(
  (h) => h !== 'x-delete-at' && h !== 'x-object-manifest' && h !== 'x-static-large-object',
);

/** Request headers that steer the copy itself rather than describe the destination. */
const COPY_CONTROL_HEADERS = new Set([
  'x-copy-from',
  'x-copy-from-account',
  'x-fresh-metadata',
  'etag',
  'content-length',
  'transfer-encoding',
  'expect',
]);

const quoteRef = (container: string, object: string) => `${quoteName(container)}/${quoteName(object)}`;

function decodeAccount(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  try {
    return decodeURIComponent(value);
  } catch {
    throw preconditionFailed('Destination-Account is not valid UTF-8');
  }
}

/** The destination's headers: the source's (unless X-Fresh-Metadata), then the request's on top. */
function destinationHeaders(source: Record<string, string>, request: Record<string, string>, manifestCopy: boolean) {
  const out: Record<string, string> = {};
  if (!isTrue(request['x-fresh-metadata'])) {
    for (const [name, value] of Object.entries(source)) if (name.startsWith('x-object-meta-')) out[name] = value;
  }
  if (source['content-type']) out['content-type'] = cleanContentType(source['content-type']);
  Object.assign(out, pick(source, COPIED_HEADERS));
  if (manifestCopy && source['x-object-manifest']) out['x-object-manifest'] = source['x-object-manifest'];
  for (const [name, value] of Object.entries(request)) if (!COPY_CONTROL_HEADERS.has(name)) out[name] = value;
  if (source['content-length'] !== undefined) out['content-length'] = source['content-length'];
  else out['transfer-encoding'] = 'chunked';
  return out;
}

export function copyMiddleware(s: Services): Middleware {
  async function copy(req: SwiftRequest, source: SwiftPath, next: Handler): Promise<SwiftResponse> {
    const manifestCopy = req.query.get('multipart-manifest') === 'get';
    const sourceQuery = manifestCopy ? new Map([['multipart-manifest', 'get'], ['format', 'raw']]) : new Map<string, string>();
    const src = await s.handle(subrequest(req, { method: 'GET', path: source, query: sourceQuery }));
    if (Number(src.headers['content-length'] ?? 0) > s.config.max_file_size) {
      drain(src);
      throw entityTooLarge(`The source object is larger than ${s.config.max_file_size} bytes.`);
    }
    const query = new Map(req.query);
    query.delete('multipart-manifest');
    if (manifestCopy && isTrue(src.headers['x-static-large-object'])) query.set('multipart-manifest', 'put');
    const body = src.body instanceof Readable ? src.body : Readable.from([Buffer.from(src.body ?? '')]);
    const res = await next({
      ...req,
      method: 'PUT',
      headers: destinationHeaders(src.headers, req.headers, manifestCopy),
      query,
      body,
      continueBody: () => {},
    });
    const copied: Record<string, string> = {
      'x-copied-from': quoteRef(source.container!, source.object!),
      'x-copied-from-account': encodeURIComponent(source.account),
    };
    if (src.headers['last-modified']) copied['x-copied-from-last-modified'] = src.headers['last-modified'];
    return { ...res, headers: { ...res.headers, ...copied } };
  }

  /** PUT with X-Copy-From: "<container>/<object>", from X-Copy-From-Account or this account. */
  function putCopy(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (announcesBody(req.headers)) {
      throw badRequest('Copy requests require a zero byte body');
    }
    const ref = parseObjectRef(req.headers['x-copy-from']!, 'X-Copy-From');
    const account = decodeAccount(req.headers['x-copy-from-account'], req.path.account);
    checkNameLengths({ account, ...ref }, s.config);
    return copy(req, { account, container: ref.container, object: ref.object }, next);
  }

  /** COPY with Destination: "<container>/<object>", into Destination-Account or this account. */
  function copyVerb(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const destination = req.headers.destination;
    if (!destination) throw preconditionFailed('Destination header required');
    const ref = parseObjectRef(destination, 'Destination');
    const account = decodeAccount(req.headers['destination-account'], req.path.account);
    checkNameLengths({ account, ...ref }, s.config);
    const headers = { ...req.headers };
    delete headers.destination;
    delete headers['destination-account'];
    const put = { ...req, method: 'PUT', path: { account, container: ref.container, object: ref.object }, headers };
    return copy(put, req.path, next);
  }

  return async function copyLayer(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.method === 'COPY') return copyVerb(req, next);
    if (req.method === 'PUT' && req.headers['x-copy-from'] !== undefined) return putCopy(req, next);
    return next(req);
  };
}
