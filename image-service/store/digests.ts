// What Glance computes while the bytes stream by: the MD5 checksum, the os_hash_value
// (sha512), the size, and the first bytes of the image, enough to read a qcow2 header.
import { createHash, type Hash } from 'node:crypto';

export const OS_HASH_ALGO = 'sha512';
const HEADER_BYTES = 512;

export class ImageDigests {
  private readonly md5: Hash = createHash('md5');
  private readonly sha: Hash = createHash(OS_HASH_ALGO);
  private readonly head: Buffer[] = [];
  private headLength = 0;
  size = 0;

  update(chunk: Buffer): void {
    this.md5.update(chunk);
    this.sha.update(chunk);
    this.size += chunk.length;
    if (this.headLength < HEADER_BYTES) {
      const part = chunk.subarray(0, HEADER_BYTES - this.headLength);
      this.head.push(Buffer.from(part));
      this.headLength += part.length;
    }
  }

  finish(): { checksum: string; os_hash_value: string; size: number; header: Buffer } {
    return { checksum: this.md5.digest('hex'), os_hash_value: this.sha.digest('hex'), size: this.size, header: Buffer.concat(this.head) };
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
