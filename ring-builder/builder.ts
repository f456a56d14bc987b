// RingBuilder: the editable state of a ring (devices, weights, the current assignment)
// and the operations swift-ring-builder offers on it. Saved as a sealed builder file;
// `ringData()` gives what the read-only Ring serves.
import { randomUUID } from 'node:crypto';
import { Device, DeviceQuery, DeviceSpecError, MAX_DEVICE_ID, NewDevice, checkNewDevice, matchesQuery } from './devices.js';
import { LEVELS, buildTierTree, evenSplitReplicas, planPlacement } from './tiers.js';
import { NO_DEVICE, rebalanceAssignment, type Assignment } from './rebalance.js';
import { seededRandom } from './random.js';
import { readSealedFile, writeSealedFile } from './sealed-file.js';
import type { RingData } from './ring.js';

export const MAX_BALANCE = 999.99;
const BUILDER_MAGIC = 'STOWBLDR';
const BUILDER_FORMAT_VERSION = 1;

export class RingBuilderError extends Error {
  readonly code = 'ERR_RING_BUILDER';
}

export interface RebalanceResult {
  /** Partition-replicas that changed device (swift-ring-builder's "Reassigned N"). */
  changed: number;
  balance: number;
  dispersion: number;
  removed: Device[];
  seed: number;
}

export interface DispersionReport {
  dispersion: number;
  /** Per tier name: how many partitions hold 0, 1, … replicas in it. */
  graph: Map<string, number[]>;
  /** Per tier name: the most replicas of one partition it should hold. */
  maxReplicas: Map<string, number>;
}

interface BuilderHeader {
  id: string;
  version: number;
  part_power: number;
  replicas: number;
  min_part_hours: number;
  overload: number;
  devs: (Device | null)[];
  removing: number[];
  devs_changed: boolean;
  last_rebalance_at: number;
  dispersion: number | null;
  built: boolean;
}

export function checkPartPower(partPower: number): number {
  if (!Number.isInteger(partPower) || partPower < 1 || partPower > 32) {
    throw new RingBuilderError(`part power must be an integer from 1 to 32, not ${partPower}`);
  }
  return partPower;
}

function checkReplicas(replicas: number): number {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
    throw new RingBuilderError(`replicas must be an integer from 1 to 16, not ${replicas}`);
  }
  return replicas;
}

function checkMinPartHours(hours: number): number {
  if (!Number.isInteger(hours) || hours < 0 || hours > 0xffff) {
    throw new RingBuilderError(`min_part_hours must be an integer from 0 to 65535, not ${hours}`);
  }
  return hours;
}

export class RingBuilder {
  id = randomUUID().replaceAll('-', '');
  /** Bumped on every change, so a ring file can say which builder state it came from. */
  version = 0;
  devs: (Device | null)[] = [];
  /** Devices marked for removal: gone at the next rebalance. */
  readonly removing = new Set<number>();
  devsChanged = false;
  lastRebalanceAt = 0;
  dispersion: number | null = null;
  assignment: Assignment | null = null;

  private constructor(
    readonly partPower: number,
    readonly replicas: number,
    public minPartHours: number,
    public overload = 0,
  ) {}

  static create(partPower: number, replicas: number, minPartHours: number): RingBuilder {
    return new RingBuilder(checkPartPower(partPower), checkReplicas(replicas), checkMinPartHours(minPartHours));
  }

  get partCount(): number {
    return 2 ** this.partPower;
  }

  /** Devices that take part in placement: present and not marked for removal. */
  activeDevices(): Device[] {
    return this.devs.filter((d): d is Device => d !== null && !this.removing.has(d.id));
  }

  search(query: DeviceQuery): Device[] {
    return this.devs.filter((d): d is Device => d !== null && matchesQuery(d, query));
  }

