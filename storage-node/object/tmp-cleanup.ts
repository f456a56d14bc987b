// Stale files in <device>/tmp: writes that never finished (a crash, a killed process, a
// client that vanished while the process died). Nothing ever renames them into place, so
// they are only wasted space; the storage node removes them at start and the replicator
// on every pass.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Removes files of every <devices>/<device>/tmp last modified before `beforeMs`; returns how many. */
export async function cleanStaleTmp(devicesDir: string, beforeMs: number): Promise<number> {
  let removed = 0;
  for (const device of await readdir(devicesDir).catch(() => [] as string[])) {
    const tmp = join(devicesDir, device, 'tmp');
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const path = join(tmp, name);
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile() && st.mtimeMs < beforeMs) {
        await unlink(path).then(
          () => removed++,
          () => {},
        );
      }
    }
  }
  return removed;
}
