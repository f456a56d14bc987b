// PUT /v2/images/{id}/file streams the body into the object store (queued → saving →
// active; back to queued if anything fails); GET streams it back, whole (with Content-MD5)
// or one byte range (206). An image without data answers 204 with no body, as Glance.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { STREAMED_BODY } from '../../common/body-timeouts.js';
import { GlanceError, forbidden, unsupportedMediaType } from '../errors.js';
import { requireOwner } from '../policy.js';
import { contextOf, type ImageApi } from '../server.js';
import { findImage, type IdParams } from './common.js';

/** The declared body length, unless the body is chunked. */
export function declaredLength(raw: IncomingMessage): number | undefined {
  if (raw.headers['transfer-encoding'] !== undefined) return undefined;
  const value = raw.headers['content-length'];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new GlanceError(400, `Invalid Content-Length: ${value}`);
  return n;
}

export function requireOctetStream(request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream') throw unsupportedMediaType(`Content type '${type}' is not supported for image data: use application/octet-stream.`);
}

interface ByteRange {
  start: number;
  end: number;
}

/**
 * One "bytes=a-b" / "bytes=a-" / "bytes=-n" range within `size`; undefined when there is
 * no usable Range header (absent, malformed or several ranges: the whole image is sent);
 * 416 when it lies outside the image.
 */
function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(size - suffix, 0);
    end = size - 1;
    if (suffix === 0) start = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size || size === 0) {
    throw new GlanceError(416, `Requested range not satisfiable: ${header} (the image has ${size} bytes)`, { 'content-range': `bytes */${size}` });
  }
  return { start, end };
}

export function registerDataRoutes(app: FastifyInstance, api: ImageApi): void {
  const { records, data } = api;

  app.put<IdParams>('/v2/images/:image_id/file', { config: STREAMED_BODY }, async (request, reply) => {
    const ctx = contextOf(request);
    requireOctetStream(request);
    const { image, member } = await findImage(records, ctx, request.params.image_id);
    requireOwner(ctx, image, member, 'upload data to');
    const length = declaredLength(request.raw);
    if (length !== undefined && length > api.config.image_size_cap) {
      throw new GlanceError(413, `Image exceeds the storage quota: the image size cap is ${api.config.image_size_cap} bytes`);
    }
    await api.quota.metered(image.owner, request.raw, length, (body) =>
      data.upload({ id: image.id, from: ['queued'], during: 'saving', revertTo: 'queued' }, body, length),
    );
    reply.code(204).send();
  });

  app.get<IdParams>('/v2/images/:image_id/file', async (request, reply) => {
    const ctx = contextOf(request);
    const { image } = await findImage(records, ctx, request.params.image_id);
    if (image.status === 'deactivated' && !ctx.isAdmin) {
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
    }
    if (image.status !== 'active' && image.status !== 'deactivated') return reply.code(204).send();
    if (!image.data || image.size === null) return reply.code(204).send();
    const size = image.size;
    const range = parseRange(request.headers.range, size);
    if (request.method === 'HEAD') {
      // Headers only: the object store is not read. Written directly, as fastify would set
      // Content-Length: 0 for an empty reply.
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        'x-openstack-request-id': request.id,
        ...(image.checksum ? { 'content-md5': image.checksum } : {}),
      });
      reply.raw.end();
      return reply;
    }
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    const res = await data.swift.getObject(image.data.object, range ? `bytes=${range.start}-${range.end}` : undefined, abort.signal);
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      await res.body.dump();
      request.log.error({ image: image.id, status: res.statusCode }, 'image data not readable from the object store');
      throw new GlanceError(503, `Error in store: the data of image ${image.id} could not be read (object store answered ${res.statusCode})`);
    }
    res.body.on('error', (err) => request.log.warn({ image: image.id, err: (err as Error).message }, 'image download cut short'));
    reply.header('content-type', 'application/octet-stream');
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
    } else {
      reply.code(200).header('content-length', String(size));
      if (image.checksum) reply.header('content-md5', image.checksum);
    }
    return reply.send(res.body);
  });
}