  addDevice(input: NewDevice): Device {
    const spec = checkNewDevice({ ...input });
    const clash = this.activeDevices().find(
      (d) => d.ip === spec.ip && d.port === spec.port && d.device === spec.device,
    );
    if (clash) {
      throw new DeviceSpecError(`device ${spec.ip}:${spec.port}/${spec.device} already exists as d${clash.id}`);
    }
    let id = spec.id;
    if (id === undefined) {
      id = this.devs.findIndex((d, i) => d === null && !this.removing.has(i));
      if (id < 0) id = this.devs.length;
    } else if (!Number.isInteger(id) || id < 0 || this.devs[id]) {
      throw new DeviceSpecError(`device id ${id} is invalid or already in use`);
    }
    if (id > MAX_DEVICE_ID) throw new DeviceSpecError(`too many devices: ids stop at ${MAX_DEVICE_ID}`);
    const dev: Device = { ...spec, id };
    while (this.devs.length <= id) this.devs.push(null);
    this.devs[id] = dev;
    this.touch();
    return dev;
  }

  removeDevice(id: number): Device {
    const dev = this.requireDevice(id);
    this.removing.add(id);
    this.touch();
    return dev;
  }

  setWeight(id: number, weight: number): Device {
    const dev = this.requireDevice(id);
    if (!Number.isFinite(weight) || weight < 0) throw new DeviceSpecError(`invalid weight ${weight}`);
    dev.weight = weight;
    this.touch();
    return dev;
  }

  setOverload(overload: number): void {
    if (!Number.isFinite(overload) || overload < 0) {
      throw new RingBuilderError(`overload must be a number >= 0, not ${overload}`);
    }
    this.overload = overload;
    this.version++;
  }

  setMinPartHours(hours: number): void {
    this.minPartHours = checkMinPartHours(hours);
    this.version++;
  }

  /** Lets every partition move at the next rebalance, as if min_part_hours had passed. */
  pretendMinPartHoursPassed(): void {
    this.assignment?.lastMoved.fill(0);
    this.lastRebalanceAt = 0;
    this.version++;
  }

  minPartSecondsLeft(nowSeconds = Math.floor(Date.now() / 1000)): number {
    if (!this.lastRebalanceAt) return 0;
    return Math.max(0, this.minPartHours * 3600 - (nowSeconds - this.lastRebalanceAt));
  }

  private requireDevice(id: number): Device {
    const dev = this.devs[id];
    if (!dev) throw new DeviceSpecError(`no device with id ${id}`);
    return dev;
  }

  private touch(): void {
    this.devsChanged = true;
    this.version++;
  }

  rebalance(options: { seed?: number; nowSeconds?: number } = {}): RebalanceResult {
    const active = this.activeDevices();
    const weighted = active.filter((d) => d.weight > 0);
    if (active.length === 0) throw new RingBuilderError('the ring has no devices: add some before rebalancing');
    if (weighted.length === 0) throw new RingBuilderError('every device has weight 0: nothing can hold a partition');
    if (weighted.length < this.replicas) {
      throw new RingBuilderError(
        `${this.replicas} replicas need at least ${this.replicas} devices with weight above 0; there are ${weighted.length}`,
      );
    }
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    const assignment = this.assignment ?? {
      partCount: this.partCount,
      replicas: this.replicas,
      replica2part2dev: Array.from({ length: this.replicas }, () => new Uint16Array(this.partCount).fill(NO_DEVICE)),
      lastMoved: new Uint32Array(this.partCount),
    };
    const before = assignment.replica2part2dev.map((row) => row.slice());
    const plan = planPlacement(active, this.devs.length - 1, this.replicas, this.partCount, this.overload);
    rebalanceAssignment(assignment, {
      plan,
      removed: new Set(this.removing),
      minPartSeconds: this.minPartHours * 3600,
      nowSeconds,
      random: seededRandom(seed),
    });

    let changed = 0;
    assignment.replica2part2dev.forEach((row, r) => {
      const old = before[r]!;
      for (let p = 0; p < row.length; p++) if (row[p] !== old[p]) changed++;
    });
    const removed = [...this.removing].map((id) => this.devs[id]!);
    for (const id of this.removing) this.devs[id] = null;
    this.removing.clear();
    while (this.devs.length && this.devs[this.devs.length - 1] === null) this.devs.pop();

    this.assignment = assignment;
    if (changed > 0) this.lastRebalanceAt = nowSeconds;
    this.devsChanged = false;
    this.version++;
    this.dispersion = this.dispersionReport(false).dispersion;
    return { changed, balance: this.getBalance(), dispersion: this.dispersion, removed, seed };
  }

