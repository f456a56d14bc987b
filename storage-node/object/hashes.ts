// Suffix hashes (Swift's hashes.pkl): for each partition, one MD5 per suffix directory
// over the names of the files it holds, so two replicas of a partition compare in one
// small request and only the suffixes that differ are looked at file by file.
//
// <part>/hashes.json caches the hashes; every write appends its suffix to
// <part>/hashes.invalid (after its file is in place), and the next reader recomputes just
// those suffixes. hashes.json remembers how far into hashes.invalid it has read (and the
// file's inode), so an append racing a reader is never lost: it is read next time. When
// hashes.invalid grows large it is renamed away and every suffix is recomputed, which
// covers any append still landing in the renamed file.
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FILE_MODE } from '../durable.js';
import { classifyFiles, type ObjectLocation } from './diskfile.js';

export type SuffixHashes = Record<string, string>;

interface HashesFile {
  hashes: SuffixHashes;
  /** Inode of the hashes.invalid read so far (0: none). */
  invalidIno: number;
  /** Bytes of it already applied. */
  invalidRead: number;
  /** When every suffix was last recomputed (ms since the epoch). */
  fullAt: number;
}

export interface HashOptions {
  /** Suffixes to recompute whatever the cache says (e.g. just pushed to). */
  recalculate?: readonly string[];
  /** Tombstones older than this (seconds) are removed while hashing. */
  reclaimAgeS: number;
  /** Recompute every suffix when the last full pass is older than this (ms). */
  fullEveryMs?: number;
  nowMs?: number;
}

const HASHES = 'hashes.json';
const INVALID = 'hashes.invalid';
const ROTATE_INVALID_BYTES = 64 * 1024;
const SUFFIX_RE = /^[0-9a-f]{3}$/;
/** A full recompute now and then catches what nothing invalidated (e.g. files changed by hand). */
const DEFAULT_FULL_EVERY_MS = 3600_000;

export const partitionDirOf = (location: ObjectLocation) => dirname(dirname(location.dir));
export const suffixOf = (hash: string) => hash.slice(-3);

/** Marks the object's suffix as changed; call after its new file is in place. */
export async function invalidateSuffix(location: ObjectLocation): Promise<void> {
  await appendFile(join(partitionDirOf(location), INVALID), `${suffixOf(location.hash)}\n`, { mode: FILE_MODE }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err; // the partition is gone: nothing left to compare
  });
}

/** One consolidation at a time per partition in this process. */
const locks = new Map<string, Promise<unknown>>();

function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.catch(() => {});
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return next;
}

/** The partition's suffix hashes, recomputing those invalidated since the last call. */
export function getHashes(partDir: string, options: HashOptions): Promise<SuffixHashes> {
  return withLock(partDir, () => consolidate(partDir, options));
}

async function consolidate(partDir: string, options: HashOptions): Promise<SuffixHashes> {
  const now = options.nowMs ?? Date.now();
  const state = await readState(partDir);
  const todo = new Set(options.recalculate ?? []);
  let full = state === undefined || now - state.fullAt > (options.fullEveryMs ?? Math.min(DEFAULT_FULL_EVERY_MS, options.reclaimAgeS * 1000));
  const invalidPath = join(partDir, INVALID);
  const invalid = await stat(invalidPath).catch(() => undefined);
  let invalidIno = 0;
  let invalidRead = 0;
  if (invalid) {
    const from = state && state.invalidIno === invalid.ino && invalid.size >= state.invalidRead ? state.invalidRead : 0;
    const { suffixes, consumed } = await readInvalid(invalidPath, from, invalid.size);
    for (const s of suffixes) todo.add(s);
    invalidIno = invalid.ino;
    invalidRead = from + consumed;
    if (invalidRead > ROTATE_INVALID_BYTES) {
      const aside = `${invalidPath}.${randomBytes(4).toString('hex')}`;
      await rename(invalidPath, aside);
      await unlink(aside).catch(() => {});
      invalidIno = 0;
      invalidRead = 0;
      full = true;
    }
  }
  const hashes: SuffixHashes = full ? {} : { ...(state?.hashes ?? {}) };
  const suffixes = full ? await listSuffixes(partDir) : [...todo];
  for (const suffix of suffixes) {
    if (!SUFFIX_RE.test(suffix)) continue;
    const hash = await hashSuffix(join(partDir, suffix), options.reclaimAgeS, now);
    if (hash === undefined) delete hashes[suffix];
    else hashes[suffix] = hash;
  }
  const next: HashesFile = { hashes, invalidIno, invalidRead, fullAt: full ? now : state!.fullAt };
  // Most calls (a peer asking, nothing written since) change nothing: no write then.
  if (!full && suffixes.length === 0 && state!.invalidIno === invalidIno && state!.invalidRead === invalidRead) return hashes;
  await writeState(partDir, next).catch((err: NodeJS.ErrnoException) => {
    // The partition was removed meanwhile (a handoff pushed away): nothing to cache.
    if (err.code !== 'ENOENT') throw err;
  });
  return hashes;
}

