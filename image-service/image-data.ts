// Image data: uploads (PUT …/file, and imports) move an image through Glance's states
// (queued → saving → active, or back where it came from on failure), downloads stream it
// back, deletes remove it. Data that could not be deleted at once (the object store was
// down, or the service restarted in the middle of an upload) is kept on a garbage list in
// the records and deleted by a background sweep.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ImageServiceConfig } from './config.js';
import { GlanceError, StorageError, badRequest, conflict } from './errors.js';
import { importBookkeeping, isoNow, type ImageRecord, type ImageStatus, type StoredData } from './image.js';
import type { Records } from './records.js';
import { OS_HASH_ALGO, virtualSize } from './store/digests.js';
import { removeWritten, writeImage } from './store/image-writer.js';
import type { SwiftClient } from './store/swift-client.js';

export interface UploadStart {
  id: string;
  /** Statuses the image may be in for this write, and the status it has while writing. */
  from: ImageStatus[];
  during: ImageStatus;
  /** Where the image goes back to when the write fails. */
  revertTo: ImageStatus;
  /** Checks on the image (policy) before anything changes. */
  check?: (image: ImageRecord) => void;
  /** Changes to the record when the write begins, succeeds or fails (import bookkeeping). */
  onBegin?: (image: ImageRecord) => void;
  onActive?: (image: ImageRecord) => void;
  onRevert?: (image: ImageRecord) => void;
}

/** A write that has begun: the image is in its `during` status and owns `target`. */
export interface PendingUpload {
  start: UploadStart;
  target: StoredData;
}

const GC_INTERVAL_MS = 30_000;

export class ImageData {
  private gcTimer: NodeJS.Timeout | null = null;
  private gcRunning: Promise<void> | null = null;

