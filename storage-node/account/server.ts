// The account server (port 6202 by default): accounts on /<device>/<partition>/<account>
// (PUT, POST, HEAD, GET = listing, DELETE) and the container rows container servers
// report on .../<account>/<container> (PUT).
import { isTrue } from '../../common/http.js';
import type { PathHasher } from '../../common/path-hash.js';
import { POLICY_INDEX_HEADER, type StoragePolicies } from '../../common/storage-policy.js';
import { Timestamp } from '../../common/timestamp.js';
import { databaseRef, type DbRef } from '../db/broker.js';
import { metadataHeaders } from '../db/metadata.js';
import type { Devices } from '../devices.js';
import { badRequest } from '../errors.js';
import { integerHeader, parseTimestampHeader, requireTimestamp, type BackendRequest, type BackendResponse, type ServerSpec } from '../http.js';
import { isoformat, listingFormat, listingParams, listingResponse, listRows } from '../listing.js';
import { checkMetadata, isSysMeta, isUserMeta, pickHeaders } from '../metadata.js';
import { handleReplicate, REPLICATE_HEADER } from '../db/replication-rpc.js';
import { accountNotFound, DELETED_STATUS_HEADERS, isDeleted, policyStatsOf, REPLICATION_RULES, type AccountBroker, type AccountInfo, type ContainerRow } from './db.js';

export interface AccountContext {
  devices: Devices;
  /** Names the per-policy stats headers. */
  policies: StoragePolicies;
  hasher: PathHasher;
  broker: AccountBroker;
}

type Handler = (ctx: AccountContext, req: BackendRequest) => Promise<BackendResponse>;

export function accountServer(ctx: AccountContext): ServerSpec {
  const byTarget = (onAccount: Handler, onContainer?: Handler) => (req: BackendRequest) => {
    if (req.path.container === undefined) return onAccount(ctx, req);
    if (onContainer === undefined) throw badRequest(`${req.method} takes an account path, not a container's`);
    return onContainer(ctx, req);
  };
  return {
    minSegments: 1,
    maxSegments: 2,
    handlers: {
      PUT: byTarget(putAccount, putContainerRow),
      POST: byTarget(postAccount),
      GET: byTarget(getAccount),
      HEAD: byTarget(getAccount),
      DELETE: byTarget(deleteAccount),
    },
  };
}

async function locate(ctx: AccountContext, req: BackendRequest): Promise<DbRef> {
  const device = await ctx.devices.get(req.device);
  const store = await ctx.devices.store(device, 'accounts');
  return databaseRef(store, req.partition, ctx.hasher.hashHex({ account: req.path.account }));
}

/** The reported container's policy index (0 when the container server sent none, as Swift's legacy rows). */
function policyIndexHeader(req: BackendRequest): number {
  const value = req.headers[POLICY_INDEX_HEADER];
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value.trim())) throw badRequest(`Invalid X-Backend-Storage-Policy-Index ${JSON.stringify(value)}`);
  return Number(value);
}

const accountMetadata = (req: BackendRequest) => pickHeaders(req.headers, (n) => isUserMeta('account', n) || isSysMeta('account', n));

async function putAccount(ctx: AccountContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  checkMetadata('account', req.headers);
  const ref = await locate(ctx, req);
  const result = await ctx.broker.write(ref, { kind: 'put', account: req.path.account, timestamp, metadata: accountMetadata(req) });
  return { status: result.created ? 201 : 202 };
}

async function postAccount(ctx: AccountContext, req: BackendRequest): Promise<BackendResponse> {
  const replicate = req.headers[REPLICATE_HEADER];
  if (replicate !== undefined) {
    const ref = await locate(ctx, req);
    const device = await ctx.devices.get(req.device);
    // The replication verb (see db/replication-rpc.ts).
    return handleReplicate<AccountInfo, ContainerRow>(req, replicate, {
      store: ref.store,
      ref,
      readInfo: (r) => ctx.broker.readInfo(r),
      write: async (r, op) => (await ctx.broker.write(r, op)).info,
      rules: REPLICATION_RULES,
      kind: 'accounts',
      quarantineDir: device.quarantined,
    });
  }
  const timestamp = requireTimestamp(req);
  checkMetadata('account', req.headers);
  const ref = await locate(ctx, req);
  await ctx.broker.write(ref, { kind: 'post', timestamp, metadata: accountMetadata(req) });
  return { status: 204 };
}

