// What every object operation needs: the devices, the placement hasher, the update
// sender, and where a request's object lives on disk.
import type { PathHasher } from '../../common/path-hash.js';
import { isTrue } from '../../common/http.js';
import type { Timestamp } from '../../common/timestamp.js';
import { POLICY_INDEX_HEADER, type StoragePolicies } from '../../common/storage-policy.js';
import { policyDevice, type Device, type Devices } from '../devices.js';
import { badRequest, HttpError } from '../errors.js';
import type { BackendRequest } from '../http.js';
import type { UpdateSender } from '../updates.js';
import type { Metadata } from './datafile.js';
import { locateObject, type ObjectLocation } from './diskfile.js';

export interface ObjectContext {
  devices: Devices;
  /** Which storage policies' objects this server keeps (each in its own directories). */
  policies: StoragePolicies;
  hasher: PathHasher;
  updates: UpdateSender;
  clientTimeoutMs: number;
  /** Tombstones older than this (seconds) are reclaimed while suffix hashes are computed. */
  reclaimAgeS?: number;
}

/** Swift's default max_file_size: 5 GiB + 2 bytes. */
export const MAX_FILE_SIZE = 5 * 2 ** 30 + 2;

/**
 * The request's device, as its storage policy (X-Backend-Storage-Policy-Index, 0 when
 * absent) sees it: that policy's object and async pending directories. 503 for an index
 * no policy has, with Swift's text (get_name_and_placement); 507 when the device is missing.
 */
export async function policyDeviceOf(ctx: ObjectContext, req: { device: string; headers: Record<string, string> }): Promise<Device> {
  const index = req.headers[POLICY_INDEX_HEADER];
  const policy = ctx.policies.byIndex(index);
  if (policy === undefined) throw new HttpError(503, `No policy with index ${index}`);
  return policyDevice(await ctx.devices.get(req.device), policy.index);
}

/** The request's object on its device (in its policy's directory). */
export async function locate(ctx: ObjectContext, req: BackendRequest): Promise<ObjectLocation> {
  const device = await policyDeviceOf(ctx, req);
  const { account, container, object } = req.path;
  const hash = ctx.hasher.hashHex({ account, container: container!, object: object! });
  return locateObject(device, req.partition, hash, `/${account}/${container}/${object}`);
}

/** X-Delete-At has passed (X-Backend-Replication reads see expired objects anyway). */
export function isExpired(metadata: Metadata, nowSeconds: number, req?: BackendRequest): boolean {
  if (req && isTrue(req.headers['x-backend-replication'])) return false;
  const deleteAt = metadata['X-Delete-At'];
  return deleteAt !== undefined && deleteAt !== '' && Number(deleteAt) <= nowSeconds;
}

/**
 * The X-Delete-At to store (10 digits), from X-Delete-At or X-Delete-After (seconds after
 * the request's timestamp), as Swift's check_delete_headers; 400 when malformed or past.
 */
export function deleteAtFromRequest(req: BackendRequest, timestamp: Timestamp): string | undefined {
  const now = timestamp.seconds;
  let deleteAt: number | undefined;
  const after = req.headers['x-delete-after'];
  if (after !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(after)) throw badRequest('Non-integer X-Delete-After');
    deleteAt = Math.floor(now + Number(after));
    if (deleteAt <= now) throw badRequest('X-Delete-After in past');
  } else if (req.headers['x-delete-at'] !== undefined) {
    const at = req.headers['x-delete-at'];
    if (!/^\s*-?\d+\s*$/.test(at)) throw badRequest('Non-integer X-Delete-At');
    deleteAt = Number(at);
    if (deleteAt <= now && !isTrue(req.headers['x-backend-replication'])) throw badRequest('X-Delete-At in past');
  }
  if (deleteAt === undefined) return undefined;
  return String(Math.min(Math.max(0, deleteAt), 9_999_999_999)).padStart(10, '0');
}

