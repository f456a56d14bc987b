// The rings the proxy routes with, loaded from <ring_dir>: account.ring, container.ring,
// and one object ring per storage policy (object.ring for policy 0, object-N.ring for
// N, as Swift's object.ring.gz / object-N.ring.gz). Each Ring reloads itself when its
// file changes.
import { join } from 'node:path';
import { Ring } from '../ring-builder/index.js';
import type { HashConfig } from '../common/config.js';
import { objectRingName, StoragePolicies } from '../common/storage-policy.js';

export type RingKind = 'account' | 'container' | 'object';

export interface Rings {
  account: Ring;
  container: Ring;
  /** Policy 0's object ring. */
  object: Ring;
  /** The object ring of each storage policy, by index (policy 0's is `object`). */
  objectByPolicy: ReadonlyMap<number, Ring>;
}

export async function loadRings(ringDir: string, hash: HashConfig, policies = new StoragePolicies([])): Promise<Rings> {
  const load = (name: string) => Ring.load(join(ringDir, `${name}.ring`), hash);
  const [account, container, ...objectRings] = await Promise.all([
    load('account'),
    load('container'),
    ...policies.all.map((p) => load(objectRingName(p.index))),
  ]);
  const objectByPolicy = new Map(policies.all.map((p, i) => [p.index, objectRings[i]!]));
  return { account: account!, container: container!, object: objectByPolicy.get(0)!, objectByPolicy };
}
