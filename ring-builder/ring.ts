// The read-only ring every process routes with: loaded from a ring file, it maps a path
// to its partition, primaries and handoffs, and reloads itself when the file changes.
import { statSync } from 'node:fs';
import { createPathHasher, partitionOf, type HashSecrets, type PathHasher } from '../common/path-hash.js';
import type { SwiftPath } from '../common/paths.js';
import type { Device } from './devices.js';
import { NO_DEVICE } from './rebalance.js';
import { readSealedFile, writeSealedFile } from './sealed-file.js';

export const RING_MAGIC = 'STOWRING';
export const RING_FORMAT_VERSION = 1;

export interface RingHeader {
  part_power: number;
  replicas: number;
  devs: (Device | null)[];
  builder_id: string;
  builder_version: number;
  created_at: string;
}

export interface RingData {
  header: RingHeader;
  replica2part2dev: Uint16Array[];
}

export async function writeRingFile(path: string, data: RingData): Promise<void> {
  await writeSealedFile(path, RING_MAGIC, RING_FORMAT_VERSION, data.header, data.replica2part2dev);
}

export async function readRingFile(path: string): Promise<RingData> {
  const { header, arrays } = await readSealedFile<RingHeader>(path, RING_MAGIC, RING_FORMAT_VERSION);
  const parts = 2 ** header.part_power;
  if (arrays.length !== header.replicas || arrays.some((a) => !(a instanceof Uint16Array) || a.length !== parts)) {
    throw new Error(`${path} does not hold ${header.replicas} replicas of ${parts} partitions`);
  }
  return { header, replica2part2dev: arrays as Uint16Array[] };
}

export interface RingOptions extends HashSecrets {
  /** How often to look at the file for changes; 0 checks on every lookup. */
  reloadIntervalMs?: number;
}

interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

const stampOf = (path: string): FileStamp => {
  const st = statSync(path);
  return { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
};

export class Ring {
  private data!: RingData;
  private stamp!: FileStamp;
  private nextCheckMs = 0;
  private reloading: Promise<void> | null = null;
  private regionCount = 0;
  private zoneCount = 0;
  private ipCount = 0;
  private liveDeviceCount = 0;

  private constructor(
    readonly path: string,
    private readonly hasher: PathHasher,
    private readonly reloadIntervalMs: number,
  ) {}

  static async load(path: string, options: RingOptions): Promise<Ring> {
    const ring = new Ring(path, await createPathHasher(options), options.reloadIntervalMs ?? 15_000);
    await ring.reload();
    return ring;
  }

  /** Reads the file again (atomic renames mean a reader never sees half a ring). */
  async reload(): Promise<void> {
    const stamp = stampOf(this.path);
    const data = await readRingFile(this.path);
    const devs = data.header.devs.filter((d): d is Device => d !== null);
    this.regionCount = new Set(devs.map((d) => d.region)).size;
    this.zoneCount = new Set(devs.map((d) => `${d.region}/${d.zone}`)).size;
    this.ipCount = new Set(devs.map((d) => `${d.region}/${d.zone}/${d.ip}`)).size;
    this.liveDeviceCount = devs.length;
    this.data = data;
    this.stamp = stamp;
    this.nextCheckMs = Date.now() + this.reloadIntervalMs;
  }

  /** Starts a reload in the background when the file changed; lookups go on meanwhile. */
  private maybeReload(): void {
    if (this.reloading || Date.now() < this.nextCheckMs) return;
    this.nextCheckMs = Date.now() + this.reloadIntervalMs;
    let stamp: FileStamp;
    try {
      stamp = stampOf(this.path);
    } catch {
      return; // keep serving the ring we have while the file is being replaced
    }
    if (stamp.mtimeMs === this.stamp.mtimeMs && stamp.size === this.stamp.size && stamp.ino === this.stamp.ino) return;
    this.reloading = this.reload()
      .catch(() => {}) // a bad new file leaves the old ring in service
      .finally(() => (this.reloading = null));
  }

  /** Resolves once any background reload started by a lookup has finished. */
  async settled(): Promise<void> {
    this.maybeReload();
    await this.reloading;
  }

  get partPower(): number {
    return this.data.header.part_power;
  }
  get replicas(): number {
    return this.data.header.replicas;
  }
  get partCount(): number {
    return 2 ** this.data.header.part_power;
  }
  get devices(): readonly (Device | null)[] {
    return this.data.header.devs;
  }

  getPart(account: string, container?: string, object?: string): number {
    const path: SwiftPath = { account };
    if (container !== undefined) path.container = container;
    if (object !== undefined) path.object = object;
    return partitionOf(this.hasher.hash(path), this.data.header.part_power);
  }

  /** The partition of a path and its primary devices, as Swift's ring.get_nodes. */
  getNodes(account: string, container?: string, object?: string): { part: number; nodes: Device[] } {
    this.maybeReload();
    const part = this.getPart(account, container, object);
    return { part, nodes: this.getPartNodes(part) };
  }

  /** The primaries of a partition, in replica order. */
  getPartNodes(part: number): Device[] {
    this.maybeReload();
    const { replica2part2dev, header } = this.data;
    const nodes: Device[] = [];
    for (const row of replica2part2dev) {
      const d = row[part]!;
      if (d !== NO_DEVICE && header.devs[d]) nodes.push(header.devs[d]!);
    }
    return nodes;
  }

  /**
   * Handoffs for a partition: a deterministic walk over other partitions' devices that
   * yields devices in regions the primaries do not use first, then other zones, then
   * other hosts, then any remaining device (Swift's get_more_nodes).
   */
  *getMoreNodes(part: number): Generator<Device> {
    this.maybeReload();
    const { replica2part2dev, header } = this.data;
    const devs = header.devs;
    const parts = this.partCount;
    const used = new Set<number>();
    const regions = new Set<number>();
    const zones = new Set<string>();
    const ips = new Set<string>();
    const note = (d: Device) => {
      used.add(d.id);
      regions.add(d.region);
      zones.add(`${d.region}/${d.zone}`);
      ips.add(`${d.region}/${d.zone}/${d.ip}`);
    };
    for (const d of this.getPartNodes(part)) note(d);

    const start = partitionOf(this.hasher.hash({ account: `handoff:${part}` }), this.partPower);
    const inc = Math.max(1, Math.floor(parts / 65536));
    const stages: Array<[(d: Device) => boolean, () => boolean]> = [
      [(d) => !regions.has(d.region), () => regions.size >= this.regionCount],
      [(d) => !zones.has(`${d.region}/${d.zone}`), () => zones.size >= this.zoneCount],
      [(d) => !ips.has(`${d.region}/${d.zone}/${d.ip}`), () => ips.size >= this.ipCount],
      [(d) => !used.has(d.id), () => used.size >= this.liveDeviceCount],
    ];
    for (const [isNew, exhausted] of stages) {
      for (let i = 0; i < parts && !exhausted(); i += inc) {
        const handoffPart = (start + i) % parts;
        for (const row of replica2part2dev) {
          const id = row[handoffPart]!;
          const dev = id === NO_DEVICE ? null : devs[id];
          if (dev && isNew(dev)) {
            note(dev);
            yield dev;
          }
        }
      }
    }
    // Devices no partition reaches (new, not yet rebalanced) still serve as last handoffs.
    for (const dev of devs) {
      if (dev && !used.has(dev.id)) {
        note(dev);
        yield dev;
      }
    }
  }
}
