// Streams an image's bytes into the object store while computing its digests. An image
// whose length is known and fits one segment is one object; anything else is cut into
// segments under a prefix of its own and stored as a static large object. While one
// segment streams, up to segment_concurrency - 1 earlier ones may still be finishing
// (the object store answers a PUT only once its replicas are written). Any failure
// aborts the writes in flight; the caller then deletes every segment written (removeWritten).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { GlanceError, tooLarge } from '../errors.js';
import { ImageDigests } from './digests.js';
import type { SloSegment, SwiftClient } from './swift-client.js';

export interface WriteTarget {
  object: string;
  segmentPrefix: string;
}

export interface WrittenImage {
  checksum: string;
  os_hash_value: string;
  size: number;
  header: Buffer;
  segmented: boolean;
}

export interface WriteOptions {
  segmentSize: number;
  concurrency: number;
  sizeCap: number;
  /** The declared length (Content-Length), when there is one. */
  length?: number;
}

/** A body stream for one object PUT; it fails as soon as the PUT fails, so writers never hang. */
class ObjectStream {
  readonly stream = new PassThrough({ highWaterMark: 256 * 1024 });
  readonly done: Promise<string>;

  constructor(swift: SwiftClient, name: string, length?: number) {
    this.done = swift.putObject(name, this.stream, length);
    this.done.catch((err) => this.stream.destroy(err as Error));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.stream.destroyed) throw this.stream.errored ?? new Error('the object store stopped reading');
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}

function capError(cap: number): GlanceError {
  return tooLarge(`Image exceeds the storage quota: the image size cap is ${cap} bytes`);
}

export async function writeImage(swift: SwiftClient, source: AsyncIterable<Buffer>, target: WriteTarget, options: WriteOptions): Promise<WrittenImage> {
  if (options.length !== undefined && options.length > options.sizeCap) throw capError(options.sizeCap);
  await swift.ensureContainer();
  const digests = new ImageDigests();
  const single = options.length !== undefined && options.length <= options.segmentSize;
  const inflight: { name: string; size: number; done: Promise<string> }[] = [];
  let current: ObjectStream | null = null;
  let currentSize = 0;
  try {
    if (single) {
      current = new ObjectStream(swift, target.object, options.length);
      for await (const chunk of source) {
        await digests.update(chunk);
        if (digests.size > options.length!) throw new GlanceError(400, 'The image data is longer than its Content-Length');
        await current.write(chunk);
      }
      current.stream.end();
      await current.done;
    } else {
      for await (const chunk of source) {
        await digests.update(chunk);
        if (digests.size > options.sizeCap) throw capError(options.sizeCap);
        if (options.length !== undefined && digests.size > options.length) throw new GlanceError(400, 'The image data is longer than its Content-Length');
        let offset = 0;
        while (offset < chunk.length) {
          if (current === null) {
            await waitForSlot(inflight, options.concurrency);
            const name = `${target.segmentPrefix}${String(inflight.length + 1).padStart(8, '0')}`;
            // With a declared total, every segment's length is known and is sent as such.
            const start = digests.size - chunk.length + offset;
            const segmentLength = options.length !== undefined ? Math.min(options.segmentSize, options.length - start) : undefined;
            current = new ObjectStream(swift, name, segmentLength);
            currentSize = 0;
            inflight.push({ name, size: 0, done: current.done });
          }
          const take = Math.min(chunk.length - offset, options.segmentSize - currentSize);
          await current.write(offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
          offset += take;
          currentSize += take;
          inflight[inflight.length - 1]!.size = currentSize;
          if (currentSize === options.segmentSize) {
            current.stream.end();
            current = null;
          }
        }
      }
      current?.stream.end();
      current = null;
      const etags = await Promise.all(inflight.map((s) => s.done));
      if (inflight.length === 0) {
        await swift.putObject(target.object, '', 0);
      } else {
        const segments: SloSegment[] = inflight.map((s, i) => ({ path: `/${swift.container}/${s.name}`, etag: etags[i]!, size_bytes: s.size }));
        await swift.putManifest(target.object, segments);
      }
    }
    if (options.length !== undefined && digests.size !== options.length) {
      throw new GlanceError(400, `The image data ended after ${digests.size} of ${options.length} bytes`);
    }
    return { ...(await digests.finish()), segmented: !single };
  } catch (err) {
    digests.abort();
    // The caller deletes what was written (removeWritten), once nothing is in flight.
    current?.stream.destroy(err as Error);
    await Promise.allSettled(inflight.map((s) => s.done));
    throw err;
  }
}

async function waitForSlot(inflight: { done: Promise<string> }[], concurrency: number): Promise<void> {
  // Segments finish in order of start more or less; waiting on the oldest unfinished one keeps it bounded.
  const unfinished = inflight.length - concurrency + 1;
  if (unfinished > 0) await Promise.all(inflight.slice(0, unfinished).map((s) => s.done));
}

/** Deletes whatever an upload to `target` may have written: its object (a manifest or not), then its segments. */
export async function removeWritten(swift: SwiftClient, target: WriteTarget): Promise<void> {
  await swift.deleteObject(target.object);
  await swift.deletePrefix(target.segmentPrefix);
}
