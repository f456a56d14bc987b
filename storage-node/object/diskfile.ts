// An object on disk: objects/<partition>/<suffix>/<hash>/ holding <timestamp>.data (body
// and metadata), <timestamp>.ts (tombstone) and <timestamp>.meta (a POST's metadata).
// The newest .data or .ts decides whether the object exists; the newest .meta newer than
// that .data applies over it; every other file is obsolete and removed after a write.
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Timestamp } from '../../common/timestamp.js';
import type { Device } from '../devices.js';
import { mkdirDurably, writeDurably } from '../durable.js';
import { diskFileCollision } from '../errors.js';
import { CorruptFileError, encodeTrailer, readTrailer, type Metadata } from './datafile.js';
import { isSysMeta } from '../metadata.js';
import { invalidateSuffix } from './hashes.js';

export interface ObjectLocation {
  device: Device;
  /** The naming hash (128-bit MD5 hex): the hash directory's name; its last 3 digits the suffix. */
  hash: string;
  dir: string;
  /** "/account/container/object", kept in every file's metadata. */
  name: string;
}

export function locateObject(device: Device, partition: string, hash: string, name: string): ObjectLocation {
  return { device, hash, name, dir: join(device.objects, partition, hash.slice(-3), hash) };
}

/** What is stored for an object; `Extra` is set on a stored object (e.g. an open handle). */
export type ObjectState<Extra = object> = { kind: 'missing' } | { kind: 'deleted'; timestamp: Timestamp } | (StoredObject & Extra);

export interface StoredObject {
  kind: 'object';
  dataTimestamp: Timestamp;
  /** X-Timestamp: the newest .meta's, else the .data's. */
  timestamp: Timestamp;
  /** When the current Content-Type was set: by the .data or by a later POST. */
  contentTypeTimestamp: Timestamp;
  /** What a GET shows: the .meta's metadata over the .data's. */
  metadata: Metadata;
  dataMetadata: Metadata;
  bodyLength: number;
}

export type Ext = 'data' | 'ts' | 'meta';
export interface OnDiskFile {
  timestamp: Timestamp;
  ext: Ext;
  name: string;
}

/** Keys of a .data's metadata that a .meta never replaces (Swift's reserved + system keys). */
const DATA_ONLY_KEYS = new Set(['name', 'content-length', 'etag', 'x-static-large-object']);
const FILE_RE = /^(\d{10}\.\d{5}(?:_[0-9a-f]{16})?)\.(data|ts|meta)$/;
const OPEN_RETRIES = 3;

/** The object's state. */
export async function readObject(location: ObjectLocation): Promise<ObjectState> {
  const state = await openObject(location);
  if (state.kind !== 'object') return state;
  const { handle, ...stored } = state;
  await handle.close();
  return stored;
}

/** The object's state, with `handle` open on the .data file when it exists; the caller closes it. */
export async function openObject(location: ObjectLocation): Promise<ObjectState<{ handle: FileHandle }>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openCurrent(location);
    } catch (err) {
      // A newer write removed a file between listing and opening it: look again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < OPEN_RETRIES) continue;
      if (err instanceof CorruptFileError) {
        await quarantine(location);
        return { kind: 'missing' };
      }
      throw err;
    }
  }
}

