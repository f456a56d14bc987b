// Running the daemons as operators do (`bin/stowage <daemon> --once`) against a
// TestCluster, and looking at replicas directly on the storage nodes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import PQueue from 'p-queue';
import { quoteName } from '../../common/paths.js';
import type { Ring } from '../../ring-builder/index.js';
import type { TestCluster } from '../proxy/harness.js';
import type { ObjectReplicatorStats } from '../../replicator/object-replicator.js';

const STOWAGE = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));

/** What one object replicator pass reports (the line `--once` prints). */
export type ReplicatorFigures = ObjectReplicatorStats;

/** `bin/stowage <daemon> --once` for one node (1-based); its figures. */
export async function runOnce<T = Record<string, number>>(cluster: TestCluster, index: number, daemon: string, extraArgs: string[] = []): Promise<T> {
  const node = cluster.nodes[index - 1]!;
  const args = [STOWAGE, daemon, '--once', '--config', cluster.configPath, '--devices', node.devicesDir, '--bind-ip', node.ip, ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `${daemon} on node ${index} failed:\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

/**
 * Replicator passes on every running node, one node after another, until a whole round
 * pushes nothing (bounded); returns the figures of every round.
 */
export async function replicateUntilQuiet(cluster: TestCluster, maxRounds = 6): Promise<ReplicatorFigures[]> {
  const rounds: ReplicatorFigures[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const sum: ReplicatorFigures = { partitionsChecked: 0, suffixesSynced: 0, objectsPushed: 0, bytesMoved: 0, handoffsRemoved: 0, failures: 0, tmpRemoved: 0, seconds: 0 };
    for (const node of cluster.nodes) {
      if (!node.child) continue;
      const figures = await runOnce<ReplicatorFigures>(cluster, node.index, 'replicator');
      for (const key of Object.keys(sum) as Array<keyof ReplicatorFigures>) sum[key] += figures[key];
    }
    rounds.push(sum);
    if (sum.objectsPushed === 0 && sum.handoffsRemoved === 0 && sum.failures === 0) return rounds;
  }
  assert.fail(`replication did not settle within ${maxRounds} rounds: ${JSON.stringify(rounds)}`);
}

export interface ReplicaAnswer {
  device: string;
  status: number;
  timestamp: string | null;
  etag: string | null;
}

/** HEAD of an object on each of its primaries, straight to the object servers. */
export async function headReplicas(ring: Ring, account: string, container: string, object: string): Promise<ReplicaAnswer[]> {
  const { part, nodes } = ring.getNodes(account, container, object);
  return Promise.all(
    nodes.map(async (node) => {
      const url = `http://${node.ip}:${node.port}/${node.device}/${part}/${[account, container, object].map(quoteName).join('/')}`;
      const res = await fetch(url, { method: 'HEAD' });
      return { device: node.device, status: res.status, timestamp: res.headers.get('x-backend-timestamp'), etag: res.headers.get('etag') };
    }),
  );
}

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function forEachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = new PQueue({ concurrency });
  await Promise.all(items.map((item) => queue.add(() => fn(item))));
}

/** Every object hash directory on a node: [device, partition, hash]. */
export function hashDirsOf(devicesDir: string): Array<{ device: string; part: number; hash: string }> {
  const out: Array<{ device: string; part: number; hash: string }> = [];
  for (const device of readdirSync(devicesDir)) {
    const objects = join(devicesDir, device, 'objects');
    if (!existsSync(objects)) continue;
    for (const part of readdirSync(objects)) {
      for (const suffix of readdirSync(join(objects, part))) {
        if (!/^[0-9a-f]{3}$/.test(suffix)) continue;
        for (const hash of readdirSync(join(objects, part, suffix))) out.push({ device, part: Number(part), hash });
      }
    }
  }
  return out;
}

/** Object copies lying on a device that is not one of their partition's primaries. */
export function misplacedCopies(cluster: TestCluster, ring: Ring): string[] {
  const out: string[] = [];
  for (const node of cluster.nodes) {
    for (const { device, part, hash } of hashDirsOf(node.devicesDir)) {
      if (!ring.getPartNodes(part).some((d) => d.device === device)) out.push(`${device}/${part}/${hash}`);
    }
  }
  return out;
}
