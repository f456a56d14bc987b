// DELETE /<device>/<partition>/<account>/<container>/<object>: writes <timestamp>.ts.
// 204 when an object was there, 404 when not (the tombstone is still written so an older
// PUT arriving later loses), 409 when the stored object is as new or newer. With
// X-If-Delete-At (the expirer's guard) nothing is deleted unless X-Delete-At matches.
import { Timestamp } from '../../common/timestamp.js';
import { conflict, notFound, preconditionFailed } from '../errors.js';
import { parseTimestampHeader, requireTimestamp, type BackendRequest, type BackendResponse } from '../http.js';
import { targetsFromHeaders } from '../updates.js';
import { updateContainers } from './container-update.js';
import { isExpired, locate, type ObjectContext } from './context.js';
import { readObject, writeMarker } from './diskfile.js';

export async function deleteObject(ctx: ObjectContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  const ifDeleteAtHeader = req.headers['x-if-delete-at'];
  const ifDeleteAt = ifDeleteAtHeader === undefined ? undefined : parseTimestampHeader('x-if-delete-at', ifDeleteAtHeader);
  const targets = targetsFromHeaders(req.headers, 'Container');
  const location = await locate(ctx, req);
  const current = await readObject(location);

  let stored: Timestamp | undefined;
  let status: 204 | 404 | 409;
  let deleteAt = new Timestamp(0);
  if (current.kind === 'missing') {
    status = 404;
  } else if (current.kind === 'deleted') {
    stored = current.timestamp;
    status = 404;
  } else if (isExpired(current.metadata, Date.now() / 1000)) {
    stored = current.timestamp;
    deleteAt = Timestamp.parse(current.metadata['X-Delete-At']!);
    status = 404;
  } else {
    stored = current.dataTimestamp;
    if (current.metadata['X-Delete-At']) deleteAt = Timestamp.parse(current.metadata['X-Delete-At']);
    status = stored.compare(timestamp) < 0 ? 204 : 409;
  }
  if (ifDeleteAt !== undefined) {
    if (stored === undefined) throw notFound();
    if (stored.compare(timestamp) >= 0) throw conflict();
    if (deleteAt.compare(ifDeleteAt) !== 0) throw preconditionFailed('X-If-Delete-At and X-Delete-At do not match');
    status = 204;
  }
  const newest = stored && stored.compare(timestamp) > 0 ? stored : timestamp;
  const headers = { 'X-Backend-Timestamp': newest.internal };
  if (stored === undefined || stored.compare(timestamp) < 0) {
    await writeMarker(location, timestamp, 'ts', {});
    await updateContainers(ctx, req, location, 'DELETE', { 'X-Timestamp': timestamp.internal }, targets);
  }
  if (status === 204) return { status, headers };
  throw status === 409 ? conflict(headers) : notFound(headers);
}
