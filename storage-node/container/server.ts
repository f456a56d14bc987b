// The container server (port 6201 by default): containers on
// /<device>/<partition>/<account>/<container> (PUT, POST, HEAD, GET = listing, DELETE)
// and their object rows on .../<container>/<object> (PUT, DELETE from object servers).
import { httpDate, isTrue } from '../../common/http.js';
import type { PathHasher } from '../../common/path-hash.js';
import { POLICY_DEFAULT_HEADER, POLICY_INDEX_HEADER, type StoragePolicies } from '../../common/storage-policy.js';
import { Timestamp } from '../../common/timestamp.js';
import { databaseRef, type DbRef } from '../db/broker.js';
import { metadataHeaders } from '../db/metadata.js';
import type { Device, Devices } from '../devices.js';
import { badRequest, notFound } from '../errors.js';
import { integerHeader, parseTimestampHeader, requireTimestamp, type BackendRequest, type BackendResponse, type ServerSpec } from '../http.js';
import { isoformat, listingFormat, listingParams, listingResponse, listRows } from '../listing.js';
import { checkMetadata, isSysMeta, isUserMeta, pickHeaders, utf8FromWire } from '../metadata.js';
import { handleReplicate, REPLICATE_HEADER } from '../db/replication-rpc.js';
import { targetsFromHeaders, type UpdateStatuses } from '../updates.js';
import type { AccountReporter } from './account-reporter.js';
import { isDeleted, policyIndexOf, REPLICATION_RULES, splitSwiftBytes, type ContainerBroker, type ContainerInfo, type ObjectRow, type ObjectUpdate } from './db.js';

export interface ContainerContext {
  devices: Devices;
  /** The storage policies a container may have. */
  policies: StoragePolicies;
  hasher: PathHasher;
  broker: ContainerBroker;
  reporter: AccountReporter;
}

/** Container headers kept besides X-Container-Meta-* and X-Container-Sysmeta-*. */
const isSavedHeader = (name: string) =>
  name === 'x-container-read' ||
  name === 'x-container-write' ||
  name === 'x-history-location' ||
  name.startsWith('x-container-sync-') ||
  name.startsWith('x-versions-');

export function containerServer(ctx: ContainerContext): ServerSpec {
  const byTarget = (onContainer: Handler, onObject?: Handler) => (req: BackendRequest) => {
    if (req.path.object === undefined) return onContainer(ctx, req);
    if (onObject === undefined) throw badRequest(`${req.method} takes a container path, not an object's`);
    return onObject(ctx, req);
  };
  return {
    minSegments: 2,
    maxSegments: 3,
    handlers: {
      PUT: byTarget(putContainer, putObjectRow),
      POST: byTarget(postContainer),
      GET: byTarget(getContainer),
      HEAD: byTarget(getContainer),
      DELETE: byTarget(deleteContainer, deleteObjectRow),
    },
  };
}

type Handler = (ctx: ContainerContext, req: BackendRequest) => Promise<BackendResponse>;

async function locate(ctx: ContainerContext, req: BackendRequest): Promise<{ device: Device; ref: DbRef }> {
  const device = await ctx.devices.get(req.device);
  const store = await ctx.devices.store(device, 'containers');
  const hash = ctx.hasher.hashHex({ account: req.path.account, container: req.path.container! });
  return { device, ref: databaseRef(store, req.partition, hash) };
}

async function putContainer(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  checkMetadata('container', req.headers);
  const requestedPolicyIndex = requestedPolicy(ctx, req);
  const accountTargets = targetsFromHeaders(req.headers, 'Account');
  const { device, ref } = await locate(ctx, req);
  const result = await ctx.broker.write(ref, {
    kind: 'put',
    account: req.path.account,
    container: req.path.container!,
    timestamp,
    metadata: pickHeaders(req.headers, (n) => isUserMeta('container', n) || isSysMeta('container', n) || isSavedHeader(n)),
    accountTargets,
    policyIndex: requestedPolicyIndex ?? defaultPolicy(ctx, req),
    ...(requestedPolicyIndex === undefined ? {} : { requestedPolicyIndex }),
  });
  if (accountTargets.length > 0) refuseWhenNoAccount(await ctx.reporter.report(device, ref));
  return { status: result.created ? 201 : 202, headers: { 'X-Backend-Storage-Policy-Index': String(policyIndexOf(result.info)) } };
}

