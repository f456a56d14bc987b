// The object controller: GET, HEAD, PUT (streamed to the object servers), POST
// (metadata) and DELETE of one stored object. Large objects and copies are layers on
// top (slo.ts, dlo.ts, copy.ts); this file only knows plain objects.
import { isTrue } from '../../common/http.js';
import { Timestamp } from '../../common/timestamp.js';
import { authorize } from '../auth/acl.js';
import { ERROR_CONTENT_TYPE, SwiftError, fromStatus, methodNotAllowed, notFound, plainError, rangeNotSatisfiable } from '../errors.js';
import { updateTargetHeaders, type ReplicaTarget } from '../replicas.js';
import { checkContentType, checkMetadata, checkUploadLength, deleteAtFrom } from './constraints.js';
import { STORED_OBJECT_HEADERS, backendHeaders, fromBackend, lastModified, pick, unquoteEtag } from './headers.js';
import type { ResourceInfo } from './info-cache.js';
import { CONDITIONAL_HEADERS } from './conditional.js';
import { guessContentType } from './mime.js';
import type { SwiftRequest, SwiftResponse } from './request.js';
import { objectTarget, type Services } from './services.js';

const ALLOWED = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY'];
/**
 * Headers a POST may change besides metadata and Content-Type. X-Object-Manifest is one
 * (as in Swift, a POST without it turns a DLO back into a plain object); the SLO layer
 * refuses X-Static-Large-Object before it gets here.
 */
const POSTABLE_HEADERS = STORED_OBJECT_HEADERS.filter((h) => h !== 'x-static-large-object');
/** Queue container of the object expirer: one per day of X-Delete-At (Swift's divisor). */
const EXPIRING_OBJECTS_ACCOUNT = '.expiring_objects';
const EXPIRING_OBJECTS_DIVISOR_S = 86400;

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Object metadata and (transient) system metadata (the latter only ever set by the proxy's own layers). */
function objectMetadata(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-object-meta-') || name.startsWith('x-object-sysmeta-') || name.startsWith('x-object-transient-sysmeta-')) {
      out[name] = value;
    }
  }
  return out;
}

/** An object whose X-Delete-At has passed is gone, even before the expirer removes it. */
function isExpired(headers: Record<string, string>, nowS = Date.now() / 1000): boolean {
  const at = headers['x-delete-at'];
  return at !== undefined && /^\d+$/.test(at) && Number(at) <= nowS;
}

/**
 * An object server's 412 to If-Match / If-Unmodified-Since, as Swift's proxy passes it on:
 * the object's headers, an empty body, and swob's default Content-Type.
 */
function preconditionFailedAnswer(backend: Record<string, string>): SwiftResponse {
  const headers = fromBackend(backend);
  if (headers.etag !== undefined) headers.etag = unquoteEtag(headers.etag);
  return { status: 412, headers: { ...headers, 'content-type': ERROR_CONTENT_TYPE, 'content-length': '0' }, body: null };
}

/** Object servers only answer If-None-Match: * on PUT (Swift's proxy refuses an etag list up front). */
function checkIfNoneMatch(headers: Record<string, string>): void {
  const value = headers['if-none-match'];
  if (value === undefined) return;
  const tags = value.split(',').map((t) => t.trim());
  if (!tags.includes('*')) throw plainError(400, 'If-None-Match only supports *');
}

