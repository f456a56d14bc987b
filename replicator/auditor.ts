// The object auditor: re-reads every object's current .data, of every storage policy, at
// a bounded rate (auditor_bytes_per_second), checks its length and MD5 against the
// metadata written with it, and moves a bad copy to <device>/quarantined/objects[-N]/,
// invalidating its suffix so the next replication pass restores a good copy from
// another replica.
import { createHash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Devices, policyDevice, type Device } from '../storage-node/index.js';
import { classifyFiles, CorruptFileError, locateObject, quarantine, readTrailer } from '../storage-node/object/index.js';
import type { DaemonContext } from './context.js';

export interface AuditorStats {
  objectsChecked: number;
  bytesChecked: number;
  quarantined: number;
  errors: number;
  seconds: number;
}

const READ_CHUNK_BYTES = 1 << 20;
const PROGRESS_EVERY_MS = 10_000;

/** Sleeps as needed so that reading stays under `bytesPerSecond` on average. */
class RateLimiter {
  private readonly started = Date.now();
  private bytes = 0;
  constructor(private readonly bytesPerSecond: number) {}
  async take(n: number): Promise<void> {
    this.bytes += n;
    const dueMs = (this.bytes / this.bytesPerSecond) * 1000 - (Date.now() - this.started);
    if (dueMs > 5) await sleep(dueMs);
  }
}

export async function runAuditorPass(ctx: DaemonContext): Promise<AuditorStats> {
  const started = Date.now();
  const stats: AuditorStats = { objectsChecked: 0, bytesChecked: 0, quarantined: 0, errors: 0, seconds: 0 };
  const limiter = new RateLimiter(ctx.config.auditor_bytes_per_second);
  const devices = new Devices(ctx.devicesDir);
  let lastProgress = started;
  try {
    for (const name of (await readdir(ctx.devicesDir).catch(() => [] as string[])).sort()) {
      const found = await devices.get(name).catch(() => null);
      if (!found) continue;
      // Every storage policy's objects (objects/, objects-N/); a bad copy goes to quarantined/objects[-N]/.
      for (const policy of ctx.config.policies.all) {
        const device = policyDevice(found, policy.index);
        for await (const hashDir of hashDirs(device)) {
          await auditObject(device, hashDir, limiter, stats, ctx);
          if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
            lastProgress = Date.now();
            ctx.log.info({ objectsChecked: stats.objectsChecked, bytesChecked: stats.bytesChecked, quarantined: stats.quarantined }, 'auditor progress');
          }
        }
      }
    }
  } finally {
    await devices.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  ctx.log.info({ ...stats }, 'auditor pass done');
  return stats;
}

interface HashDir {
  partition: string;
  hash: string;
  dir: string;
}

async function* hashDirs(device: Device): AsyncGenerator<HashDir> {
  const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
  for (const partition of await list(device.objects)) {
    if (!/^\d+$/.test(partition)) continue;
    for (const suffix of await list(join(device.objects, partition))) {
      if (!/^[0-9a-f]{3}$/.test(suffix)) continue;
      for (const hash of await list(join(device.objects, partition, suffix))) {
        yield { partition, hash, dir: join(device.objects, partition, suffix, hash) };
      }
    }
  }
}

async function auditObject(device: Device, at: HashDir, limiter: RateLimiter, stats: AuditorStats, ctx: DaemonContext): Promise<void> {
  const { winner } = classifyFiles(await readdir(at.dir).catch(() => [] as string[]));
  if (winner?.ext !== 'data') return;
  const path = join(at.dir, winner.name);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return; // replaced by a newer write meanwhile
  }
  let problem: string | undefined;
  let name = '';
  try {
    const { metadata, bodyLength } = await readTrailer(handle, path);
    name = metadata.name ?? '';
    if (metadata['Content-Length'] !== String(bodyLength)) {
      problem = `body is ${bodyLength} bytes, metadata says ${metadata['Content-Length']}`;
    } else {
      const md5 = createHash('md5');
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(1, bodyLength)));
      for (let position = 0; position < bodyLength; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, bodyLength - position), position);
        if (bytesRead === 0) throw new CorruptFileError(`${path}: ended early`);
        md5.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
        stats.bytesChecked += bytesRead;
        await limiter.take(bytesRead);
      }
      const etag = md5.digest('hex');
      if (etag !== metadata.ETag) problem = `MD5 of the body is ${etag}, metadata says ${metadata.ETag}`;
    }
    stats.objectsChecked++;
  } catch (err) {
    if (err instanceof CorruptFileError) problem = err.message;
    else {
      stats.errors++;
      ctx.log.error({ err, path }, 'could not audit an object');
    }
  } finally {
    await handle.close();
  }
  if (problem === undefined) return;
  await quarantine(locateObject(device, at.partition, at.hash, name));
  stats.quarantined++;
  ctx.log.warn({ path, problem }, 'object quarantined');
}