/** X-Backend-Storage-Policy-Index of a container PUT: a policy's index; 400 otherwise (Swift's get_and_validate_policy_index). */
function requestedPolicy(ctx: ContainerContext, req: BackendRequest): number | undefined {
  const value = req.headers[POLICY_INDEX_HEADER];
  if (value === undefined) return undefined;
  const policy = ctx.policies.byIndex(value);
  if (policy === undefined) {
    // Swift's "Invalid %s %r": the value as Python shows a string, or an int that parsed.
    const shown = /^\s*[+-]?\d+\s*$/.test(value) ? String(Number(value)) : `'${value}'`;
    throw badRequest(`Invalid X-Backend-Storage-Policy-Index ${shown}`);
  }
  return policy.index;
}

/** The policy a new container gets when none is named: the proxy's X-Backend-Storage-Policy-Default, else this node's default. */
function defaultPolicy(ctx: ContainerContext, req: BackendRequest): number {
  const value = req.headers[POLICY_DEFAULT_HEADER];
  return (value !== undefined && value !== '' ? ctx.policies.byIndex(value) : undefined)?.index ?? ctx.policies.default.index;
}

async function postContainer(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const replicate = req.headers[REPLICATE_HEADER];
  if (replicate !== undefined) return replicateContainer(ctx, req, replicate);
  const timestamp = requireTimestamp(req);
  checkMetadata('container', req.headers);
  const { device, ref } = await locate(ctx, req);
  const result = await ctx.broker.write(ref, {
    kind: 'post',
    timestamp,
    metadata: pickHeaders(req.headers, (n) => isUserMeta('container', n) || isSysMeta('container', n) || isSavedHeader(n)),
    updatePutTimestamp: !isTrue(req.headers['x-backend-no-timestamp-update']),
  });
  if (result.accountChanged) ctx.reporter.reportLater(device, ref);
  return { status: 204 };
}

async function deleteContainer(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  const accountTargets = targetsFromHeaders(req.headers, 'Account');
  const { device, ref } = await locate(ctx, req);
  const result = await ctx.broker.write(ref, { kind: 'delete', timestamp, accountTargets });
  if (accountTargets.length > 0) refuseWhenNoAccount(await ctx.reporter.report(device, ref));
  if (!result.created) throw notFound();
  return { status: 204 };
}

/** The replication verb (see db/replication-rpc.ts); merged rows are reported to the account like any others. */
async function replicateContainer(ctx: ContainerContext, req: BackendRequest, op: string): Promise<BackendResponse> {
  const { device, ref } = await locate(ctx, req);
  return handleReplicate<ContainerInfo, ObjectRow>(req, op, {
    store: ref.store,
    ref,
    readInfo: (r) => ctx.broker.readInfo(r),
    write: async (r, replicationOp) => {
      const result = await ctx.broker.write(r, replicationOp);
      if (result.accountChanged) ctx.reporter.reportLater(device, r);
      return result.info;
    },
    rules: REPLICATION_RULES,
    kind: 'containers',
    quarantineDir: device.quarantined,
  });
}

/** Swift: when every account server answered 404, the container request is a 404 too. */
function refuseWhenNoAccount(statuses: UpdateStatuses): void {
  if (statuses.length > 0 && statuses.every((s) => s === 404)) throw notFound();
}

