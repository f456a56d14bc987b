// Pseudo-random object bodies, generated chunk by chunk (never one buffer the size of the
// object). AES-128-CTR over zeros is deterministic per seed, so a body can be generated again
// to check it, and runs at GB/s (about 4 GB/s here), so the generator never limits what it
// measures.
import { createCipheriv, createHash } from 'node:crypto';

export const CHUNK_BYTES = 1 << 20;

function keystream(seed: number) {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  key.write('stowage-bench', 4, 'latin1');
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** Yields `sizeBytes` pseudo-random bytes in chunks of at most CHUNK_BYTES. */
export function* randomChunks(sizeBytes: number, seed: number): Generator<Buffer> {
  const cipher = keystream(seed);
  const zeros = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(sizeBytes, 1)));
  for (let left = sizeBytes; left > 0; ) {
    const n = Math.min(left, zeros.length);
    yield cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
    left -= n;
  }
}

/** A whole small body in memory (small objects only). */
export function randomBuffer(sizeBytes: number, seed: number): Buffer {
  return Buffer.concat([...randomChunks(sizeBytes, seed)], sizeBytes);
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** The MD5 of the body randomChunks(sizeBytes, seed) yields, without holding it. */
export function md5OfRandom(sizeBytes: number, seed: number): string {
  const hash = createHash('md5');
  for (const chunk of randomChunks(sizeBytes, seed)) hash.update(chunk);
  return hash.digest('hex');
}