  /** Partition-replicas per device id. */
  partsPerDevice(): Int32Array {
    const parts = new Int32Array(this.devs.length);
    for (const row of this.assignment?.replica2part2dev ?? []) {
      for (let p = 0; p < row.length; p++) if (row[p]! < parts.length) parts[row[p]!]! += 1;
    }
    return parts;
  }

  /** Per device: how far (in %) its partition count is from its weight's share. */
  balancePerDevice(parts = this.partsPerDevice()): Map<number, number> {
    const active = this.activeDevices();
    const totalWeight = active.reduce((s, d) => s + d.weight, 0);
    const weightOfOnePart = totalWeight > 0 ? (this.partCount * this.replicas) / totalWeight : 0;
    const out = new Map<number, number>();
    for (const dev of active) {
      const have = parts[dev.id] ?? 0;
      if (dev.weight === 0) out.set(dev.id, have ? MAX_BALANCE : 0);
      else out.set(dev.id, (100 * have) / (dev.weight * weightOfOnePart) - 100);
    }
    return out;
  }

  /** The worst device's distance from its share, in % (swift-ring-builder's balance). */
  getBalance(): number {
    let worst = 0;
    for (const b of this.balancePerDevice().values()) worst = Math.max(worst, Math.abs(b));
    return worst;
  }

  /**
   * Swift's dispersion: the % of partition-replicas in a tier that holds more replicas
   * of their partition than an even spread over the tiers would put there.
   */
  dispersionReport(withGraph = true): DispersionReport {
    const active = this.activeDevices();
    const tree = buildTierTree(active, this.devs.length - 1);
    const maxAllowed = evenSplitReplicas(tree, this.replicas, Math.ceil);
    const graph = new Map<string, number[]>();
    const maxReplicas = new Map<string, number>();
    const rows = this.assignment?.replica2part2dev;
    if (!rows) return { dispersion: 0, graph, maxReplicas };
    const histogram = withGraph ? tree.name.map(() => new Array<number>(this.replicas + 1).fill(0)) : [];
    const tiers = new Int32Array(this.replicas);
    let atRisk = 0;
    for (let p = 0; p < this.partCount; p++) {
      let worst = 0;
      for (let level = 0; level < LEVELS; level++) {
        let excess = 0;
        for (let r = 0; r < this.replicas; r++) {
          const d = rows[r]![p]!;
          tiers[r] = d < tree.tierOf[level]!.length ? tree.tierOf[level]![d]! : -1;
        }
        for (let r = 0; r < this.replicas; r++) {
          const t = tiers[r]!;
          if (t < 0) {
            excess += 1; // a replica on a device with no weight is at risk by definition
            continue;
          }
          if (tiers.indexOf(t) !== r) continue; // count each tier once
          let n = 0;
          for (let q = r; q < this.replicas; q++) if (tiers[q] === t) n++;
          excess += Math.max(0, n - maxAllowed[t]!);
          if (withGraph) histogram[t]![n]! += 1;
        }
        worst = Math.max(worst, excess);
      }
      atRisk += worst;
    }
    if (withGraph) {
      tree.name.forEach((name, t) => {
        if (t === 0) return;
        const h = histogram[t]!;
        h[0] = this.partCount - h.reduce((a, b) => a + b, 0);
        graph.set(name, h);
        maxReplicas.set(name, maxAllowed[t]!);
      });
    }
    return { dispersion: (100 * atRisk) / (this.partCount * this.replicas), graph, maxReplicas };
  }

