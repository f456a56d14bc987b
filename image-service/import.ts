// Interoperable image import. glance-direct: PUT …/stage writes the data to the local
// staging area (queued → uploading), POST …/import moves it into the object store
// (uploading → importing → active). web-download: POST …/import with a URI the operator
// allows; the service fetches it (queued → importing → active). copy-image needs a second
// store, and this service has one. A failed import goes back where it started and records
// os_glance_failed_import, as Glance's import tasks do.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { RequestContext } from './auth.js';
import type { ImageServiceConfig } from './config.js';
import { GlanceError, badRequest, conflict, imageNotFound } from './errors.js';
import type { ImageData, PendingUpload } from './image-data.js';
import { STORE_ID, importBookkeeping, isoNow, type ImageRecord } from './image.js';
import { requireOwner } from './policy.js';
import type { StorageQuota } from './quota.js';
import type { Records } from './records.js';
import { findImage } from './routes/common.js';
import type { StagingArea } from './staging.js';
import { checkWebDownloadUri, openWebDownload } from './web-download.js';


export class Importer {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly config: ImageServiceConfig,
    private readonly records: Records,
    private readonly data: ImageData,
    private readonly staging: StagingArea,
    private readonly quota: StorageQuota,
    private readonly log: FastifyBaseLogger,
  ) {}

  methods(): string[] {
    return ['glance-direct', 'web-download'];
  }

  async init(): Promise<void> {
    await mkdir(this.staging.dir, { recursive: true });
    // Partial staging files belong to stage requests a restart cut off.
    for (const name of await readdir(this.staging.dir)) if (name.endsWith('.part')) await rm(join(this.staging.dir, name), { force: true });
    for await (const image of this.records.images()) {
      if (image.status !== 'uploading' || image.pending) continue;
      if ((await this.staging.size(image.id)) === undefined) await this.setStatus(image.id, 'uploading', 'queued');
    }
  }

  private async setStatus(id: string, from: ImageRecord['status'], to: ImageRecord['status']): Promise<boolean> {
    return this.records.withImage(id, async () => {
      const image = await this.records.getImage(id);
      if (!image || image.status !== from) return false;
      image.status = to;
      image.updated_at = isoNow();
      await this.records.putImage(image);
      return true;
    });
  }

  /** PUT …/stage: the body goes to <staging>/<id>; the image is `uploading` from the start. */
  async stage(ctx: RequestContext, id: string, source: AsyncIterable<Buffer>, length: number | undefined): Promise<void> {
    const { image: seen, member } = await findImage(this.records, ctx, id);
    requireOwner(ctx, seen, member, 'stage data for');
    const cap = this.config.image_size_cap;
    if (length !== undefined && length > cap) throw new GlanceError(413, `Image exceeds the storage quota: the image size cap is ${cap} bytes`);
    await this.records.withImage(id, async () => {
      const image = await this.records.getImage(id);
      if (!image) throw imageNotFound(id);
      if (image.status !== 'queued') throw conflict(`Image status transition from ${image.status} to uploading is not allowed`);
      image.status = 'uploading';
      image.updated_at = isoNow();
      await this.records.putImage(image);
    });
    const part = this.staging.partPath(id);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > cap) done(new GlanceError(413, `Image exceeds the storage quota: the image size cap is ${cap} bytes`));
        else done(null, chunk);
      },
    });
    try {
      // Staged bytes count against the owner's storage quota as stored ones do.
      await this.quota.metered(seen.owner, source, length, async (metered) => {
        await pipeline(metered, counter, createWriteStream(part));
        if (length !== undefined && size !== length) throw badRequest(`The staged data ended after ${size} of ${length} bytes`);
        await rename(part, this.staging.path(id));
      });
      this.log.info({ image: id, size }, 'image data staged');
    } catch (err) {
      await rm(part, { force: true });
      await this.setStatus(id, 'uploading', 'queued');
      throw err instanceof GlanceError ? err : badRequest(`Staging the image data failed: ${(err as Error).message}`);
    }
  }

  /** POST …/import: checks the request, moves the image to `importing` and runs the import in the background. */
  async startImport(ctx: RequestContext, id: string, body: unknown, storeHeader: string | undefined): Promise<void> {
    const { name, uri } = importRequest(body, storeHeader, this.methods());
    const { image, member } = await findImage(this.records, ctx, id);
    requireOwner(ctx, image, member, 'import');
    const task = randomUUID();
    const bookkeeping = {
      onBegin: (img: ImageRecord) => importBookkeeping.begun(img, task),
      onActive: (img: ImageRecord) => importBookkeeping.succeeded(img),
      onRevert: (img: ImageRecord) => importBookkeeping.failed(img),
    };

    if (name === 'glance-direct') {
      if (image.status !== 'uploading') throw conflict("Image needs to be staged before 'glance-direct' method can be used");
      const path = this.staging.path(id);
      const size = await this.staging.size(id);
      if (size === undefined) throw conflict("Image needs to be staged before 'glance-direct' method can be used");
      const upload = await this.data.begin({ id, from: ['uploading'], during: 'importing', revertTo: 'uploading', ...bookkeeping });
      // The staged bytes were counted against the quota when they were staged: not again.
      this.run(id, task, upload, null, async () => ({ body: createReadStream(path), length: size }), () => rm(path, { force: true }));
      return;
    }
    // web-download
    if (typeof uri !== 'string') throw badRequest("The web-download method needs a 'uri'.");
    checkWebDownloadUri(uri, this.config);
    if (image.status !== 'queued') throw conflict("Image needs to be in 'queued' state to use 'web-download' method");
    const upload = await this.data.begin({ id, from: ['queued'], during: 'importing', revertTo: 'queued', ...bookkeeping });
    this.run(id, task, upload, image.owner, (signal) => openWebDownload(uri, this.config, signal), async () => undefined);
  }

  /**
   * Runs an import in the background: reads the source and writes it as the image's data
   * (counted against `quotaOwner`'s storage quota unless null). Any failure puts the image
   * back where it started with os_glance_failed_import, as Glance's failed import tasks.
   */
  private run(
    id: string,
    task: string,
    upload: PendingUpload,
    quotaOwner: string | null,
    open: (signal: AbortSignal) => Promise<{ body: Readable; length?: number }>,
    onSuccess: () => Promise<unknown>,
  ): void {
    const abort = new AbortController();
    this.running.set(id, abort);
    void (async () => {
      let source;
      try {
        source = await open(abort.signal);
      } catch (err) {
        this.log.warn({ image: id, task, err: (err as Error).message }, 'image import failed: the source could not be read');
        await this.data.revert(upload);
        return;
      }
      try {
        await this.quota.metered(quotaOwner, source.body, source.length, (body) => this.data.write(upload, body, source.length));
        await onSuccess();
        this.log.info({ image: id, task }, 'image import done');
      } catch (err) {
        source.body.destroy();
        // A refusal before the write began leaves the image importing: revert it (a write
        // that failed has reverted it already, and this does nothing).
        await this.data.revert(upload);
        this.log.warn({ image: id, task, err: (err as Error).message }, 'image import failed');
      }
    })()
      .catch((err) => this.log.error({ image: id, err }, 'image import task failed'))
      .finally(() => this.running.delete(id));
  }

  async discardStaged(id: string): Promise<void> {
    this.running.get(id)?.abort();
    await rm(this.staging.path(id), { force: true });
    await rm(this.staging.partPath(id), { force: true });
  }

  /** Bytes in the staging area (for /v2/info/usage). */
  stagedBytes(): Promise<number> {
    return this.staging.totalBytes();
  }

  /** Stops running imports (their images are reverted when the service starts again). */
  stop(): void {
    for (const abort of this.running.values()) abort.abort();
  }
}