  constructor(
    private readonly config: ImageServiceConfig,
    private readonly records: Records,
    readonly swift: SwiftClient,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Uploads in one go: begin, then write. */
  async upload(start: UploadStart, source: AsyncIterable<Buffer>, length?: number): Promise<ImageRecord> {
    return this.write(await this.begin(start), source, length);
  }

  /** Moves the image into its `during` status (or throws: 404, 409 wrong status, 400 formats unset). */
  async begin(start: UploadStart): Promise<PendingUpload> {
    const object = `${start.id}/${randomUUID()}`;
    const target: StoredData = { object, segmentPrefix: `${object}/`, segmented: false };
    await this.records.withImage(start.id, async () => {
      const image = await this.records.getImage(start.id);
      if (!image) throw new GlanceError(404, `No image found with ID ${start.id}`);
      start.check?.(image);
      if (!start.from.includes(image.status)) {
        throw conflict(`Image status transition from ${image.status} to ${start.during} is not allowed`);
      }
      if (image.disk_format === null || image.container_format === null) {
        throw badRequest('Properties disk_format, container_format must be set prior to saving data.');
      }
      image.status = start.during;
      start.onBegin?.(image);
      image.pending = { object, segmentPrefix: target.segmentPrefix, revertTo: start.revertTo, started_at: isoNow() };
      image.updated_at = isoNow();
      await this.records.putImage(image);
    });
    return { start, target };
  }

  /** Puts the image back in its `revertTo` status (nothing was written, or what was is discarded). */
  async revert(upload: PendingUpload): Promise<void> {
    await this.records.withImage(upload.start.id, async () => {
      const image = await this.records.getImage(upload.start.id);
      if (!image || image.pending?.object !== upload.target.object) return;
      image.status = upload.start.revertTo;
      delete image.pending;
      upload.start.onRevert?.(image);
      image.updated_at = isoNow();
      await this.records.putImage(image);
    });
  }

  /** Writes the data; resolves with the active image, or throws with the image back in `revertTo`. */
  async write(upload: PendingUpload, source: AsyncIterable<Buffer>, length?: number): Promise<ImageRecord> {
    const { start, target } = upload;
    const id = start.id;
    let written;
    try {
      written = await writeImage(this.swift, source, target, {
        segmentSize: this.config.segment_size_bytes,
        concurrency: this.config.segment_concurrency,
        sizeCap: this.config.image_size_cap,
        ...(length !== undefined ? { length } : {}),
      });
    } catch (err) {
      await this.discard(target, `upload of ${id} failed`);
      await this.revert(upload);
      this.log.warn({ image: id, err: (err as Error).message }, 'image upload failed; image reverted');
      throw err instanceof GlanceError ? err : new GlanceError(err instanceof StorageError ? 503 : 400, `Error in store: the image data could not be stored: ${(err as Error).message}`);
    }

    target.segmented = written.segmented;
    return this.records.withImage(id, async () => {
      const image = await this.records.getImage(id);
      if (!image || image.pending?.object !== target.object) {
        // Deleted (or reset) while the data was being written: the data has no image.
        await this.discard(target, `image ${id} deleted during upload`);
        throw new GlanceError(410, `Image ${id} could not be found after upload. The image may have been deleted during the upload.`);
      }
      image.status = 'active';
      image.checksum = written.checksum;
      image.os_hash_algo = OS_HASH_ALGO;
      image.os_hash_value = written.os_hash_value;
      image.size = written.size;
      image.virtual_size = virtualSize(image.disk_format, written.header, written.size);
      image.data = target;
      delete image.pending;
      start.onActive?.(image);
      image.updated_at = isoNow();
      await this.records.putImage(image);
      this.log.info({ image: id, size: written.size, segmented: written.segmented }, 'image data stored');
      return image;
    });
  }

  /**
   * Deletes stored data now (and its garbage-list entry, if any), or puts it on the garbage
   * list when the object store fails; true when it is gone.
   */
  async discard(data: StoredData, why: string): Promise<boolean> {
    try {
      await removeWritten(this.swift, data);
      await this.records.clearGarbage(data.object);
      return true;
    } catch (err) {
      this.log.warn({ object: data.object, why, err: (err as Error).message }, 'data not deleted yet; the garbage sweep will retry');
      await this.records.addGarbage(data.object, { data, since: isoNow() });
      return false;
    }
  }

  /**
   * After a restart: writes that were in progress will never finish. Their images go back
   * to the status they had before, and what they wrote goes on the garbage list.
   */
  async recover(): Promise<number> {
    const stale: ImageRecord[] = [];
    for await (const image of this.records.images()) if (image.pending) stale.push(image);
    for (const { id } of stale) {
      await this.records.withImage(id, async () => {
        const image = await this.records.getImage(id);
        if (!image?.pending) return;
        const { object, segmentPrefix, revertTo } = image.pending;
        await this.records.addGarbage(object, { data: { object, segmentPrefix, segmented: true }, since: isoNow() });
        this.log.warn({ image: id, was: image.status, now: revertTo }, 'write interrupted by a restart; image reverted');
        image.status = revertTo;
        delete image.pending;
        if (image.properties.os_glance_import_task !== undefined) importBookkeeping.failed(image);
        image.updated_at = isoNow();
        await this.records.putImage(image);
      });
    }
    return stale.length;
  }

  /** Deletes what is on the garbage list (entries that fail stay for the next sweep). */
  sweep(): Promise<void> {
    this.gcRunning ??= (async () => {
      for (const [key, entry] of await this.records.garbage()) {
        try {
          await removeWritten(this.swift, entry.data);
          await this.records.clearGarbage(key);
          this.log.info({ object: entry.data.object }, 'garbage data deleted');
        } catch (err) {
          this.log.warn({ object: entry.data.object, err: (err as Error).message }, 'garbage data still not deleted');
        }
      }
    })().finally(() => {
      this.gcRunning = null;
    });
    return this.gcRunning;
  }

  startSweeping(): void {
    void this.sweep();
    this.gcTimer = setInterval(() => void this.sweep(), GC_INTERVAL_MS);
    this.gcTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await this.gcRunning;
  }
}
