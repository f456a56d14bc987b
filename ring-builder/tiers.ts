// The failure-domain tree (root > region > zone > host (ip) > device) and what each
// tier should hold: Swift's weighted, wanted (most dispersed) and target replica counts,
// then whole-partition quotas and the most replicas of one partition a tier may hold.
import type { Device } from './devices.js';

export const LEVELS = 4; // region, zone, host, device (the root is level -1)
const EPSILON = 1e-9;

export interface TierTree {
  /** Tier 0 is the root; every other tier has a parent and a level 0..3. */
  level: Int8Array;
  parent: Int32Array;
  children: number[][];
  /** A readable key per tier: "r1", "r1z2", "r1z2-10.0.0.1", "r1z2-10.0.0.1/d7". */
  name: string[];
  weight: Float64Array;
  /** Devices under a tier with weight above zero. */
  deviceCount: Int32Array;
  /** tierOf[level][deviceId]: the device's tier at that level, -1 when it has none. */
  tierOf: Int32Array[];
  deviceOfTier: Int32Array;
}

export function buildTierTree(devices: readonly Device[], maxDeviceId: number): TierTree {
  const level: number[] = [-1];
  const parent: number[] = [-1];
  const children: number[][] = [[]];
  const name: string[] = [''];
  const byKey = new Map<string, number>();
  const tierOf = Array.from({ length: LEVELS }, () => new Int32Array(maxDeviceId + 1).fill(-1));
  const deviceOfTier: number[] = [-1];

  const tierFor = (key: string, lvl: number, parentTier: number, deviceId = -1) => {
    let t = byKey.get(key);
    if (t === undefined) {
      t = level.length;
      byKey.set(key, t);
      level.push(lvl);
      parent.push(parentTier);
      children.push([]);
      name.push(key);
      deviceOfTier.push(deviceId);
      children[parentTier]!.push(t);
    }
    return t;
  };

  // Sorted so that tier numbering, and so placement, does not depend on insertion order.
  const sorted = devices
    .filter((d) => d.weight > 0)
    .sort((a, b) => a.region - b.region || a.zone - b.zone || a.ip.localeCompare(b.ip) || a.id - b.id);
  for (const d of sorted) {
    const r = tierFor(`r${d.region}`, 0, 0);
    const z = tierFor(`r${d.region}z${d.zone}`, 1, r);
    const h = tierFor(`r${d.region}z${d.zone}-${d.ip}`, 2, z);
    const t = tierFor(`r${d.region}z${d.zone}-${d.ip}/d${d.id}`, 3, h, d.id);
    tierOf[0]![d.id] = r;
    tierOf[1]![d.id] = z;
    tierOf[2]![d.id] = h;
    tierOf[3]![d.id] = t;
  }

  const n = level.length;
  const weight = new Float64Array(n);
  const deviceCount = new Int32Array(n);
  for (const d of sorted) {
    for (let t = tierOf[3]![d.id]!; t >= 0; t = parent[t]!) {
      weight[t]! += d.weight;
      deviceCount[t]! += 1;
    }
  }
  return {
    level: Int8Array.from(level),
    parent: Int32Array.from(parent),
    children,
    name,
    weight,
    deviceCount,
    tierOf,
    deviceOfTier: Int32Array.from(deviceOfTier),
  };
}

/** Swift's _build_max_replicas_by_tier: an even split of the parent's share, weight-blind. */
export function evenSplitReplicas(tree: TierTree, replicas: number, bound: (x: number) => number): Float64Array {
  const out = new Float64Array(tree.level.length);
  const walk = (t: number, share: number) => {
    out[t] = tree.level[t] === 3 ? Math.min(1, share) : share;
    const kids = tree.children[t]!;
    for (const c of kids) walk(c, bound(out[t]! / kids.length));
  };
  walk(0, replicas);
  return out;
}

/** Replicas each tier holds if placement followed weight alone. */
function weightedReplicas(tree: TierTree, replicas: number): Float64Array {
  const out = new Float64Array(tree.level.length);
  const total = tree.weight[0]!;
  for (let t = 0; t < out.length; t++) out[t] = total > 0 ? (replicas * tree.weight[t]!) / total : 0;
  return out;
}

/**
 * Shares `total` among tiers in proportion to `weights`, each kept within [lo, hi]:
 * finds the multiplier λ with Σ clamp(λ·w, lo, hi) = total by bisection.
 */
