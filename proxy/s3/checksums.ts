// The additional checksums S3 clients send with uploads (x-amz-checksum-<algorithm>, as
// a header or an aws-chunked trailer): CRC32, CRC32C, SHA-1 and SHA-256, each computed
// incrementally over the bytes as they stream past and compared in S3's base64 form.
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const isChecksumAlgorithm = (name: string): name is ChecksumAlgorithm =>
  (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const crcBase64 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
};

export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** The checksum in S3's form (base64 of the big-endian digest). */
  digest(): string;
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  if (algorithm === 'sha1' || algorithm === 'sha256') {
    const hash: Hash = createHash(algorithm);
    return { algorithm, update: (data) => void hash.update(data), digest: () => hash.digest('base64') };
  }
  let value = 0;
  const fn = algorithm === 'crc32' ? crc32 : crc32c;
  return { algorithm, update: (data) => void (value = fn(data, value)), digest: () => crcBase64(value) };
}