async function openCurrent(location: ObjectLocation): Promise<ObjectState<{ handle: FileHandle }>> {
  const { winner, meta } = await scan(location.dir);
  if (winner === undefined) return { kind: 'missing' };
  if (winner.ext === 'ts') {
    await readMarker(location, join(location.dir, winner.name));
    return { kind: 'deleted', timestamp: winner.timestamp };
  }
  const dataPath = join(location.dir, winner.name);
  const handle = await open(dataPath, 'r');
  try {
    const data = await readTrailer(handle, dataPath);
    checkStoredName(location, data.metadata, dataPath);
    if (String(data.bodyLength) !== data.metadata['Content-Length']) {
      throw new CorruptFileError(`${dataPath}: body is ${data.bodyLength} bytes, metadata says ${data.metadata['Content-Length']}`);
    }
    const applied = meta && { timestamp: meta.timestamp, metadata: await readMarker(location, join(location.dir, meta.name)) };
    return { ...merge(winner.timestamp, data.metadata, applied), bodyLength: data.bodyLength, handle };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A .ts or .meta file's metadata, checked to belong to the requested object. */
async function readMarker(location: ObjectLocation, path: string): Promise<Metadata> {
  const handle = await open(path, 'r');
  try {
    const { metadata } = await readTrailer(handle, path);
    checkStoredName(location, metadata, path);
    return metadata;
  } finally {
    await handle.close();
  }
}

/**
 * Every file carries its object's name: one under the requested name's hash directory
 * that names another object is a hash collision (403, Swift's DiskFileCollision) — never
 * served as, nor replaced by, the requested object. A file with no name is corrupt.
 */
function checkStoredName(location: ObjectLocation, metadata: Metadata, path: string): void {
  if (metadata.name === undefined) throw new CorruptFileError(`${path}: no name in its metadata`);
  if (metadata.name !== location.name) throw diskFileCollision(location.name);
}

/** Swift's DiskFile._construct_from_data_file: a .meta replaces all but the data's own keys. */
function merge(
  dataTimestamp: Timestamp,
  data: Metadata,
  applied: { timestamp: Timestamp; metadata: Metadata } | undefined,
): Omit<StoredObject, 'bodyLength'> {
  if (applied === undefined) {
    return { kind: 'object', dataTimestamp, timestamp: dataTimestamp, contentTypeTimestamp: dataTimestamp, metadata: data, dataMetadata: data };
  }
  const meta = applied.metadata;
  const metadata: Metadata = { ...meta };
  delete metadata['Content-Type-Timestamp'];
  for (const [key, value] of Object.entries(data)) {
    if (DATA_ONLY_KEYS.has(key.toLowerCase()) || isSysMeta('object', key)) metadata[key] = value;
  }
  const ctypeFromMeta = meta['Content-Type'] !== undefined && meta['Content-Type-Timestamp'] !== undefined;
  const contentTypeTimestamp = ctypeFromMeta ? Timestamp.parse(meta['Content-Type-Timestamp']!) : dataTimestamp;
  metadata['Content-Type'] = ctypeFromMeta ? meta['Content-Type']! : (data['Content-Type'] ?? 'application/octet-stream');
  return {
    kind: 'object',
    dataTimestamp,
    timestamp: applied.timestamp,
    contentTypeTimestamp,
    metadata,
    dataMetadata: data,
  };
}

/** The hash directory's files: the deciding .data/.ts, the applicable .meta, the rest. */
async function scan(dir: string): Promise<ClassifiedFiles> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  return classifyFiles(names);
}

export interface ClassifiedFiles {
  winner?: OnDiskFile;
  meta?: OnDiskFile;
  obsolete: OnDiskFile[];
}

/** Sorts a hash directory's file names into the deciding .data/.ts, the applicable .meta and the rest. */
export function classifyFiles(names: readonly string[]): ClassifiedFiles {
  const files: OnDiskFile[] = [];
  for (const name of names) {
    const file = parseFileName(name);
    if (file) files.push(file);
  }
  // Newest first; at one timestamp a tombstone beats data (as Swift's reverse name sort).
  const rank: Record<Ext, number> = { ts: 0, meta: 1, data: 2 };
  files.sort((a, b) => b.timestamp.compare(a.timestamp) || rank[a.ext] - rank[b.ext]);
  const winnerIndex = files.findIndex((f) => f.ext !== 'meta');
  if (winnerIndex < 0) return { obsolete: files };
  const winner = files[winnerIndex]!;
  const meta = winner.ext === 'data' ? files.slice(0, winnerIndex).find((f) => f.ext === 'meta') : undefined;
  return { winner, ...(meta ? { meta } : {}), obsolete: files.filter((f) => f !== winner && f !== meta) };
}

/** "<timestamp>.<data|ts|meta>", or undefined for any other name. */
export function parseFileName(name: string): OnDiskFile | undefined {
  const m = FILE_RE.exec(name);
  return m ? { timestamp: Timestamp.parse(m[1]!), ext: m[2] as Ext, name } : undefined;
}

/** Removes the files a newer .data/.ts/.meta made obsolete. */
export async function cleanupObject(location: ObjectLocation): Promise<void> {
  const { obsolete } = await scan(location.dir);
  await Promise.all(obsolete.map((f) => unlink(join(location.dir, f.name)).catch(() => {})));
}

/** Writes a tombstone (.ts) or a metadata update (.meta). */
export async function writeMarker(location: ObjectLocation, timestamp: Timestamp, ext: 'ts' | 'meta', metadata: Metadata): Promise<void> {
  const target = join(location.dir, `${timestamp.internal}.${ext}`);
  await writeDurably(location.device.tmp, target, encodeTrailer({ name: location.name, ...metadata, 'X-Timestamp': timestamp.internal }));
  await cleanupObject(location);
  await invalidateSuffix(location);
}

/**
 * Moves a hash directory with an unreadable or corrupt file to quarantined/objects/ and
 * invalidates its suffix, so the next replication pass restores a good copy.
 */
export async function quarantine(location: ObjectLocation): Promise<void> {
  // quarantined/objects/ for policy 0, quarantined/objects-N/ for policy N (as Swift).
  const dir = join(location.device.quarantined, basename(location.device.objects));
  const target = join(dir, `${location.hash}-${Date.now()}`);
  await mkdirDurably(dir);
  await rename(location.dir, target).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await invalidateSuffix(location);
}