async function getContainer(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const format = listingFormat(req.query, req.headers);
  const params = req.method === 'GET' ? listingParams(req.query) : undefined;
  const { ref } = await locate(ctx, req);
  const info = await ctx.broker.readInfo(ref);
  if (info === undefined || isDeleted(info)) throw notFound(backendHeaders(info));
  const headers = {
    ...backendHeaders(info),
    'X-Container-Object-Count': info.object_count,
    'X-Container-Bytes-Used': info.bytes_used,
    'X-Timestamp': Timestamp.parse(info.created_at).normal,
    'X-PUT-Timestamp': Timestamp.parse(info.put_timestamp).normal,
    'Last-Modified': httpDate(Math.ceil(Timestamp.parse(info.put_timestamp).seconds)),
    ...metadataHeaders(info.metadata),
  };
  if (params === undefined) return { status: 204, headers: { ...headers, 'Content-Type': `${format}; charset=utf-8` } };
  const rows = await listRows<ObjectRow>(ref.store, ref.prefix, params);
  return listingResponse(format, rows, objectListingEntry, headers);
}

/** Headers sent even for a deleted container, so the proxy can tell the newest state. */
function backendHeaders(info: ContainerInfo | undefined): Record<string, string> {
  const zero = new Timestamp(0).internal;
  return {
    'X-Backend-Timestamp': info?.created_at ?? zero,
    'X-Backend-PUT-Timestamp': info?.put_timestamp ?? zero,
    'X-Backend-DELETE-Timestamp': info?.delete_timestamp ?? zero,
    'X-Backend-Status-Changed-At': info?.status_changed_at ?? zero,
    'X-Backend-Storage-Policy-Index': String(info === undefined ? 0 : policyIndexOf(info)),
  };
}

/** A JSON listing row; an SLO's swift_bytes becomes its "bytes" (Swift's override_bytes_from_content_type). */
function objectListingEntry(name: string, row: ObjectRow): object {
  const { type, swiftBytes } = splitSwiftBytes(row.content_type);
  return {
    name,
    hash: row.etag,
    bytes: swiftBytes !== undefined && /^\d+$/.test(swiftBytes) ? Number(swiftBytes) : row.size,
    content_type: type,
    last_modified: isoformat(Timestamp.parse(row.meta_timestamp)),
  };
}

async function putObjectRow(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  const size = integerHeader(req, 'x-size');
  const contentType = req.headers['x-content-type'];
  const etag = req.headers['x-etag'];
  if (size === undefined || contentType === undefined || etag === undefined) {
    throw badRequest('An object row needs X-Size, X-Content-Type and X-Etag');
  }
  const ctype = req.headers['x-content-type-timestamp'];
  const meta = req.headers['x-meta-timestamp'];
  await writeObjectRow(ctx, req, {
    name: req.path.object!,
    timestamp,
    ...(ctype === undefined ? {} : { ctypeTimestamp: parseTimestampHeader('x-content-type-timestamp', ctype) }),
    ...(meta === undefined ? {} : { metaTimestamp: parseTimestampHeader('x-meta-timestamp', meta) }),
    size,
    contentType: utf8FromWire(contentType),
    etag: utf8FromWire(etag),
    deleted: false,
  });
  return { status: 201 };
}

async function deleteObjectRow(ctx: ContainerContext, req: BackendRequest): Promise<BackendResponse> {
  const timestamp = requireTimestamp(req);
  await writeObjectRow(ctx, req, { name: req.path.object!, timestamp, size: 0, contentType: '', etag: '', deleted: true });
  return { status: 204 };
}

/** Accounts whose containers an object row creates (Swift's auto_create_account_prefix), e.g. the expirer's queue. */
const AUTO_CREATE_ACCOUNT_PREFIX = '.';

async function writeObjectRow(ctx: ContainerContext, req: BackendRequest, update: ObjectUpdate): Promise<void> {
  const { device, ref } = await locate(ctx, req);
  const { account, container } = req.path;
  const autocreate = account.startsWith(AUTO_CREATE_ACCOUNT_PREFIX) ? { account, container: container! } : undefined;
  const result = await ctx.broker.write(ref, { kind: 'object', update, ...(autocreate ? { autocreate } : {}) });
  if (result.accountChanged) ctx.reporter.reportLater(device, ref);
}