  /** Swift's required overload: how far a device must exceed its share for full dispersion. */
  requiredOverload(): number {
    const active = this.activeDevices();
    if (!active.some((d) => d.weight > 0)) return 0;
    return planPlacement(active, this.devs.length - 1, this.replicas, this.partCount, this.overload).requiredOverload;
  }

  /** Consistency checks on the assignment; throws RingBuilderError naming the problem. */
  validate(): void {
    const rows = this.assignment?.replica2part2dev;
    if (!rows) throw new RingBuilderError('the ring has not been rebalanced yet');
    for (let p = 0; p < this.partCount; p++) {
      for (let r = 0; r < this.replicas; r++) {
        const d = rows[r]![p]!;
        if (d === NO_DEVICE) throw new RingBuilderError(`partition ${p} replica ${r} has no device`);
        if (!this.devs[d]) throw new RingBuilderError(`partition ${p} replica ${r} is on unknown device ${d}`);
        for (let q = 0; q < r; q++) {
          if (rows[q]![p] === d) throw new RingBuilderError(`partition ${p} has two replicas on device ${d}`);
        }
      }
    }
  }

  /** What the ring file holds: the devices and the current assignment. */
  ringData(nowIso = new Date().toISOString()): RingData {
    if (!this.assignment) throw new RingBuilderError('the ring has not been rebalanced yet: run rebalance first');
    return {
      header: {
        part_power: this.partPower,
        replicas: this.replicas,
        devs: this.devs.map((d) => (d && !this.removing.has(d.id) ? d : null)),
        builder_id: this.id,
        builder_version: this.version,
        created_at: nowIso,
      },
      replica2part2dev: this.assignment.replica2part2dev,
    };
  }

  async save(path: string): Promise<void> {
    const header: BuilderHeader = {
      id: this.id,
      version: this.version,
      part_power: this.partPower,
      replicas: this.replicas,
      min_part_hours: this.minPartHours,
      overload: this.overload,
      devs: this.devs,
      removing: [...this.removing],
      devs_changed: this.devsChanged,
      last_rebalance_at: this.lastRebalanceAt,
      dispersion: this.dispersion,
      built: this.assignment !== null,
    };
    const arrays = this.assignment ? [...this.assignment.replica2part2dev, this.assignment.lastMoved] : [];
    await writeSealedFile(path, BUILDER_MAGIC, BUILDER_FORMAT_VERSION, header, arrays);
  }

  static async load(path: string): Promise<RingBuilder> {
    const { header: h, arrays } = await readSealedFile<BuilderHeader>(path, BUILDER_MAGIC, BUILDER_FORMAT_VERSION);
    const b = new RingBuilder(checkPartPower(h.part_power), checkReplicas(h.replicas), h.min_part_hours, h.overload);
    b.id = h.id;
    b.version = h.version;
    b.devs = h.devs;
    for (const id of h.removing) b.removing.add(id);
    b.devsChanged = h.devs_changed;
    b.lastRebalanceAt = h.last_rebalance_at;
    b.dispersion = h.dispersion;
    if (h.built) {
      const rows = arrays.slice(0, b.replicas) as Uint16Array[];
      const lastMoved = arrays[b.replicas] as Uint32Array | undefined;
      if (rows.length !== b.replicas || !lastMoved || rows.some((r) => r.length !== b.partCount)) {
        throw new RingBuilderError(`${path} does not hold ${b.replicas} replicas of ${b.partCount} partitions`);
      }
      b.assignment = { partCount: b.partCount, replicas: b.replicas, replica2part2dev: rows, lastMoved };
    }
    return b;
  }
}
