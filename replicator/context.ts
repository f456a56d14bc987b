// What every daemon pass gets: this node's devices and settings, the placement hasher, a
// logger, and the rings (loaded on first use; a loaded ring reloads itself when its file
// changes). Daemons added later take the same context, so the CLI and the storage node
// run them all the same way.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { PathHasher } from '../common/path-hash.js';
import { objectRingName } from '../common/storage-policy.js';
import { Ring, type Device as RingDevice } from '../ring-builder/index.js';
import type { StorageConfig } from '../storage-node/index.js';

export type RingKind = 'object' | 'container' | 'account';
/** A ring file's name: a kind, or `object-N` (storage policy N's object ring). */
export type RingName = RingKind | `object-${number}`;

export interface DaemonContext {
  devicesDir: string;
  hasher: PathHasher;
  log: FastifyBaseLogger;
  config: StorageConfig;
  /** The ring of a kind (or a policy's object ring) from `ring_dir`; rejects with a clear message when there is none. */
  ring(kind: RingName): Promise<Ring>;
}

export class NoRingError extends Error {
  readonly code = 'ERR_NO_RING';
}

export function createDaemonContext(config: StorageConfig, hasher: PathHasher, log: FastifyBaseLogger): DaemonContext {
  const rings = new Map<RingName, Promise<Ring>>();
  return {
    devicesDir: config.devices,
    hasher,
    log,
    config,
    ring(kind) {
      let ring = rings.get(kind);
      if (ring === undefined) {
        ring = loadRing(config, kind);
        rings.set(kind, ring);
        ring.catch(() => rings.delete(kind)); // try again next pass
      }
      return ring.then(async (r) => {
        await r.settled(); // a long-running daemon sees a rewritten ring on its next pass
        return r;
      });
    },
  };
}

/**
 * The object ring of every storage policy this node knows. A policy whose ring file is
 * missing is skipped (logged); with none at all, the pass fails as "no ring yet".
 */
export async function policyRings(ctx: DaemonContext): Promise<Array<{ policyIndex: number; ring: Ring }>> {
  const found: Array<{ policyIndex: number; ring: Ring }> = [];
  let missing: unknown;
  for (const policy of ctx.config.policies.all) {
    try {
      found.push({ policyIndex: policy.index, ring: await ctx.ring(objectRingName(policy.index)) });
    } catch (err) {
      if (!(err instanceof NoRingError)) throw err;
      missing ??= err;
      ctx.log.warn({ policy: policy.name, err: err.message }, 'no object ring for this storage policy: its objects are left alone');
    }
  }
  if (found.length === 0 && missing !== undefined) throw missing;
  return found;
}

async function loadRing(config: StorageConfig, kind: RingName): Promise<Ring> {
  if (config.ring_dir === undefined) throw new NoRingError('no ring_dir: set it in the config file (or STOWAGE_RING_DIR)');
  const path = join(config.ring_dir, `${kind}.ring`);
  if (!existsSync(path)) throw new NoRingError(`no ${kind} ring at ${path}`);
  return Ring.load(path, { ...config.hash, reloadIntervalMs: 1000 });
}

/**
 * The ring's devices this node holds (`mine`): a directory <devices>/<name> exists for them.
 * When several ring devices share a name (one per host), the node's bind_ip picks its own;
 * a name it cannot pick is `ambiguous` (its partitions must not be taken for handoffs).
 */
export function localRingDevices(ring: Ring, config: StorageConfig): { mine: Map<string, RingDevice>; ambiguous: Set<string> } {
  return sortRingDevices(ring, config);
}

function sortRingDevices(ring: Ring, config: StorageConfig): { mine: Map<string, RingDevice>; ambiguous: Set<string> } {
  const byName = new Map<string, RingDevice[]>();
  for (const d of ring.devices) {
    if (d && isDir(join(config.devices, d.device))) byName.set(d.device, [...(byName.get(d.device) ?? []), d]);
  }
  const mine = new Map<string, RingDevice>();
  const ambiguous = new Set<string>();
  for (const [name, devs] of byName) {
    const own = devs.length === 1 ? devs : devs.filter((d) => d.ip === config.bind_ip || d.replication_ip === config.bind_ip);
    if (own.length === 1) mine.set(name, own[0]!);
    else ambiguous.add(name);
  }
  return { mine, ambiguous };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
