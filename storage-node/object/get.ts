// GET and HEAD /<device>/<partition>/<account>/<container>/<object>: the newest state
// wins; tombstones and expired objects are 404 with X-Backend-Timestamp; conditional and
// Range requests as Swift; the body streams from the open .data file.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { httpDate } from '../../common/http.js';
import type { Timestamp } from '../../common/timestamp.js';
import { HttpError, notFound } from '../errors.js';
import type { BackendRequest, BackendResponse } from '../http.js';
import { isObjectTransientSysmeta, isSysMeta, isUserMeta, OBJECT_ALLOWED_HEADERS } from '../metadata.js';
import { conditionalStatus, missingObjectStatus } from '../../common/conditional-requests.js';
import { conditionalEtag } from './conditional.js';
import { isExpired, locate, type ObjectContext } from './context.js';
import { openObject, quarantine, type ObjectLocation, type StoredObject } from './diskfile.js';
import { contentRange, multipartLayout, parseRange, rangesForLength, type ByteRange } from '../../common/byte-ranges.js';

const READ_CHUNK_BYTES = 1 << 16;

export async function getObject(ctx: ObjectContext, req: BackendRequest): Promise<BackendResponse> {
  const location = await locate(ctx, req);
  const state = await openObject(location);
  if (state.kind !== 'object') throw notServed(req, state.kind === 'deleted' ? state.timestamp : undefined);
  let streaming = false;
  try {
    const response = answer(req, state, state.handle, location);
    streaming = response.body !== undefined;
    return response;
  } finally {
    if (!streaming) await state.handle.close();
  }
}

/** 404 (412 for "If-Match: *"), with the timestamp of a tombstone or expired object. */
function notServed(req: BackendRequest, timestamp: Timestamp | undefined): HttpError {
  const headers: Record<string, string> = timestamp ? { 'X-Backend-Timestamp': timestamp.internal } : {};
  return missingObjectStatus(req.headers) ? new HttpError(412, 'Precondition Failed', headers) : notFound(headers);
}

/** The answer for a stored object; a body, when there is one, streams from `handle`. */
function answer(req: BackendRequest, state: StoredObject, handle: FileHandle, location: ObjectLocation): BackendResponse {
  if (isExpired(state.metadata, Date.now() / 1000, req)) throw notServed(req, state.timestamp);
  const headers = objectHeaders(state);
  const lastModified = Math.ceil(state.timestamp.seconds);
  const status = conditionalStatus(req.headers, conditionalEtag(req.headers, state.metadata), lastModified);
  if (status !== undefined) return { status, headers: { ...headers, 'Content-Length': 0 } };
  if (req.method === 'HEAD') return { status: 200, headers };

  const length = state.bodyLength;
  const specs = parseRange(req.headers.range);
  const ranges = specs && length > 0 ? rangesForLength(specs, length) : undefined;
  if (ranges === undefined) {
    // A whole-body read checks the MD5 on the way (as Swift's DiskFile reader): a copy that
    // went bad on disk is quarantined and its last bytes are never sent, so the client sees
    // a cut-off body, never a complete wrong one.
    const verify = { etag: state.dataMetadata.ETag ?? '', onMismatch: () => quarantine(location) };
    return { status: 200, headers, body: streamParts(handle, [{ range: { start: 0, end: length } }], undefined, verify) };
  }
  if (ranges.length === 0) throw new HttpError(416, 'Requested Range Not Satisfiable', { 'Content-Range': `bytes */${length}` });
  if (ranges.length === 1) {
    const range = ranges[0]!;
    return {
      status: 206,
      headers: { ...headers, 'Content-Length': range.end - range.start, 'Content-Range': contentRange(range, length) },
      body: streamParts(handle, [{ range }]),
    };
  }
  // The stored Content-Type is the latin1 wire form of its bytes.
  const layout = multipartLayout(ranges, length, Buffer.from(headers['Content-Type'] as string, 'latin1'));
  return {
    status: 206,
    headers: { ...headers, 'Content-Type': layout.contentType, 'Content-Length': layout.contentLength },
    body: streamParts(handle, ranges.map((range, i) => ({ head: layout.partHeads[i]!, range, tail: layout.partTail })), layout.closing),
  };
}

/** The headers of a GET/HEAD answer for a stored object. */
function objectHeaders(state: StoredObject): Record<string, string | number> {
  const headers: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(state.metadata)) {
    if (isUserMeta('object', key) || isSysMeta('object', key) || isObjectTransientSysmeta(key) || OBJECT_ALLOWED_HEADERS.has(key.toLowerCase())) {
      headers[key] = value;
    }
  }
  return {
    ...headers,
    'Content-Type': state.metadata['Content-Type'] ?? 'application/octet-stream',
    'Content-Length': state.bodyLength,
    ETag: `"${state.metadata.ETag}"`,
    'Last-Modified': httpDate(Math.ceil(state.timestamp.seconds)),
    'X-Timestamp': state.timestamp.normal,
    'X-Backend-Timestamp': state.timestamp.internal,
    'X-Backend-Data-Timestamp': state.dataTimestamp.internal,
    'Accept-Ranges': 'bytes',
  };
}

interface Verify {
  etag: string;
  onMismatch: () => Promise<void>;
}

interface Part {
  head?: Buffer;
  range: ByteRange;
  tail?: Buffer;
}

/** Reads the parts from the file as the client takes them; closes the file when done or aborted. */
function streamParts(handle: FileHandle, parts: Part[], closing?: Buffer, verify?: Verify): Readable {
  const md5 = verify ? createHash('md5') : undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const { head, range, tail } of parts) {
        if (head) yield head;
        for (let position = range.start; position < range.end; ) {
          const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, range.end - position));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) throw new Error('the object file is shorter than its metadata says');
          position += bytesRead;
          const chunk = buffer.subarray(0, bytesRead);
          if (md5) {
            md5.update(chunk);
            if (position === range.end && md5.digest('hex') !== verify!.etag) {
              await verify!.onMismatch();
              throw new Error('the object body does not match its ETag: copy quarantined');
            }
          }
          yield chunk;
        }
        if (tail) yield tail;
      }
      if (closing) yield closing;
    } finally {
      await handle.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
