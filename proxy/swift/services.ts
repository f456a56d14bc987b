// What every Swift API handler works with: settings, rings, the replica rules, the info
// cache, and the whole API pipeline again for subrequests (segments, copy sources); and
// where a request's account, container or object lives (its ring and partition).
import type { ProxyConfig } from '../config.js';
import type { Rings } from '../rings.js';
import type { Replicas, ReplicaTarget } from '../replicas.js';
import { POLICY_INDEX_HEADER } from '../../common/storage-policy.js';
import { internalError } from '../errors.js';
import type { InfoCache, ResourceInfo } from './info-cache.js';
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

/**
 * Where an object lives: the ring of its container's storage policy (the container
 * servers' X-Backend-Storage-Policy-Index, in `containerInfo`; policy 0 when the container
 * is missing, as Swift's container_info), and every request to its object servers says
 * which policy it is for.
 */
export function objectTarget(s: Services, account: string, container: string, object: string, containerInfo: ResourceInfo): ReplicaTarget {
  const index = containerPolicyIndex(containerInfo);
  const ring = s.rings.objectByPolicy.get(index);
  // Swift: get_object_ring raises PolicyError, which the proxy answers with a plain 500.
  if (ring === undefined) throw internalError();
  const { part } = ring.getNodes(account, container, object);
  return { ring, part, path: { account, container, object }, headers: { [POLICY_INDEX_HEADER]: String(index) } };
}

/** The storage policy index a container's HEAD answered (0 for a container without one, as Swift). */
export function containerPolicyIndex(containerInfo: ResourceInfo): number {
  const value = containerInfo.headers[POLICY_INDEX_HEADER];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

/** One copy of `headers` per primary of the target: what a quorum write sends. */
export function perReplica(target: ReplicaTarget, headers: Record<string, string>): Record<string, string>[] {
  return target.ring.getPartNodes(target.part).map(() => ({ ...headers }));
}
