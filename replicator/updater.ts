// The updater: replays async pendings — container and account updates that failed when
// the write happened — until every target has taken them. Replays are idempotent (every
// receiver keeps the newest timestamp), so retrying and reordering are safe.
import { readdir, rename, unlink, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import PQueue from 'p-queue';
import type { FastifyBaseLogger } from 'fastify';
import type { PathHasher } from '../common/path-hash.js';
import { DIR_MODE, Devices, UpdateSender, listAsyncPendings, policyDevice, readAsyncPending, type Device, type StorageConfig } from '../storage-node/index.js';

export interface UpdaterOptions {
  devicesDir: string;
  hasher: PathHasher;
  log: FastifyBaseLogger;
  timeoutMs?: number;
  concurrency?: number;
  /** The node's settings: their storage policies say which async_pending[-N] directories to replay (none: policy 0's). */
  config?: Pick<StorageConfig, 'policies'>;
}

export interface UpdaterStats {
  found: number;
  delivered: number;
  stillPending: number;
  unreadable: number;
  seconds: number;
}

/** One pass over every device's async_pending directory. */
export async function runUpdaterPass(options: UpdaterOptions): Promise<UpdaterStats> {
  const started = Date.now();
  const stats: UpdaterStats = { found: 0, delivered: 0, stillPending: 0, unreadable: 0, seconds: 0 };
  const devices = new Devices(options.devicesDir);
  const sender = new UpdateSender(options.hasher, options.timeoutMs ?? 5000, options.log);
  const queue = new PQueue({ concurrency: options.concurrency ?? 8 });
  try {
    const names = await readdir(options.devicesDir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const found = await devices.get(name).catch(() => null);
      if (!found) continue;
      // async_pending/ and each storage policy's async_pending-N/: a pending that fails
      // again is rewritten in its own directory (the sender writes to device.asyncPending).
      for (const policy of options.config?.policies.all ?? [{ index: 0 }]) {
        const device = policyDevice(found, policy.index);
        for await (const path of listAsyncPendings(device.root, basename(device.asyncPending))) {
          stats.found++;
          await queue.onSizeLessThan(64); // bounded memory however many files wait
          void queue.add(() => replay(device, path, sender, stats, options.log));
        }
      }
    }
    await queue.onIdle();
  } finally {
    await sender.close();
    await devices.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  options.log.info({ ...stats }, 'updater pass done');
  return stats;
}

async function replay(device: Device, path: string, sender: UpdateSender, stats: UpdaterStats, log: FastifyBaseLogger): Promise<void> {
  let pending;
  try {
    pending = await readAsyncPending(path);
  } catch (err) {
    // A damaged file can never be delivered: keep it for a human, out of the way.
    stats.unreadable++;
    log.error({ err, path }, 'unreadable async pending moved to quarantined/');
    await mkdir(join(device.quarantined, 'async_pending'), { recursive: true, mode: DIR_MODE });
    await rename(path, join(device.quarantined, 'async_pending', basename(path)));
    return;
  }
  const name = basename(path);
  const update = {
    method: pending.method as 'PUT' | 'DELETE',
    account: pending.account,
    container: pending.container,
    ...(pending.object === undefined ? {} : { object: pending.object }),
    headers: pending.headers,
    pendingTimestamp: name.slice(name.indexOf('-') + 1),
  };
  // On failure the sender rewrites this same file with only the targets still missing.
  const statuses = await sender.send(device, update, pending.targets);
  if (statuses.every((s) => s >= 200 && s < 300)) {
    await unlink(path).catch(() => {});
    stats.delivered++;
  } else {
    stats.stillPending++;
  }
}
