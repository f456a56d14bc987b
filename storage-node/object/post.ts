// POST /<device>/<partition>/<account>/<container>/<object>: a metadata update written as
// <timestamp>.meta. It replaces all user metadata (and the allowed headers such as
// X-Delete-At); Content-Type too when given. The listing learns of it by a container update.
import { conflict, notFound } from '../errors.js';
import { requireTimestamp, type BackendRequest, type BackendResponse } from '../http.js';
import { checkMetadata, isObjectTransientSysmeta, isUserMeta, OBJECT_ALLOWED_HEADERS, pickHeaders } from '../metadata.js';
import { targetsFromHeaders } from '../updates.js';
import { expiryQueueOf, queueForExpiry, updateContainers } from './container-update.js';
import { deleteAtFromRequest, isExpired, locate, type ObjectContext } from './context.js';
import type { Metadata } from './datafile.js';
import { readObject, writeMarker } from './diskfile.js';

export async function postObject(ctx: ObjectContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  checkMetadata('object', req.headers);
  const deleteAt = req.headers['x-delete-at'] === '' ? undefined : deleteAtFromRequest(req, timestamp);
  const targets = targetsFromHeaders(req.headers, 'Container');
  const expiry = expiryQueueOf(req);
  const location = await locate(ctx, req);
  const current = await readObject(location);
  if (current.kind !== 'object' || isExpired(current.metadata, timestamp.seconds)) {
    throw notFound(current.kind === 'missing' ? {} : { 'X-Backend-Timestamp': current.timestamp.internal });
  }
  if (current.timestamp.compare(timestamp) >= 0) throw conflict({ 'X-Backend-Timestamp': current.timestamp.internal });

  const metadata: Metadata = pickHeaders(
    req.headers,
    (n) => isUserMeta('object', n) || isObjectTransientSysmeta(n) || OBJECT_ALLOWED_HEADERS.has(n),
  );
  delete metadata['X-Delete-At'];
  if (deleteAt !== undefined) metadata['X-Delete-At'] = deleteAt;
  const newContentType = req.headers['content-type'];
  let contentType = current.metadata['Content-Type']!;
  let contentTypeTimestamp = current.contentTypeTimestamp;
  if (newContentType !== undefined) {
    contentType = newContentType;
    contentTypeTimestamp = timestamp;
  }
  // A Content-Type set by an earlier POST lives on in every later .meta.
  if (contentTypeTimestamp.compare(current.dataTimestamp) !== 0) {
    metadata['Content-Type'] = contentType;
    metadata['Content-Type-Timestamp'] = contentTypeTimestamp.internal;
  }
  await writeMarker(location, timestamp, 'meta', metadata);

  // The listing keeps the swift_bytes an SLO manifest's data Content-Type carries.
  const swiftBytes = /;\s*swift_bytes=(\d+)/.exec(current.dataMetadata['Content-Type'] ?? '')?.[1];
  const listedType = swiftBytes && contentTypeTimestamp.compare(current.dataTimestamp) !== 0 ? `${contentType};swift_bytes=${swiftBytes}` : contentType;
  const expiresAnew = deleteAt !== undefined && expiry !== undefined && current.metadata['X-Delete-At'] !== deleteAt;
  await Promise.all([
    updateContainers(
      ctx,
      req,
      location,
      'PUT',
      {
        'X-Timestamp': current.dataTimestamp.internal,
        'X-Size': current.metadata['Content-Length']!,
        'X-Content-Type': listedType,
        'X-Content-Type-Timestamp': contentTypeTimestamp.internal,
        'X-Meta-Timestamp': timestamp.internal,
        'X-Etag': current.metadata.ETag!,
      },
      targets,
      current.dataMetadata,
    ),
    expiresAnew ? queueForExpiry(ctx, req, location, expiry, deleteAt, timestamp) : undefined,
  ]);
  return { status: 202, headers: {} };
}