function clampedShare(total: number, weights: number[], lo: number[], hi: number[]): number[] {
  const sumAt = (lambda: number) =>
    weights.reduce((s, w, i) => s + Math.min(hi[i]!, Math.max(lo[i]!, lambda * w)), 0);
  let low = 0;
  let high = 1;
  while (sumAt(high) < total - EPSILON && high < 1e12) high *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (sumAt(mid) < total) low = mid;
    else high = mid;
  }
  return weights.map((w, i) => Math.min(hi[i]!, Math.max(lo[i]!, high * w)));
}

/** Swift's wanted replicas: as dispersed as the tree allows, by weight within that. */
function wantedReplicas(tree: TierTree, replicas: number, weighted: Float64Array): Float64Array {
  const even = evenSplitReplicas(tree, replicas, (x) => x);
  const out = new Float64Array(tree.level.length);
  const place = (t: number, share: number) => {
    out[t] = share;
    const kids = tree.children[t]!;
    if (kids.length === 0) return;
    const caps = kids.map((c) => tree.deviceCount[c]!);
    let lo = kids.map((c) => Math.floor(even[c]! + EPSILON));
    let hi = kids.map((c, i) => Math.min(caps[i]!, Math.ceil(even[c]! - EPSILON)));
    if (hi.reduce((a, b) => a + b, 0) < share - EPSILON) hi = caps; // device-limited tier
    if (lo.reduce((a, b) => a + b, 0) > share + EPSILON) lo = kids.map(() => 0);
    const shares = clampedShare(share, kids.map((c) => weighted[c]!), lo, hi);
    kids.forEach((c, i) => place(c, shares[i]!));
  };
  place(0, replicas);
  return out;
}

export interface PlacementPlan {
  tree: TierTree;
  /** Replicas per partition each tier should hold on average. */
  target: Float64Array;
  /** Whole partition-replicas each tier should hold; children sum to their parent. */
  quota: Int32Array;
  /** The most replicas of one partition a tier may hold. */
  maxPerPart: Int32Array;
  requiredOverload: number;
}

export function planPlacement(
  devices: readonly Device[],
  maxDeviceId: number,
  replicas: number,
  partCount: number,
  overload: number,
): PlacementPlan {
  const tree = buildTierTree(devices, maxDeviceId);
  const weighted = weightedReplicas(tree, replicas);
  const wanted = wantedReplicas(tree, replicas, weighted);

  // Overload lets a device take more than its weight share so that dispersion holds;
  // target moves from weighted toward wanted as far as the operator allows (Swift's rule).
  let requiredOverload = 0;
  for (let t = 0; t < weighted.length; t++) {
    if (tree.level[t] === 3 && weighted[t]! > 0) {
      requiredOverload = Math.max(requiredOverload, (wanted[t]! - weighted[t]!) / weighted[t]!);
    }
  }
  const target = new Float64Array(weighted.length);
  if (requiredOverload <= EPSILON) {
    target.set(wanted);
  } else {
    const used = Math.min(overload, requiredOverload);
    for (let t = 0; t < target.length; t++) {
      target[t] = weighted[t]! + ((wanted[t]! - weighted[t]!) * used) / requiredOverload;
    }
    // Keep every tier's children summing to the tier (the blend is not exact per level).
    const rescale = (t: number) => {
      const kids = tree.children[t]!;
      const sum = kids.reduce((s, c) => s + target[c]!, 0);
      for (const c of kids) {
        if (sum > 0) target[c] = (target[c]! * target[t]!) / sum;
        rescale(c);
      }
    };
    rescale(0);
  }

  const quota = new Int32Array(target.length);
  quota[0] = replicas * partCount;
  const share = (t: number) => {
    // Largest remainder: floors first, then the biggest fractions get the rest.
    const kids = tree.children[t]!;
    const exact = kids.map((c) => target[c]! * partCount);
    const sum = exact.reduce((a, b) => a + b, 0);
    const scaled = exact.map((e) => (sum > 0 ? (e * quota[t]!) / sum : 0));
    const floors = scaled.map((e) => Math.floor(e + EPSILON));
    let left = quota[t]! - floors.reduce((a, b) => a + b, 0);
    const order = kids.map((_, i) => i).sort((a, b) => scaled[b]! - floors[b]! - (scaled[a]! - floors[a]!) || a - b);
    for (const i of order) {
      if (left <= 0) break;
      floors[i]! += 1;
      left--;
    }
    kids.forEach((c, i) => {
      quota[c] = floors[i]!;
      share(c);
    });
  };
  share(0);

  const maxPerPart = new Int32Array(target.length);
  for (let t = 0; t < target.length; t++) {
    const cap = tree.level[t] === 3 ? 1 : tree.deviceCount[t]!;
    maxPerPart[t] = Math.min(cap, Math.ceil(target[t]! - EPSILON));
  }
  return { tree, target, quota, maxPerPart, requiredOverload };
}
