// What Glance computes while the bytes stream by: the MD5 checksum, the os_hash_value
// (sha512), the size, and the first bytes of the image, enough to read a qcow2 header.
// The two hashes run on worker threads (hash-threads.ts).
import { ThreadedHashes } from './hash-threads.js';

export const OS_HASH_ALGO = 'sha512';
const HEADER_BYTES = 512;

export class ImageDigests {
  private readonly hashes = new ThreadedHashes(['md5', OS_HASH_ALGO]);
  private readonly head: Buffer[] = [];
  private headLength = 0;
  size = 0;

  /** Counts and queues `chunk`; resolves once the hashes are not too far behind. */
  update(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (this.headLength < HEADER_BYTES) {
      const part = chunk.subarray(0, HEADER_BYTES - this.headLength);
      this.head.push(Buffer.from(part));
      this.headLength += part.length;
    }
    return this.hashes.update(chunk);
  }

  async finish(): Promise<{ checksum: string; os_hash_value: string; size: number; header: Buffer }> {
    const [checksum, osHashValue] = await this.hashes.digest();
    return { checksum: checksum!, os_hash_value: osHashValue!, size: this.size, header: Buffer.concat(this.head) };
  }

  /** Abandons the hashes of an upload that failed. */
  abort(): void {
    this.hashes.drop();
  }
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/**
 * The virtual (guest-visible) size of an image: qcow2's header field at offset 24, the
 * byte size for raw; null where the format is not inspected.
 */
export function virtualSize(diskFormat: string | null, header: Buffer, size: number): number | null {
  if (diskFormat === 'raw') return size;
  if (diskFormat === 'qcow2') {
    if (header.length < 32 || header.readUInt32BE(0) !== QCOW2_MAGIC) return null;
    const value = header.readBigUInt64BE(24);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
  }
  return null;
}