async function deleteAccount(ctx: AccountContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  const ref = await locate(ctx, req);
  await ctx.broker.write(ref, { kind: 'delete', timestamp });
  return { status: 204, headers: DELETED_STATUS_HEADERS };
}

async function getAccount(ctx: AccountContext, req: BackendRequest): Promise<BackendResponse> {
  const format = listingFormat(req.query, req.headers);
  const params = req.method === 'GET' ? listingParams(req.query, 'account') : undefined;
  const ref = await locate(ctx, req);
  const info = await ctx.broker.readInfo(ref);
  if (info === undefined || isDeleted(info)) throw accountNotFound(info);
  const headers = accountHeaders(info, ctx.policies);
  if (params === undefined) return { status: 204, headers: { ...headers, 'Content-Type': `${format}; charset=utf-8` } };
  const rows = await listRows<ContainerRow>(ref.store, ref.prefix, params);
  return listingResponse(format, rows, containerListingEntry, headers);
}

function accountHeaders(info: AccountInfo, policies: StoragePolicies): Record<string, string | number> {
  return {
    'X-Account-Container-Count': info.container_count,
    'X-Account-Object-Count': info.object_count,
    'X-Account-Bytes-Used': info.bytes_used,
    'X-Timestamp': Timestamp.parse(info.created_at).normal,
    'X-PUT-Timestamp': Timestamp.parse(info.put_timestamp).normal,
    ...policyStatsHeaders(info, policies),
    ...metadataHeaders(info.metadata),
  };
}

/**
 * X-Account-Storage-Policy-<name>-Container-Count / -Object-Count / -Bytes-Used for every
 * policy the account has had a container in (Swift's get_response_headers: the policy's
 * primary name as configured; an index no policy has any more is left out).
 */
function policyStatsHeaders(info: AccountInfo, policies: StoragePolicies): Record<string, number> {
  const headers: Record<string, number> = {};
  for (const [index, stats] of Object.entries(policyStatsOf(info))) {
    const policy = policies.byIndex(Number(index));
    if (policy === undefined) continue;
    const prefix = `X-Account-Storage-Policy-${policy.name}`;
    headers[`${prefix}-Container-Count`] = stats.container_count;
    headers[`${prefix}-Object-Count`] = stats.object_count;
    headers[`${prefix}-Bytes-Used`] = stats.bytes_used;
  }
  return headers;
}

const containerListingEntry = (name: string, row: ContainerRow) => ({
  name,
  count: row.object_count,
  bytes: row.bytes_used,
  last_modified: isoformat(Timestamp.parse(row.put_timestamp)),
});

async function putContainerRow(ctx: AccountContext, req: BackendRequest): Promise<BackendResponse> {
  const putHeader = req.headers['x-put-timestamp'];
  const deleteHeader = req.headers['x-delete-timestamp'];
  const objectCount = integerHeader(req, 'x-object-count');
  const bytesUsed = integerHeader(req, 'x-bytes-used');
  if (putHeader === undefined || deleteHeader === undefined || objectCount === undefined || bytesUsed === undefined) {
    throw badRequest('A container row needs X-Put-Timestamp, X-Delete-Timestamp, X-Object-Count and X-Bytes-Used');
  }
  const putTimestamp = parseTimestampHeader('x-put-timestamp', putHeader);
  const deleteTimestamp = parseTimestampHeader('x-delete-timestamp', deleteHeader);
  const statsTimestamp = req.headers['x-timestamp'] === undefined ? Timestamp.now() : requireTimestamp(req);
  const policyIndex = policyIndexHeader(req);
  const ref = await locate(ctx, req);
  await ctx.broker.write(ref, {
    kind: 'container',
    account: req.path.account,
    report: { name: req.path.container!, putTimestamp, deleteTimestamp, objectCount, bytesUsed, statsTimestamp, policyIndex },
    overrideDeleted: isTrue(req.headers['x-account-override-deleted']),
  });
  return { status: deleteTimestamp.isNewerThan(putTimestamp) ? 204 : 201 };
}
