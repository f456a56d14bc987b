// Placement hashing: xxhash64(hash_prefix + "/a[/c[/o]]" + hash_suffix). The top
// part_power bits give the partition. (Swift uses MD5 here; see docs/ring.md.)
import xxhash from 'xxhash-wasm';
import { joinPath, type SwiftPath } from './paths.js';

export interface HashSecrets {
  hashPrefix: string;
  hashSuffix: string;
}

export interface PathHasher {
  /** The 64-bit placement hash of a path. */
  hash(path: SwiftPath): bigint;
  /** The same hash as 16 lowercase hex digits: an object's directory name on disk. */
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
    hashHex: (path) => h64(salt(path)).toString(16).padStart(16, '0'),
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
