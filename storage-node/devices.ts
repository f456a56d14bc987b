// The devices of this node: <devices>/<device>/ directories, each with objects/ (and
// objects-N/ per storage policy N), containers/, accounts/, tmp/, async_pending/ (and
// async_pending-N/) and quarantined/ (made on demand), and one
// LevelDB per device for container databases and one for account databases.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { DIR_MODE } from './durable.js';
import { badRequest, insufficientStorage } from './errors.js';

import { policyDirName } from '../common/storage-policy.js';

export type DatabaseKind = 'containers' | 'accounts';
export type KvStore = Level<Buffer, unknown>;

/** Paths inside one device directory (objects and async pendings: of one storage policy). */
export interface Device {
  name: string;
  root: string;
  objects: string;
  tmp: string;
  asyncPending: string;
  quarantined: string;
}

/**
 * The device as one storage policy's objects see it: objects-N/ and async_pending-N/ for
 * policy N (Swift's get_data_dir / get_async_dir), the device itself for policy 0. tmp/
 * and quarantined/ are shared (quarantined objects go to quarantined/objects-N/).
 */
export function policyDevice(device: Device, policyIndex: number): Device {
  if (policyIndex === 0) return device;
  return {
    ...device,
    objects: join(device.root, policyDirName('objects', policyIndex)),
    asyncPending: join(device.root, policyDirName('async_pending', policyIndex)),
  };
}

/**
 * How long a device found present is trusted without looking again. Every request names
 * a device; a stat per request went through libuv's thread pool and was the single most
 * costly file-system call of a small PUT. A device that vanishes is noticed within this.
 */
const DEVICE_CHECK_TTL_MS = 1000;

/**
 * Why `name` cannot be a device (a directory directly under the devices root), or
 * undefined when it can: it must be one path segment, so nothing it names lies outside.
 */
export function deviceNameProblem(name: string): string | undefined {
  if (name === '') return 'empty';
  if (name === '.' || name === '..') return 'not a directory name';
  if (name.includes('/')) return 'contains "/"';
  if (name.includes('\0')) return 'contains a NUL byte';
  return undefined;
}

export class Devices {
  private readonly stores = new Map<string, Promise<KvStore>>();
  /** Devices found present, with when that was last checked. */
  private readonly present = new Map<string, { device: Device; checkedMs: number }>();
  private closed = false;

  constructor(readonly root: string) {}

  /** The device's paths; 400 for a name that is not one path segment, 507 when <devices>/<name> is not a directory. */
  async get(name: string): Promise<Device> {
    // The HTTP layer checked already; this guards every other caller too.
    const problem = deviceNameProblem(name);
    if (problem !== undefined) throw badRequest(`Invalid device: ${JSON.stringify(name)}: ${problem}`);
    const now = Date.now();
    const known = this.present.get(name);
    if (known !== undefined && now - known.checkedMs < DEVICE_CHECK_TTL_MS) return known.device;
    const root = join(this.root, name);
    const isDir = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      this.present.delete(name);
      throw insufficientStorage(name);
    }
    const device = known?.device ?? {
      name,
      root,
      objects: join(root, 'objects'),
      tmp: join(root, 'tmp'),
      asyncPending: join(root, 'async_pending'),
      quarantined: join(root, 'quarantined'),
    };
    this.present.set(name, { device, checkedMs: now });
    return device;
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
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  const store = new Level<Buffer, unknown>(path, { keyEncoding: 'buffer', valueEncoding: 'json' });
  await store.open();
  return store;
}
