// What every Swift API handler works with: settings, rings, the replica rules, the info
// cache, and the whole API pipeline again for subrequests (segments, copy sources).
import type { ProxyConfig } from '../config.js';
import type { Rings } from '../rings.js';
import type { Replicas, ReplicaTarget } from '../replicas.js';
import type { InfoCache } from './info-cache.js';
import type { SwiftRequest, SwiftResponse } from './request.js';

export type Handler = (req: SwiftRequest) => Promise<SwiftResponse>;
export type Middleware = (req: SwiftRequest, next: Handler) => Promise<SwiftResponse>;

export interface Services {
  config: ProxyConfig;
  rings: Rings;
  replicas: Replicas;
  info: InfoCache;
  /** The full pipeline (large objects, copy, controllers), as a client request would see it. */
  handle: Handler;
}

export function accountTarget(s: Services, account: string): ReplicaTarget {
  const { part } = s.rings.account.getNodes(account);
  return { ring: s.rings.account, part, path: { account } };
}

export function containerTarget(s: Services, account: string, container: string): ReplicaTarget {
  const { part } = s.rings.container.getNodes(account, container);
  return { ring: s.rings.container, part, path: { account, container } };
}

export function objectTarget(s: Services, account: string, container: string, object: string): ReplicaTarget {
  const { part } = s.rings.object.getNodes(account, container, object);
  return { ring: s.rings.object, part, path: { account, container, object } };
}

/** One copy of `headers` per primary of the target: what a quorum write sends. */
export function perReplica(target: ReplicaTarget, headers: Record<string, string>): Record<string, string>[] {
  return target.ring.getPartNodes(target.part).map(() => ({ ...headers }));
}