/**
 * The body of POST …/import, checked as Glance's deserializer and get_stores_from_request
 * do: a method with a known name, boolean all_stores flags, and target stores (the body's
 * `stores` or the X-Image-Meta-Store header, not both) that exist; the one store here.
 */
function importRequest(body: unknown, storeHeader: string | undefined, methods: string[]): { name: string; uri: unknown } {
  const request = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; stores?: unknown; all_stores?: unknown; all_stores_must_succeed?: unknown };
  if (request.method === undefined) throw badRequest("Import request requires a 'method' field.");
  const method = (typeof request.method === 'object' && request.method !== null ? request.method : {}) as { name?: unknown; uri?: unknown };
  if (method.name === undefined) throw badRequest("Import request requires a 'name' field.");
  if (typeof method.name !== 'string' || !methods.includes(method.name)) throw badRequest(`Unknown import method name '${String(method.name)}'.`);
  for (const flag of ['all_stores_must_succeed', 'all_stores'] as const) {
    if (request[flag] !== undefined && typeof request[flag] !== 'boolean') throw badRequest(`'${flag}' must be boolean value only`);
  }
  let stores: unknown[];
  if (request.all_stores === true) {
    if (request.stores !== undefined || storeHeader !== undefined) throw badRequest("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    stores = [STORE_ID];
  } else if (request.stores !== undefined) {
    if (storeHeader !== undefined) throw badRequest("Stores parameter and x-image-meta-store header can't be both specified");
    if (!Array.isArray(request.stores)) throw badRequest("'stores' must be a list of store identifiers");
    stores = request.stores;
  } else stores = [storeHeader ?? STORE_ID];
  const unknown = stores.find((s) => s !== STORE_ID);
  if (unknown !== undefined) throw conflict(`Unknown scheme '${String(unknown)}' found in URI`);
  return { name: method.name, uri: method.uri };
}
