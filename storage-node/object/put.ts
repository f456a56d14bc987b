// PUT /<device>/<partition>/<account>/<container>/<object>: stream the body to tmp/,
// check its MD5 against ETag, fsync, rename into place, tell the container servers.
import { finished, type Readable, type Writable } from 'node:stream';
import type { Timestamp } from '../../common/timestamp.js';
import {
  badRequest,
  clientDisconnect,
  conflict,
  entityTooLarge,
  deviceFull,
  HttpError,
  lengthRequired,
  notImplemented,
  preconditionFailed,
  requestTimeout,
  unprocessable,
} from '../errors.js';
import { requireTimestamp, type BackendRequest, type BackendResponse } from '../http.js';
import { checkMetadata, isObjectTransientSysmeta, isSysMeta, isUserMeta, OBJECT_ALLOWED_HEADERS, pickHeaders } from '../metadata.js';
import { targetsFromHeaders } from '../updates.js';
import { ifNoneMatchHits, normalizeEtag } from '../../common/conditional-requests.js';
import { expiryQueueOf, queueForExpiry, updateContainers } from './container-update.js';
import { deleteAtFromRequest, isExpired, locate, MAX_FILE_SIZE, type ObjectContext } from './context.js';
import type { Metadata } from './datafile.js';
import { DataFileWriter, ObjectTooLargeError } from './data-writer.js';
import { readObject, type ObjectState } from './diskfile.js';

class ClientTimeoutError extends Error {
  readonly code = 'ERR_CLIENT_TIMEOUT';
}

export async function putObject(ctx: ObjectContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  const contentLength = messageLength(req);
  const contentType = req.headers['content-type'];
  if (contentType === undefined) throw badRequest('No content type');
  checkMetadata('object', req.headers);
  const deleteAt = deleteAtFromRequest(req, timestamp);
  const targets = targetsFromHeaders(req.headers, 'Container');
  const expiry = expiryQueueOf(req);
  const location = await locate(ctx, req);

  const current = await readObject(location);
  const live = current.kind === 'object' && !isExpired(current.metadata, timestamp.seconds);
  if (live && req.headers['if-none-match'] !== undefined && ifNoneMatchHits(req.headers, current.metadata.ETag ?? '')) {
    throw preconditionFailed();
  }
  const stored = storedTimestamp(current, live);
  if (stored && stored.compare(timestamp) >= 0) throw conflict({ 'X-Backend-Timestamp': stored.internal });

  const writer = await DataFileWriter.create(location.device, MAX_FILE_SIZE);
  try {
    await receiveBody(req, writer, contentLength, ctx.clientTimeoutMs);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const etag = writer.sink.etag;
  const expected = req.headers.etag;
  if (expected !== undefined && normalizeEtag(expected.trim()).toLowerCase() !== etag) {
    await writer.abort();
    throw unprocessable(`Unprocessable Entity: ETag ${expected} does not match the body's MD5 ${etag}`);
  }
  const metadata: Metadata = {
    ...pickHeaders(req.headers, (n) => isUserMeta('object', n) || isSysMeta('object', n) || isObjectTransientSysmeta(n) || OBJECT_ALLOWED_HEADERS.has(n)),
    'Content-Type': contentType,
    'Content-Length': String(writer.sink.bytes),
    ETag: etag,
  };
  if (deleteAt === undefined) delete metadata['X-Delete-At'];
  else metadata['X-Delete-At'] = deleteAt;
  await writer.commit(location, timestamp, metadata);

  const expiresAnew = deleteAt !== undefined && expiry !== undefined && (!live || current.metadata['X-Delete-At'] !== deleteAt);
  await Promise.all([
    updateContainers(
      ctx,
      req,
      location,
      'PUT',
      { 'X-Timestamp': timestamp.internal, 'X-Size': String(writer.sink.bytes), 'X-Content-Type': contentType, 'X-Etag': etag },
      targets,
      metadata,
    ),
    expiresAnew ? queueForExpiry(ctx, req, location, expiry, deleteAt, timestamp) : undefined,
  ]);
  return { status: 201, headers: { ETag: `"${etag}"` } };
}

/** What a new write must be newer than: the data (or, once expired, the metadata) or tombstone. */
function storedTimestamp(current: ObjectState, live: boolean): Timestamp | undefined {
  if (current.kind === 'deleted') return current.timestamp;
  if (current.kind === 'object') return live ? current.dataTimestamp : current.timestamp;
  return undefined;
}

/** The body's announced length, undefined when chunked (Swift's message_length). */
function messageLength(req: BackendRequest): number | undefined {
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    if (transferEncoding.trim().toLowerCase() !== 'chunked') {
      throw notImplemented(`Not Implemented: Transfer-Encoding ${JSON.stringify(transferEncoding)}; only chunked is supported`);
    }
    return undefined;
  }
  const contentLength = req.headers['content-length'];
  if (contentLength === undefined) throw lengthRequired();
  if (!/^\d+$/.test(contentLength)) throw badRequest(`Invalid Content-Length: ${JSON.stringify(contentLength)}`);
  const length = Number(contentLength);
  if (length > MAX_FILE_SIZE) throw entityTooLarge(MAX_FILE_SIZE);
  return length;
}

/** Streams the body into the writer; 408 when the client stalls, 499 when it ends early. */
async function receiveBody(req: BackendRequest, writer: DataFileWriter, expected: number | undefined, idleTimeoutMs: number): Promise<void> {
  const body = req.body;
  req.continueBody();
  body.setTimeout(idleTimeoutMs, () => body.destroy(new ClientTimeoutError()));
  try {
    await pump(body, writer.sink);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof ClientTimeoutError) throw requestTimeout();
    if (err instanceof ObjectTooLargeError) throw entityTooLarge(MAX_FILE_SIZE);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw deviceFull(req.device);
    if (!body.complete) throw clientDisconnect();
    throw err;
  } finally {
    body.setTimeout(0);
  }
  if (!body.complete || (expected !== undefined && writer.sink.bytes !== expected)) throw clientDisconnect();
}

/**
 * body.pipe(sink), settled once the sink has finished or either side failed, and then,
 * as stream.pipeline, a failure of either side destroys both. Not stream.pipeline itself:
 * in Node 20 it makes an AbortController per call and aborts it at the end, which builds a
 * DOMException (with its stack trace) on every object PUT.
 */
function pump(body: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      body.unpipe(sink);
      body.destroy(err);
      sink.destroy(err);
      reject(err);
    };
    // A body cut short (the client went away) ends in an error here, never in 'end'.
    finished(body, (err) => {
      if (err) fail(err);
    });
    finished(sink, (err) => {
      if (err) fail(err);
      else if (!settled) {
        settled = true;
        resolve();
      }
    });
    body.pipe(sink);
  });
}
