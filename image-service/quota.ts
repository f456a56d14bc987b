// Glance's user_storage_quota: the bytes of a project's images — stored in the object
// store, and staged for import — may not pass one limit together. An upload is checked
// before it begins (its declared length must fit what remains) and while it streams
// (every chunk is counted), so a chunked upload is cut the moment it passes the limit and
// is then discarded as any failed upload is: nothing of it stays. Uploads of one project
// that stream at the same time count each other's bytes as they arrive, and bytes that
// finish (settle into a record or a staged file) during another upload's run are counted
// for it too, so two parallel uploads cannot each fit alone and pass together.
import { GlanceError } from './errors.js';
import type { Records } from './records.js';
import type { StagingArea } from './staging.js';

/** Glance's answer (StorageQuotaFull inside "Image exceeds the storage quota"), 413. */
export function storageQuotaFull(size: number | undefined, remaining: number): GlanceError {
  return new GlanceError(
    413,
    `Image exceeds the storage quota: The size of the data ${size ?? 'None'} will exceed the limit. ${Math.max(remaining, 0)} bytes remaining.`,
  );
}

interface ProjectUploads {
  /** Uploads running now. */
  running: number;
  /** Bytes those uploads have received and not yet settled. */
  inflight: number;
  /** Bytes of uploads that settled since the first of the running ones began (only ever grows). */
  settled: number;
}

export class StorageQuota {
  private readonly projects = new Map<string, ProjectUploads>();

  /** `limit_bytes` 0: no limit. */
  constructor(
    private readonly limit_bytes: number,
    private readonly records: Records,
    private readonly staging: StagingArea,
  ) {}

  /** Bytes the project holds: its images' stored data and their staged data. */
  async usage(project: string): Promise<number> {
    let total = 0;
    for await (const image of this.records.images()) {
      if (image.owner !== project) continue;
      total += image.size ?? 0;
      if (image.status === 'uploading' || image.status === 'importing') total += (await this.staging.size(image.id)) ?? 0;
    }
    return total;
  }

  /**
   * Runs `write` on `source` counted against the owner's quota: 413 before anything is
   * read when the declared `length` does not fit (or nothing remains), 413 from the
   * stream as soon as the bytes that arrived pass it. `write` must have stored the data
   * for good (record or staged file) when it resolves.
   */
  async metered<T>(
    owner: string | null,
    source: AsyncIterable<Buffer>,
    length: number | undefined,
    write: (source: AsyncIterable<Buffer>) => Promise<T>,
  ): Promise<T> {
    if (this.limit_bytes === 0 || owner === null) return write(source);
    const uploads = this.begin(owner);
    let taken = 0;
    let stored = false;
    try {
      const settledBefore = uploads.settled;
      const held = await this.usage(owner);
      const remaining = () => this.limit_bytes - held - (uploads.settled - settledBefore) - uploads.inflight;
      if (length !== undefined ? length > remaining() : remaining() <= 0) throw storageQuotaFull(length, remaining());
      async function* meter(): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          taken += chunk.length;
          uploads.inflight += chunk.length;
          if (remaining() < 0) throw storageQuotaFull(taken, remaining() + taken);
          yield chunk;
        }
      }
      const result = await write(meter());
      stored = true;
      return result;
    } finally {
      uploads.inflight -= taken;
      if (stored) uploads.settled += taken;
      if (--uploads.running === 0) this.projects.delete(owner);
    }
  }

  private begin(owner: string): ProjectUploads {
    let uploads = this.projects.get(owner);
    if (!uploads) {
      uploads = { running: 0, inflight: 0, settled: 0 };
      this.projects.set(owner, uploads);
    }
    uploads.running++;
    return uploads;
  }
}
