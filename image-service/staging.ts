// The staging area of glance-direct imports: <data_dir>/staging/<image id>, written as
// <id>.part until the whole body has arrived. The importer writes and removes staged data;
// the storage quota counts it.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class StagingArea {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'staging');
  }

  /** Where an image's complete staged data lives. */
  path(id: string): string {
    return join(this.dir, id);
  }

  /** Where an image's data is written while it arrives. */
  partPath(id: string): string {
    return `${this.path(id)}.part`;
  }

  /** Bytes staged for the image, or undefined when nothing is. */
  size(id: string): Promise<number | undefined> {
    return stat(this.path(id)).then((s) => s.size, () => undefined);
  }

  /** Bytes in the whole staging area, partial files included. */
  async totalBytes(): Promise<number> {
    let total = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      total += await stat(join(this.dir, name)).then((s) => s.size, () => 0);
    }
    return total;
  }
}
