// The three rings the proxy routes with, loaded from <ring_dir>/{account,container,object}.ring.
// Each Ring reloads itself when its file changes.
import { join } from 'node:path';
import { Ring } from '../ring-builder/index.js';
import type { HashConfig } from '../common/config.js';

export type RingKind = 'account' | 'container' | 'object';

export interface Rings {
  account: Ring;
  container: Ring;
  object: Ring;
}

export async function loadRings(ringDir: string, hash: HashConfig): Promise<Rings> {
  const load = (kind: RingKind) => Ring.load(join(ringDir, `${kind}.ring`), hash);
  const [account, container, object] = await Promise.all([load('account'), load('container'), load('object')]);
  return { account, container, object };
}
