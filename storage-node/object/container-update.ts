// The listing updates that follow a successful object write: the container update sent
// to the servers named by X-Container-Host/-Device/-Partition, and the row in the
// expirer's queue container (X-Delete-At-Host/-Device/-Partition/-Container) when the
// object gets an X-Delete-At. The proxy (and SLO, through sysmeta) may override what the
// listing shows with *-Container-Update-Override-* headers.
import { titleCaseHeader } from '../../common/http.js';
import type { Timestamp } from '../../common/timestamp.js';
import type { UpdateTarget } from '../async-pending.js';
import { badRequest } from '../errors.js';
import type { BackendRequest } from '../http.js';
import { targetsFromHeaders, type Update } from '../updates.js';
import type { ObjectContext } from './context.js';
import type { Metadata } from './datafile.js';
import type { ObjectLocation } from './diskfile.js';

const OVERRIDE_PREFIXES = ['x-backend-container-update-override-', 'x-object-sysmeta-container-update-override-'];
/** Swift's account of the expirer's queue: containers of rows "<delete-at>-<a>/<c>/<o>". */
export const EXPIRING_OBJECTS_ACCOUNT = '.expiring_objects';
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

export async function updateContainers(
  ctx: ObjectContext,
  req: BackendRequest,
  location: ObjectLocation,
  method: 'PUT' | 'DELETE',
  headers: Record<string, string>,
  targets: UpdateTarget[],
  metadata: Metadata = {},
): Promise<void> {
  if (targets.length === 0) return;
  const out: Record<string, string> = { ...headers };
  // Request headers first, then stored sysmeta: sysmeta overrides take precedence (as Swift).
  for (const [index, prefix] of OVERRIDE_PREFIXES.entries()) {
    const source = index === 0 ? req.headers : metadata;
    for (const [key, value] of Object.entries(source)) {
      const lower = key.toLowerCase();
      if (lower.startsWith(prefix)) out[titleCaseHeader(`x-${lower.slice(prefix.length)}`)] = value;
    }
  }
  const { account, container, object } = req.path;
  const pendingTimestamp = out['X-Meta-Timestamp'] ?? out['X-Timestamp']!;
  await send(ctx, req, location, { method, account, container: container!, object: object!, headers: out, pendingTimestamp }, targets);
}

export interface ExpiryQueue {
  container: string;
  targets: UpdateTarget[];
}

/** Where the proxy says the expirer's queue row goes; 400 when the headers are incomplete. */
export function expiryQueueOf(req: BackendRequest): ExpiryQueue | undefined {
  const targets = targetsFromHeaders(req.headers, 'Delete-At');
  if (targets.length === 0) return undefined;
  const container = req.headers['x-delete-at-container'];
  if (!container) throw badRequest('X-Delete-At-Host needs X-Delete-At-Container');
  return { container, targets };
}

/**
 * Adds the object to the expirer's queue for `deleteAt`. A row left behind when
 * X-Delete-At changes is harmless: the expirer's DELETE carries X-If-Delete-At and is
 * refused with 412.
 */
export async function queueForExpiry(
  ctx: ObjectContext,
  req: BackendRequest,
  location: ObjectLocation,
  queue: ExpiryQueue,
  deleteAt: string,
  timestamp: Timestamp,
): Promise<void> {
  const { account, container, object } = req.path;
  const headers = { 'X-Timestamp': timestamp.internal, 'X-Size': '0', 'X-Content-Type': 'text/plain', 'X-Etag': EMPTY_MD5 };
  await send(
    ctx,
    req,
    location,
    {
      method: 'PUT',
      account: EXPIRING_OBJECTS_ACCOUNT,
      container: queue.container,
      object: `${deleteAt}-${account}/${container}/${object}`,
      headers,
      pendingTimestamp: timestamp.internal,
    },
    queue.targets,
  );
}

async function send(ctx: ObjectContext, req: BackendRequest, location: ObjectLocation, update: Update, targets: UpdateTarget[]): Promise<void> {
  if (req.headers['x-trans-id']) update.headers['X-Trans-Id'] = req.headers['x-trans-id'];
  try {
    await ctx.updates.send(location.device, update, targets);
  } catch (err) {
    // The object write itself succeeded; the replicators will bring the listing in line.
    req.log.error({ err }, 'could not send a listing update nor save it as an async pending');
  }
}