export function objectController(s: Services) {
  const container = (req: SwiftRequest) => s.info.container(req, req.path.account, req.path.container!);

  /** Authorizes with the container's ACL (looked up only for non-owners); 404 without the container. */
  async function authorizeIn(req: SwiftRequest, acl: 'x-container-read' | 'x-container-write'): Promise<ResourceInfo | null> {
    const looked: { info?: ResourceInfo } = {};
    await authorize(req, async () => {
      looked.info = await container(req);
      return looked.info.headers[acl] ?? null;
    });
    return looked.info ?? null;
  }

  /** The container's existence, then one header set per object server with its share of update targets. */
  async function writeRequests(req: SwiftRequest, info: ResourceInfo | null, headers: Record<string, string>) {
    const found = info ?? (await container(req));
    if (found.status === 404) throw notFound();
    if (!isSuccess(found.status)) throw fromStatus(found.status);
    const { account, container: containerName, object } = req.path;
    const target = objectTarget(s, account, containerName!, object!, found);
    const n = target.ring.getPartNodes(target.part).length;
    const containers = s.rings.container.getNodes(account, containerName);
    const updates = updateTargetHeaders(n, containers.part, containers.nodes, 'x-container');
    const deleteAt = headers['x-delete-at'];
    const expirerUpdates = deleteAt ? expirerHeaders(n, deleteAt) : [];
    const requests = updates.map((u, i) => ({ ...headers, ...u, ...(expirerUpdates[i] ?? {}) }));
    return { target, requests };
  }

  /** Where the object expirer will find this object when X-Delete-At comes. */
  function expirerHeaders(n: number, deleteAt: string): Record<string, string>[] {
    const day = Math.floor(Number(deleteAt) / EXPIRING_OBJECTS_DIVISOR_S) * EXPIRING_OBJECTS_DIVISOR_S;
    const queue = String(day).padStart(10, '0');
    const { part, nodes } = s.rings.container.getNodes(EXPIRING_OBJECTS_ACCOUNT, queue);
    return updateTargetHeaders(n, part, nodes, 'x-delete-at').map((h) => ({ ...h, 'x-delete-at-container': queue }));
  }

  async function getOrHead(req: SwiftRequest): Promise<SwiftResponse> {
    // The container's storage policy says which object ring holds the object.
    const info = (await authorizeIn(req, 'x-container-read')) ?? (await container(req));
    const { account, container: containerName, object } = req.path;
    const conditions = pick(req.headers, [...CONDITIONAL_HEADERS, 'x-backend-etag-is-at']);
    const target = objectTarget(s, account, containerName!, object!, info);
    const res = await s.replicas.read(target, req.method, backendHeaders(req, conditions), {
      newest: isTrue(req.headers['x-newest']),
      log: req.log,
    });
    if (res.status === 412) return preconditionFailedAnswer(res.headers);
    if (res.status === 416 && res.body) {
      res.body.resume();
      return rangeNotSatisfiableAnswer(req, res.headers, target);
    }
    if (!res.body || res.status === 404) throw fromStatus(res.status);
    if (isExpired(res.headers)) {
      res.body.resume();
      throw notFound();
    }
    if (req.method === 'HEAD') res.body.resume();
    const headers = fromBackend(res.headers);
    // Swift shows a plain object's ETag unquoted (clients check it against the body's MD5).
    if (headers.etag !== undefined) headers.etag = unquoteEtag(headers.etag);
    return { status: res.status, headers, body: req.method === 'HEAD' ? null : res.body };
  }

  /**
   * A 416 as Swift's object server makes it (swob's page under the object's own headers,
   * Content-Type included, plus Content-Range: bytes *&#47;size); when the object server
   * sent no metadata with its 416, a HEAD fetches it.
   */
  async function rangeNotSatisfiableAnswer(req: SwiftRequest, backend: Record<string, string>, target: ReplicaTarget): Promise<SwiftResponse> {
    let objectHeaders = backend;
    if (backend['x-timestamp'] === undefined) {
      const head = await s.replicas.read(target, 'HEAD', backendHeaders(req), { log: req.log });
      head.body?.resume();
      if (head.status !== 200) throw new SwiftError(416, undefined, pick(backend, ['content-range']));
      objectHeaders = head.headers;
    }
    const headers = fromBackend(objectHeaders);
    if (headers.etag !== undefined) headers.etag = unquoteEtag(headers.etag);
    const page = rangeNotSatisfiable().body;
    return {
      status: 416,
      headers: { ...headers, 'content-range': backend['content-range'] ?? '', 'content-length': String(Buffer.byteLength(page)) },
      body: req.method === 'HEAD' ? null : page,
    };
  }

  async function put(req: SwiftRequest): Promise<SwiftResponse> {
    checkIfNoneMatch(req.headers);
    const info = await authorizeIn(req, 'x-container-write');
    const contentLength = checkUploadLength(req.headers, s.config);
    checkMetadata(req.headers, 'object', s.config);
    const timestamp = Timestamp.now();
    const deleteAt = deleteAtFrom(req.headers, timestamp.seconds);
    const contentType =
      !req.headers['content-type'] || isTrue(req.headers['x-detect-content-type'])
        ? guessContentType(req.path.object!)
        : req.headers['content-type'];
    checkContentType(contentType);
    const headers = backendHeaders(req, {
      ...pick(req.headers, ['etag', 'if-none-match', ...STORED_OBJECT_HEADERS]),
      ...objectMetadata(req.headers),
      'x-timestamp': timestamp.internal,
      'content-type': contentType,
    });
    if (deleteAt) headers['x-delete-at'] = deleteAt;
    const { target, requests } = await writeRequests(req, info, headers);
    const result =
      contentLength === 0 || !req.body
        ? await s.replicas.write(target, 'PUT', requests.map((h) => ({ ...h, 'content-length': '0' })), { log: req.log })
        : await s.replicas.upload(target, requests, req.body, {
            ...(contentLength !== undefined ? { contentLength } : {}),
            maxBytes: s.config.max_file_size,
            clientTimeoutMs: s.config.client_timeout_ms,
            onConnected: req.continueBody,
            log: req.log,
          });
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    const out: Record<string, string> = { 'last-modified': lastModified(timestamp), 'content-length': '0' };
    if (result.headers.etag) out.etag = unquoteEtag(result.headers.etag);
    return { status: 201, headers: out };
  }

  async function post(req: SwiftRequest): Promise<SwiftResponse> {
    const info = await authorizeIn(req, 'x-container-write');
    checkMetadata(req.headers, 'object', s.config);
    const timestamp = Timestamp.now();
    const deleteAt = deleteAtFrom(req.headers, timestamp.seconds);
    const headers = backendHeaders(req, {
      ...pick(req.headers, ['content-type', ...POSTABLE_HEADERS]),
      ...objectMetadata(req.headers),
      'x-timestamp': timestamp.internal,
    });
    if (deleteAt) headers['x-delete-at'] = deleteAt;
    const { target, requests } = await writeRequests(req, info, headers);
    const result = await s.replicas.write(target, 'POST', requests, { log: req.log });
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    return { status: 202, headers: {} };
  }

  async function del(req: SwiftRequest): Promise<SwiftResponse> {
    const info = await authorizeIn(req, 'x-container-write');
    const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal });
    const { target, requests } = await writeRequests(req, info, headers);
    const result = await s.replicas.write(target, 'DELETE', requests, { log: req.log });
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    return { status: 204, headers: {} };
  }

  return async function handleObject(req: SwiftRequest): Promise<SwiftResponse> {
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return getOrHead(req);
      case 'PUT':
        return put(req);
      case 'POST':
        return post(req);
      case 'DELETE':
        return del(req);
      default:
        throw methodNotAllowed(ALLOWED);
    }
  };
}
