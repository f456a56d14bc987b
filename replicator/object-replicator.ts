// The object replicator: one pass over every partition of this node's devices, for each
// storage policy (its objects-N/ directories against its object-N ring). For each
// partition it asks every other primary for its suffix hashes (REPLICATE), and for the
// suffixes that differ, which files each object has; it then pushes only the files the
// peer lacks and that are newer than what the peer has (.data/.ts, then .meta), as
// replicated-file PUTs. A partition this device is not a primary for (a handoff, or a
// partition the ring moved away) is pushed to every primary and its files removed once
// all of them took it. Tombstones older than reclaim_age are reclaimed while hashing,
// and stale tmp/ files are removed.
import { open, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { Agent, request } from 'undici';
import { quoteName } from '../common/paths.js';
import type { Device as RingDevice, Ring } from '../ring-builder/index.js';
import { POLICY_INDEX_HEADER } from '../common/storage-policy.js';
import { Devices, policyDevice, type Device } from '../storage-node/index.js';
import { classifyFiles, readTrailer, getHashes, listObjects, cleanStaleTmp, type SuffixHashes } from '../storage-node/object/index.js';
import { localRingDevices, policyRings, type DaemonContext } from './context.js';

export interface ObjectReplicatorStats {
  partitionsChecked: number;
  suffixesSynced: number;
  objectsPushed: number;
  bytesMoved: number;
  handoffsRemoved: number;
  failures: number;
  tmpRemoved: number;
  seconds: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Partitions compared at once: mostly small REPLICATE round trips, so several overlap well. */
const PARTITION_CONCURRENCY = 12;
const PROGRESS_EVERY_MS = 10_000;

interface Peer {
  node: RingDevice;
  base: string;
}

/** One replication pass over every device of this node. */
export async function runObjectReplicatorPass(ctx: DaemonContext): Promise<ObjectReplicatorStats> {
  const started = Date.now();
  const stats: ObjectReplicatorStats = {
    partitionsChecked: 0,
    suffixesSynced: 0,
    objectsPushed: 0,
    bytesMoved: 0,
    handoffsRemoved: 0,
    failures: 0,
    tmpRemoved: 0,
    seconds: 0,
  };
  const rings = await policyRings(ctx);
  const reclaimAgeS = ctx.config.reclaim_age;
  stats.tmpRemoved = await cleanStaleTmp(ctx.devicesDir, started - reclaimAgeS * 1000);
  const agent = new Agent({ connections: ctx.config.replication_concurrency + PARTITION_CONCURRENCY, keepAliveTimeout: 10_000 });
  const pushes = new PQueue({ concurrency: ctx.config.replication_concurrency });
  const partitions = new PQueue({ concurrency: PARTITION_CONCURRENCY });
  const devices = new Devices(ctx.devicesDir);
  let total = 0;
  const progress = setInterval(() => {
    ctx.log.info({ partitionsChecked: stats.partitionsChecked, partitions: total, objectsPushed: stats.objectsPushed, bytesMoved: stats.bytesMoved }, 'object replication progress');
  }, PROGRESS_EVERY_MS);
  try {
    // Each policy's partitions (objects-N/ of every device) against that policy's ring.
    for (const { policyIndex, ring } of rings) {
      const job = new PartitionJob(ctx, ring, policyIndex, agent, pushes, stats, reclaimAgeS);
      const { mine: local, ambiguous } = localRingDevices(ring, ctx.config);
      for (const name of (await readdir(ctx.devicesDir).catch(() => [] as string[])).sort()) {
        const found = await devices.get(name).catch(() => null);
        if (!found) continue;
        const device = policyDevice(found, policyIndex);
        if (ambiguous.has(name)) {
          stats.failures++;
          ctx.log.error({ device: name, bind_ip: ctx.config.bind_ip }, 'several ring devices have this name and none has this node\'s bind_ip: device skipped (pass --bind-ip)');
          continue;
        }
        const parts = (await readdir(device.objects).catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
        total += parts.length;
        for (const part of parts) {
          await partitions.onSizeLessThan(PARTITION_CONCURRENCY * 2);
          void partitions.add(() =>
            job.replicate(device, local.get(name), Number(part)).catch((err) => {
              stats.failures++;
              ctx.log.error({ err, device: name, part, policy: policyIndex }, 'partition replication failed');
            }),
          );
        }
      }
      await partitions.onIdle();
    }
    await pushes.onIdle();
  } finally {
    clearInterval(progress);
    await agent.close();
    await devices.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  ctx.log.info({ ...stats }, 'object replication pass done');
  return stats;
}

class PartitionJob {
  /** Sent with every request to a peer, so it works in the same policy's directories. */
  private readonly policyHeaders: Record<string, string>;

  constructor(
    private readonly ctx: DaemonContext,
    private readonly ring: Ring,
    policyIndex: number,
    private readonly agent: Agent,
    private readonly pushes: PQueue,
    private readonly stats: ObjectReplicatorStats,
    private readonly reclaimAgeS: number,
  ) {
    this.policyHeaders = { [POLICY_INDEX_HEADER]: String(policyIndex) };
  }

  async replicate(device: Device, self: RingDevice | undefined, part: number): Promise<void> {
    if (part >= this.ring.partCount) {
      this.ctx.log.warn({ device: device.name, part }, 'partition beyond the ring (another part power?): left alone');
      return;
    }
    this.stats.partitionsChecked++;
    const partDir = join(device.objects, String(part));
    const primaries = this.ring.getPartNodes(part);
    const isPrimary = self !== undefined && primaries.some((d) => d.id === self.id);
    const peers: Peer[] = primaries
      .filter((d) => d.id !== self?.id)
      .map((node) => ({ node, base: `http://${hostOf(node)}/${encodeURIComponent(node.device)}/${part}` }));
    const local = await getHashes(partDir, { reclaimAgeS: this.reclaimAgeS });
    const suffixes = Object.keys(local);
    if (isPrimary && suffixes.length === 0) return; // nothing here to push; the peers push to us
    // A handoff removes exactly the files it saw and every primary confirmed; newer ones stay.
    const handoffFiles = isPrimary ? undefined : await listObjects(partDir, suffixes, this.reclaimAgeS);
    let allSynced = true;
    for (const peer of peers) {
      const ok = await this.syncWith(peer, partDir, local).catch((err) => {
        this.ctx.log.warn({ err: (err as Error).message, peer: peer.base }, 'could not replicate to a peer');
        return false;
      });
      if (!ok) {
        allSynced = false;
        this.stats.failures++;
      }
    }
    if (handoffFiles && allSynced && peers.length > 0) {
      await removeHandoff(partDir, handoffFiles);
      this.stats.handoffsRemoved++;
      this.ctx.log.info({ device: device.name, part }, 'handoff partition pushed to its primaries and removed');
    }
  }

  /** Brings one peer's copy of the partition up to this one; false when something failed. */
  private async syncWith(peer: Peer, partDir: string, local: SuffixHashes): Promise<boolean> {
    const remote = await this.replicateCall(peer, {});
    const differing = Object.keys(local).filter((s) => local[s] !== remote.hashes[s]);
    if (differing.length === 0) return true;
    const theirs = (await this.replicateCall(peer, { list: differing })).objects ?? {};
    const ours = await listObjects(partDir, differing, this.reclaimAgeS);
    const results: Array<Promise<boolean>> = [];
    for (const [hash, files] of Object.entries(ours)) {
      const dir = join(partDir, hash.slice(-3), hash);
      const toPush = filesToPush(files, theirs[hash]);
      if (toPush.length > 0) results.push(this.pushes.add(() => this.pushObject(peer, dir, toPush)) as Promise<boolean>);
    }
    const ok = (await Promise.all(results)).every(Boolean);
    await this.replicateCall(peer, { recalculate: differing });
    this.stats.suffixesSynced += differing.length;
    return ok;
  }

  /** Pushes an object's files in order (.data/.ts before .meta); false on a failure. */
  private async pushObject(peer: Peer, dir: string, files: string[]): Promise<boolean> {
    for (const file of files) {
      const outcome = await this.pushFile(peer, join(dir, file), file);
      if (outcome === 'failed') return false;
      if (outcome === 'pushed') this.stats.objectsPushed++;
    }
    return true;
  }

  private async pushFile(peer: Peer, path: string, fileName: string): Promise<'pushed' | 'skipped' | 'failed'> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'skipped'; // replaced by a newer write
      throw err;
    }
    let size: number;
    let name: string | undefined;
    let bodyLength: number;
    try {
      size = (await handle.stat()).size;
      const trailer = await readTrailer(handle, path);
      name = trailer.metadata.name;
      bodyLength = trailer.bodyLength;
    } catch (err) {
      await handle.close();
      this.ctx.log.warn({ err: (err as Error).message, path }, 'unreadable object file not pushed (the auditor will quarantine it)');
      return 'failed';
    }
    if (!name?.startsWith('/')) {
      await handle.close();
      return 'failed';
    }
    // The stream owns the handle from here: it closes it when read to the end or destroyed.
    const body = handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
    try {
      const res = await request(`${peer.base}${quoteName(name)}`, {
        method: 'PUT',
        headers: {
          ...this.policyHeaders,
          'x-backend-replication-file': fileName,
          'x-backend-replication-body-length': String(bodyLength),
          'x-timestamp': fileName.slice(0, fileName.lastIndexOf('.')),
          'content-length': String(size),
        },
        body,
        dispatcher: this.agent,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      const text = await res.body.text();
      if (res.statusCode === 201) {
        this.stats.bytesMoved += size;
        return 'pushed';
      }
      if (res.statusCode === 409) return 'skipped'; // the peer has it, or something newer
      this.ctx.log.warn({ status: res.statusCode, peer: peer.base, name, file: fileName, answer: text.slice(0, 200) }, 'push refused');
      return 'failed';
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, peer: peer.base, name }, 'push failed');
      return 'failed';
    } finally {
      body.destroy();
    }
  }

  private async replicateCall(peer: Peer, body: { list?: string[]; recalculate?: string[] }): Promise<{ hashes: SuffixHashes; objects?: Record<string, string[]> }> {
    const res = await request(`${peer.base}/REPLICATE`, {
      method: 'POST',
      headers: { ...this.policyHeaders, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: this.agent,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`REPLICATE answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as { hashes: SuffixHashes; objects?: Record<string, string[]> };
  }
}

const hostOf = (d: RingDevice) => {
  const ip = d.replication_ip || d.ip;
  return `${ip.includes(':') ? `[${ip}]` : ip}:${d.replication_port || d.port}`;
};

/**
 * Which of an object's current files a peer needs: our .data/.ts when it is newer than
 * the peer's, then our .meta when it is newer than the peer's and applies to the data
 * the peer will have.
 */
export function filesToPush(ours: readonly string[], theirs: readonly string[] | undefined): string[] {
  const mine = classifyFiles(ours);
  const peer = classifyFiles(theirs ?? []);
  const out: string[] = [];
  let winner = peer.winner;
  if (mine.winner && (!peer.winner || mine.winner.timestamp.compare(peer.winner.timestamp) > 0)) {
    out.push(mine.winner.name);
    winner = mine.winner;
  }
  const meta = mine.meta;
  if (
    meta &&
    winner?.ext === 'data' &&
    meta.timestamp.compare(winner.timestamp) > 0 &&
    (!peer.meta || meta.timestamp.compare(peer.meta.timestamp) > 0)
  ) {
    out.push(meta.name);
  }
  return out;
}

/** Removes the files listed (and the directories they leave empty), then the partition if nothing else is in it. */
async function removeHandoff(partDir: string, files: Record<string, string[]>): Promise<void> {
  const suffixes = new Set<string>();
  for (const [hash, names] of Object.entries(files)) {
    const dir = join(partDir, hash.slice(-3), hash);
    await Promise.all(names.map((n) => unlink(join(dir, n)).catch(() => {})));
    await rmdir(dir).catch(() => {}); // a newer write landed: keep it
    suffixes.add(hash.slice(-3));
  }
  for (const suffix of suffixes) await rmdir(join(partDir, suffix)).catch(() => {});
  const left = await readdir(partDir).catch(() => [] as string[]);
  if (left.every((n) => n.startsWith('hashes.') || n.startsWith('.hashes.'))) {
    await Promise.all(left.map((n) => unlink(join(partDir, n)).catch(() => {})));
    await rmdir(partDir).catch(() => {});
  }
}
