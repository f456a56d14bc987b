// Writing an object's body: streamed into <device>/tmp with its MD5 and length computed
// on the way, then the metadata trailer appended, fsynced, and renamed into the hash
// directory. Until that rename nothing of the write is visible; abort() drops it.
import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Timestamp } from '../../common/timestamp.js';
import type { Device } from '../devices.js';
import { FILE_MODE, mkdirDurably, renameDurably, tmpPath } from '../durable.js';
import { encodeTrailer, type Metadata } from './datafile.js';
import { cleanupObject, type ObjectLocation } from './diskfile.js';
import { invalidateSuffix } from './hashes.js';

export class ObjectTooLargeError extends Error {
  readonly code = 'ERR_OBJECT_TOO_LARGE';
}

/** Streams a body into <device>/tmp, MD5 and length computed on the way; commit() puts it in place. */
export class DataFileWriter {
  readonly sink: HashingFileSink;

  private constructor(
    private readonly handle: FileHandle,
    private readonly tmp: string,
    maxBytes: number,
  ) {
    this.sink = new HashingFileSink(handle, maxBytes);
  }

  static async create(device: Device, maxBytes: number): Promise<DataFileWriter> {
    const tmp = tmpPath(device.tmp);
    return new DataFileWriter(await openCreating(device.tmp, tmp), tmp, maxBytes);
  }

  /** Appends the metadata trailer, fsyncs and renames into the hash directory. */
  async commit(location: ObjectLocation, timestamp: Timestamp, metadata: Metadata): Promise<void> {
    try {
      const trailer = encodeTrailer({ name: location.name, ...metadata, 'X-Timestamp': timestamp.internal });
      await this.handle.write(trailer, 0, trailer.length, this.sink.bytes);
      await this.handle.sync();
      await this.handle.close();
      await renameDurably(this.tmp, join(location.dir, `${timestamp.internal}.data`));
    } catch (err) {
      await this.abort();
      throw err;
    }
    await cleanupObject(location);
    await invalidateSuffix(location);
  }

  /** Drops the temporary file: nothing of this write becomes visible. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
    await unlink(this.tmp).catch(() => {});
  }
}

class HashingFileSink extends Writable {
  private readonly md5 = createHash('md5');
  private digest: string | undefined;
  bytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly maxBytes: number,
  ) {
    // Chunks that arrive while a write is in flight are written together (writev) with
    // the next one: up to 1 MiB per write, so a large body costs few thread-pool trips.
    super({ highWaterMark: WRITE_BATCH_BYTES });
  }

  /** The body's MD5 in hex; call once the body has ended. */
  get etag(): string {
    this.digest ??= this.md5.digest('hex');
    return this.digest;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    if (this.bytes + total > this.maxBytes) {
      callback(new ObjectTooLargeError(`the body is larger than ${this.maxBytes} bytes`));
      return;
    }
    for (const b of buffers) this.md5.update(b);
    const position = this.bytes;
    this.bytes += total;
    writeAll(this.handle, buffers, total, position).then(() => callback(), callback);
  }
}

const WRITE_BATCH_BYTES = 1 << 20;

/** Opens a new file in `dir`, making `dir` only when it is missing (once per device, not per write). */
async function openCreating(dir: string, path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdirDurably(dir);
    return await open(path, 'wx', FILE_MODE);
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[], total: number, position: number): Promise<void> {
  let done = (await handle.writev(buffers, position)).bytesWritten;
  if (done === total) return;
  const data = Buffer.concat(buffers); // a short write: rare, finish it the simple way
  while (done < total) {
    const { bytesWritten } = await handle.write(data, done, total - done, position + done);
    done += bytesWritten;
  }
}
