// The assignment of partition-replicas to devices. Three passes, each touching as few
// replicas as it can:
//   1. gather: take replicas off removed devices (always) and off tiers holding more
//      replicas of a partition than the plan allows (when the partition may move);
//   2. place: give each unassigned replica a device, walking the tier tree and taking at
//      each level the child with the most unfilled quota that may hold another replica;
//   3. balance: fill devices still under quota by pulling movable replicas straight from
//      devices over quota, where the move keeps the partition within the plan.
// A partition whose replica moved is not moved again for min_part_hours (Swift's rule).
import { LEVELS, type PlacementPlan } from './tiers.js';
import type { Random } from './random.js';

export const NO_DEVICE = 0xffff;

export interface Assignment {
  partCount: number;
  replicas: number;
  replica2part2dev: Uint16Array[];
  /** Per partition: unix seconds of its last move, 0 when it may move now. */
  lastMoved: Uint32Array;
}

export interface RebalanceOptions {
  plan: PlacementPlan;
  /** Devices whose replicas must leave whatever min_part_hours says. */
  removed: ReadonlySet<number>;
  minPartSeconds: number;
  nowSeconds: number;
  random: Random;
}

export function rebalanceAssignment(a: Assignment, opts: RebalanceOptions): void {
  const { plan, nowSeconds, random } = opts;
  const { tree, quota, maxPerPart } = plan;
  const { partCount, replicas, replica2part2dev: r2p2d, lastMoved } = a;
  const tierOf = tree.tierOf;
  const deviceIds = tierOf[0]!.length;
  const held = new Int32Array(tree.level.length); // replicas currently in each tier
  const heldByDevice = new Int32Array(deviceIds);

  const canMove = (p: number) =>
    lastMoved[p] === 0 || nowSeconds - lastMoved[p]! >= opts.minPartSeconds;
  const inPlan = (dev: number) => dev < deviceIds && tierOf[3]![dev]! >= 0;
  const count = (dev: number, delta: number) => {
    if (dev < deviceIds) heldByDevice[dev]! += delta;
    if (!inPlan(dev)) return;
    for (let t = tierOf[3]![dev]!; t >= 0; t = tree.parent[t]!) held[t]! += delta;
  };
  const devQuota = (dev: number) => (inPlan(dev) ? quota[tierOf[3]![dev]!]! : 0);
  const overQuota = (dev: number) => heldByDevice[dev]! - devQuota(dev);

  for (const row of r2p2d) for (let p = 0; p < partCount; p++) if (row[p] !== NO_DEVICE) count(row[p]!, 1);

  // Replicas of partition p per tier, recomputed on demand (replicas are few).
  const partCountIn = (p: number, tier: number, level: number) => {
    let n = 0;
    for (let r = 0; r < replicas; r++) {
      const d = r2p2d[r]![p]!;
      if (d !== NO_DEVICE && inPlan(d) && tierOf[level]![d] === tier) n++;
    }
    return n;
  };
  const unassign = (r: number, p: number) => {
    count(r2p2d[r]![p]!, -1);
    r2p2d[r]![p] = NO_DEVICE;
  };
  const assign = (r: number, p: number, dev: number) => {
    r2p2d[r]![p] = dev;
    count(dev, 1);
    lastMoved[p] = nowSeconds;
  };

  // 1. gather
  const pending: number[] = []; // r * partCount + p, in partition order
  for (let p = 0; p < partCount; p++) {
    for (let r = 0; r < replicas; r++) {
      const d = r2p2d[r]![p]!;
      if (d === NO_DEVICE) pending.push(r * partCount + p);
      else if (opts.removed.has(d)) {
        unassign(r, p);
        pending.push(r * partCount + p);
      }
    }
    if (!canMove(p)) continue;
    for (let r = 0; r < replicas; r++) {
      const d = r2p2d[r]![p]!;
      if (d === NO_DEVICE) continue;
      if (!inPlan(d) || crowded(p, d)) {
        unassign(r, p);
        pending.push(r * partCount + p);
      }
    }
  }
  pending.sort((x, y) => (x % partCount) - (y % partCount) || x - y);

  // Does device d's copy of p sit in a tier holding more copies than the plan allows?
  function crowded(p: number, d: number): boolean {
    for (let level = 0; level < LEVELS; level++) {
      const t = tierOf[level]![d]!;
      if (partCountIn(p, t, level) > maxPerPart[t]!) return true;
    }
    return false;
  }

  // 2. place
  for (const slot of pending) {
    const r = Math.floor(slot / partCount);
    const p = slot % partCount;
    assign(r, p, chooseDevice(p));
  }

  function chooseDevice(p: number): number {
    let tier = 0;
    let strict = true;
    while (tree.level[tier] !== 3) {
      let best = -1;
      let bestNeed = -Infinity;
      let bestHeld = Infinity;
      const kids = tree.children[tier]!;
      const level = tree.level[tier]! + 1;
      const offset = Math.floor(random() * kids.length); // fair ties
      for (let i = 0; i < kids.length; i++) {
        const c = kids[(i + offset) % kids.length]!;
        const here = partCountIn(p, c, level);
        if (here >= tree.deviceCount[c]!) continue; // every device below already has p
        if (strict && here >= maxPerPart[c]!) continue;
        const need = quota[c]! - held[c]!;
        // Strict: most unfilled quota. Relaxed: fewest copies of p first, then need.
        if (strict ? need > bestNeed : here < bestHeld || (here === bestHeld && need > bestNeed)) {
          best = c;
          bestNeed = need;
          bestHeld = here;
        }
      }
      if (best < 0) {
        if (!strict) throw new Error(`no device can take another replica of partition ${p}`);
        strict = false; // the plan cannot be met here: take the least-bad tier
        continue;
      }
      tier = best;
    }
    return tree.deviceOfTier[tier]!;
  }

  // 3. balance
  const order = [...Array(deviceIds).keys()].filter((d) => inPlan(d) && overQuota(d) < 0);
  order.sort((x, y) => overQuota(x) - overQuota(y) || x - y);
  let overTotal = 0;
  for (let d = 0; d < deviceIds; d++) overTotal += Math.max(0, overQuota(d));
  const step = 2 * Math.floor(random() * (partCount / 2)) + 1; // odd: visits every partition
  for (const e of order) {
    if (overTotal === 0) break;
    const start = Math.floor(random() * partCount);
    for (let i = 0; i < partCount && overQuota(e) < 0 && overTotal > 0; i++) {
      const p = (start + i * step) % partCount;
      if (!canMove(p)) continue;
      const from = pickDonorReplica(p, e);
      if (from < 0) continue;
      unassign(from, p);
      assign(from, p, e);
      overTotal--;
    }
  }

  // The replica of p on the most overloaded device that may move to e within the plan.
  function pickDonorReplica(p: number, e: number): number {
    let best = -1;
    let bestOver = 0;
    for (let r = 0; r < replicas; r++) {
      const d = r2p2d[r]![p]!;
      if (d === e) return -1;
      const over = overQuota(d);
      if (over > bestOver && allowsMove(p, d, e)) {
        best = r;
        bestOver = over;
      }
    }
    return best;
  }

  function allowsMove(p: number, from: number, to: number): boolean {
    for (let level = 0; level < LEVELS; level++) {
      const t = tierOf[level]![to]!;
      const leaving = inPlan(from) && tierOf[level]![from] === t ? 1 : 0;
      if (partCountIn(p, t, level) - leaving + 1 > maxPerPart[t]!) return false;
    }
    return true;
  }
}
