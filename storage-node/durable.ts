// Making files durable on a device: write under <device>/tmp, fsync, rename into place,
// fsync the directories that changed. A reader sees the old state or the new, never a mix.
// Everything a storage node creates is its user's alone (FILE_MODE, DIR_MODE): object
// bodies and metadata are tenants' data, and no other local user needs to read them.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** Mode of every file a storage node creates: .data/.ts/.meta, tmp files, async pendings. */
export const FILE_MODE = 0o600;
/** Mode of every directory a storage node creates. */
export const DIR_MODE = 0o700;

/**
 * Makes what this process creates owner-only even where it passes no mode itself: the
 * LevelDB files of the container and account databases. Called by the storage node's
 * and the daemons' entry points, never by a library.
 */
export function useOwnerOnlyUmask(): void {
  process.umask(0o077);
}

export function tmpPath(tmpDir: string): string {
  return join(tmpDir, randomBytes(12).toString('hex'));
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p, then fsync the parent of every directory it created. */
export async function mkdirDurably(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return;
  const created = relative(dirname(first), dir).split('/').length;
  let parent = dirname(dir);
  for (let i = 0; i < created; i++) {
    await fsyncDir(parent);
    parent = dirname(parent);
  }
}

/** Moves a fsynced temporary file to `target`, creating its directory, and fsyncs it. */
export async function renameDurably(tmp: string, target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await mkdirDurably(dirname(target));
    try {
      await rename(tmp, target);
      break;
    } catch (err) {
      // The replicator removes directories it finds empty; one may go between mkdir and rename.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
  await fsyncDir(dirname(target));
}

/** Writes a small file atomically and durably. */
export async function writeDurably(tmpDir: string, target: string, data: Uint8Array): Promise<void> {
  await mkdir(tmpDir, { recursive: true, mode: DIR_MODE });
  const tmp = tmpPath(tmpDir);
  const handle = await open(tmp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await renameDurably(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