async function readState(partDir: string): Promise<HashesFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(partDir, HASHES), 'utf8')) as HashesFile;
    if (typeof parsed.hashes !== 'object' || typeof parsed.fullAt !== 'number') return undefined;
    return parsed;
  } catch {
    return undefined; // missing or torn: recompute everything
  }
}

/** The cache can always be rebuilt from the files, so it is renamed into place without fsync. */
async function writeState(partDir: string, state: HashesFile): Promise<void> {
  const tmp = join(partDir, `.${HASHES}.${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(state), { mode: FILE_MODE });
  await rename(tmp, join(partDir, HASHES)).catch(async (err) => {
    await unlink(tmp).catch(() => {});
    throw err;
  });
}

/** The suffixes listed between `from` and the last complete line. */
async function readInvalid(path: string, from: number, size: number): Promise<{ suffixes: string[]; consumed: number }> {
  if (size <= from) return { suffixes: [], consumed: 0 };
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    const text = buffer.subarray(0, bytesRead).toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    return { suffixes: text.slice(0, end).split('\n').filter(Boolean), consumed: end };
  } finally {
    await handle.close();
  }
}

async function listSuffixes(partDir: string): Promise<string[]> {
  const names = await readdir(partDir).catch(() => [] as string[]);
  return names.filter((n) => SUFFIX_RE.test(n));
}

const listDir = (dir: string) =>
  readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as string[];
    throw err;
  });

/**
 * The MD5 over a suffix's hash directories and their current files, cleaning up on the
 * way: obsolete files are removed, tombstones older than `reclaimAgeS` are reclaimed,
 * and empty directories go. Undefined when the suffix holds nothing.
 */
async function hashSuffix(suffixDir: string, reclaimAgeS: number, nowMs: number): Promise<string | undefined> {
  const md5 = createHash('md5');
  let any = false;
  for (const hash of (await listDir(suffixDir)).sort()) {
    const files = await currentFiles(join(suffixDir, hash), reclaimAgeS, nowMs);
    if (files.length === 0) continue;
    any = true;
    md5.update(`${hash}:${files.join(',')};`);
  }
  if (!any) {
    await rmdir(suffixDir).catch(() => {}); // not empty: a write is landing right now
    return undefined;
  }
  return md5.digest('hex');
}

/** The names of the files that matter in a hash directory, after cleanup and reclaim. */
export async function currentFiles(hashDir: string, reclaimAgeS: number, nowMs: number): Promise<string[]> {
  const { winner, meta, obsolete } = classifyFiles(await listDir(hashDir));
  const remove = obsolete.map((f) => f.name);
  let keep = [winner, meta].filter((f) => f !== undefined).map((f) => f.name);
  if (winner?.ext === 'ts' && winner.timestamp.seconds < nowMs / 1000 - reclaimAgeS) {
    remove.push(winner.name);
    keep = [];
  }
  await Promise.all(remove.map((name) => unlink(join(hashDir, name)).catch(() => {})));
  if (keep.length === 0) await rmdir(hashDir).catch(() => {});
  return keep.sort();
}

/** For each hash directory of the given suffixes, its current files (what a peer compares). */
export async function listObjects(partDir: string, suffixes: readonly string[], reclaimAgeS: number): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const now = Date.now();
  for (const suffix of suffixes) {
    if (!SUFFIX_RE.test(suffix)) continue;
    for (const hash of await listDir(join(partDir, suffix))) {
      const files = await currentFiles(join(partDir, suffix, hash), reclaimAgeS, now);
      if (files.length > 0) out[hash] = files;
    }
  }
  return out;
}
