// The devices of this node: <devices>/<device>/ directories, each with objects/,
// containers/, accounts/, tmp/, async_pending/ and quarantined/ (made on demand), and one
// LevelDB per device for container databases and one for account databases.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { insufficientStorage } from './errors.js';

export type DatabaseKind = 'containers' | 'accounts';
export type KvStore = Level<Buffer, unknown>;

/** Paths inside one device directory. */
export interface Device {
  name: string;
  root: string;
  objects: string;
  tmp: string;
  asyncPending: string;
  quarantined: string;
}

export class Devices {
  private readonly stores = new Map<string, Promise<KvStore>>();
  private closed = false;

  constructor(readonly root: string) {}

  /** The device's paths; 507 when <devices>/<name> is not a directory. */
  async get(name: string): Promise<Device> {
    const root = join(this.root, name);
    const isDir = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw insufficientStorage(name);
    return {
      name,
      root,
      objects: join(root, 'objects'),
      tmp: join(root, 'tmp'),
      asyncPending: join(root, 'async_pending'),
      quarantined: join(root, 'quarantined'),
    };
  }

  /** The device's LevelDB of one kind (<device>/<kind>/db), opened on first use. */
  async store(device: Device, kind: DatabaseKind): Promise<KvStore> {
    if (this.closed) throw new Error('the storage node is shutting down');
    const path = join(device.root, kind, 'db');
    let store = this.stores.get(path);
    if (store === undefined) {
      store = openStore(path);
      this.stores.set(path, store);
      // A failed open (e.g. a device that vanished) is retried by the next request.
      store.catch(() => this.stores.delete(path));
    }
    return store;
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = await Promise.allSettled(this.stores.values());
    this.stores.clear();
    await Promise.all(opened.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  }
}

async function openStore(path: string): Promise<KvStore> {
  await mkdir(path, { recursive: true });
  const store = new Level<Buffer, unknown>(path, { keyEncoding: 'buffer', valueEncoding: 'json' });
  await store.open();
  return store;
}
