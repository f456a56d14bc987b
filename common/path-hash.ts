// Path hashing, two hashes of one salted string hash_prefix + "/a[/c[/o]]" + hash_suffix:
// - placement: xxhash64; the top part_power bits give the partition (Swift uses MD5
//   here; see docs/ring.md). 64 bits are plenty to spread partitions.
// - naming: MD5 (128 bits), as Swift's hash_path, names an object's hash directory and a
//   database's key on disk. Two names sharing a directory would be one object replacing
//   another, and at billions of objects 64 bits collide (birthday bound ~2^32); 128 do not.
import { createHash } from 'node:crypto';
import xxhash from 'xxhash-wasm';
import { joinPath, type SwiftPath } from './paths.js';

export interface HashSecrets {
  hashPrefix: string;
  hashSuffix: string;
}

export interface PathHasher {
  /** The 64-bit placement hash of a path. */
  hash(path: SwiftPath): bigint;
  /**
   * The 128-bit naming hash (MD5) as 32 lowercase hex digits: an object's hash directory
   * (its last 3 digits the suffix directory), a database's key, an async pending's name.
   */
  hashHex(path: SwiftPath): string;
  /** The top `partPower` bits of the hash. */
  partition(path: SwiftPath, partPower: number): number;
  /** 64-bit hash of arbitrary bytes, e.g. a file's checksum. */
  hashBytes(bytes: Uint8Array): bigint;
}

let hasherModule: Awaited<ReturnType<typeof xxhash>> | undefined;

export async function createPathHasher(secrets: HashSecrets): Promise<PathHasher> {
  hasherModule ??= await xxhash();
  const { h64, h64Raw } = hasherModule;
  const salt = (path: SwiftPath) => secrets.hashPrefix + joinPath(path) + secrets.hashSuffix;
  return {
    hash: (path) => h64(salt(path)),
    hashHex: (path) => createHash('md5').update(salt(path)).digest('hex'),
    partition: (path, partPower) => partitionOf(h64(salt(path)), partPower),
    hashBytes: (bytes) => h64Raw(bytes),
  };
}

/** The top `partPower` (1–32) bits of a 64-bit hash. */
export function partitionOf(hash: bigint, partPower: number): number {
  // The top 32 bits as a plain number, then a float division: no second BigInt shift.
  return Math.floor(Number(hash >> 32n) / 2 ** (32 - partPower));
}

/** The raw xxhash64 of bytes, for checksums of files that have no path. */
export async function hashBytes(bytes: Uint8Array): Promise<bigint> {
  hasherModule ??= await xxhash();
  return hasherModule.h64Raw(bytes);
}
