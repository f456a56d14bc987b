// Container databases (Swift's ContainerBroker): the container's info (timestamps, object
// count, bytes used, metadata, where its account servers are) and one row per object,
// merged by Swift's rules: the newest data timestamp decides size/etag/deleted, the
// newest content-type timestamp the content type, the newest metadata timestamp the
// last-modified time. A container is deleted when its delete timestamp is newer than
// its put timestamp and it holds no objects.
import { Timestamp } from '../../common/timestamp.js';
import type { UpdateTarget } from '../async-pending.js';
import { BatchState, DatabaseBroker } from '../db/broker.js';
import { clearedMetadata, mergeMetadata, validateMetadata, type DbMetadata } from '../db/metadata.js';
import { applyReplication, fieldProblem, isReplicationOp, mergeCommonInfo, newReplicaId, replicationRowNames, type ReplicationOp, type ReplicationRules } from '../db/replication.js';
import { EMPTY_ROWS_HASH } from '../db/row-hash.js';
import { conflict, notFound } from '../errors.js';

export interface ContainerInfo {
  /** This replica's id (sync points of replication); absent in databases made before ids. */
  id?: string;
  /** The rows hash (db/row-hash.ts): equal on replicas holding the same rows. */
  hash?: string;
  account: string;
  container: string;
  created_at: string;
  put_timestamp: string;
  delete_timestamp: string;
  status_changed_at: string;
  object_count: number;
  bytes_used: number;
  max_row: number;
  metadata: DbMetadata;
  /** The account servers to tell about this container (from the last PUT/DELETE naming them). */
  account_targets: UpdateTarget[];
  /** The container's storage policy; absent in databases made before policies (= 0). */
  storage_policy_index?: number;
}

export interface ObjectRow {
  /** The data timestamp (of the PUT or DELETE). */
  created_at: string;
  ctype_timestamp: string;
  meta_timestamp: string;
  size: number;
  /** May end with ";swift_bytes=<n>" (an SLO manifest's total size). */
  content_type: string;
  etag: string;
  deleted: boolean;
  row: number;
}

export interface ObjectUpdate {
  name: string;
  timestamp: Timestamp;
  ctypeTimestamp?: Timestamp;
  metaTimestamp?: Timestamp;
  size: number;
  contentType: string;
  etag: string;
  deleted: boolean;
}

export type ContainerOp =
  /**
   * `policyIndex`: the policy a new (or re-created) container gets; `requestedPolicyIndex`:
   * the one the client named, which an existing container must have (else 409).
   */
  | {
      kind: 'put';
      account: string;
      container: string;
      timestamp: Timestamp;
      metadata: Record<string, string>;
      accountTargets: UpdateTarget[];
      policyIndex: number;
      requestedPolicyIndex?: number;
    }
  | { kind: 'post'; timestamp: Timestamp; metadata: Record<string, string>; updatePutTimestamp: boolean }
  | { kind: 'delete'; timestamp: Timestamp; accountTargets: UpdateTarget[] }
  /** `autocreate`: make the container if it is missing (system accounts, Swift's auto_create_account_prefix). */
  | { kind: 'object'; update: ObjectUpdate; autocreate?: { account: string; container: string } }
  | ReplicationOp<ContainerInfo, ObjectRow>;

export interface ContainerResult {
  info: ContainerInfo;
  /** PUT: the container is new or was deleted before. DELETE: it existed. */
  created: boolean;
  /** A field the account's row shows (timestamps, count, bytes) changed. */
  accountChanged: boolean;
}

const ZERO = new Timestamp(0).internal;
const ts = (s: string) => Timestamp.parse(s);
const max = (a: string, b: Timestamp) => (b.isNewerThan(ts(a)) ? b.internal : a);

export function isDeleted(info: Pick<ContainerInfo, 'object_count' | 'put_timestamp' | 'delete_timestamp'>): boolean {
  return info.object_count === 0 && ts(info.delete_timestamp).isNewerThan(ts(info.put_timestamp));
}

export const policyIndexOf = (info: Pick<ContainerInfo, 'storage_policy_index'>): number => info.storage_policy_index ?? 0;

/**
 * Which of two replicas' storage policy is right when they disagree (Swift's
 * cmp_policy_info): a live replica over a deleted one; among re-created ones, or among
 * deleted ones, the newest status change; otherwise the oldest (the first creation).
 * True when `remote`'s wins.
 */
export function remotePolicyWins(local: ContainerInfo, remote: ContainerInfo): boolean {
  const zero = new Timestamp(0);
  const deleted = isDeleted(local);
  const remoteDeleted = isDeleted(remote);
  const changed = (a: ContainerInfo, b: ContainerInfo) => ts(a.status_changed_at).compare(ts(b.status_changed_at));
  if (deleted || remoteDeleted) {
    if (!deleted) return false;
    if (!remoteDeleted) return true;
    return changed(remote, local) > 0;
  }
  const recreated = (i: ContainerInfo) => ts(i.put_timestamp).isNewerThan(ts(i.delete_timestamp)) && ts(i.delete_timestamp).isNewerThan(zero);
  if (recreated(local) || recreated(remote)) {
    if (!recreated(local)) return true;
    if (!recreated(remote)) return false;
    return changed(remote, local) > 0;
  }
  return changed(remote, local) < 0;
}

type State = BatchState<ContainerInfo, ObjectRow>;

function apply(state: State, op: ContainerOp): ContainerResult {
  if (isReplicationOp<ContainerInfo, ObjectRow>(op)) {
    const before = state.info;
    const info = applyReplication(state, op, REPLICATION_RULES)!;
    // Merged rows change the counts the account shows; so may merged timestamps.
    const accountChanged =
      info !== undefined &&
      (before === undefined ||
        before.object_count !== info.object_count ||
        before.bytes_used !== info.bytes_used ||
        before.put_timestamp !== info.put_timestamp ||
        before.delete_timestamp !== info.delete_timestamp);
    return { info, created: before === undefined && info !== undefined, accountChanged };
  }
  switch (op.kind) {
    case 'put':
      return putContainer(state, op);
    case 'post':
      return postContainer(state, op);
    case 'delete':
      return deleteContainer(state, op);
    case 'object':
      if (state.info === undefined && op.autocreate) {
        const { account, container } = op.autocreate;
        putContainer(state, { kind: 'put', account, container, timestamp: op.update.timestamp, metadata: {}, accountTargets: [], policyIndex: 0 });
      }
      return putObjectRow(state, op.update);
  }
}

function putContainer(state: State, op: Extract<ContainerOp, { kind: 'put' }>): ContainerResult {
  const { metadata } = mergeMetadata(state.info?.metadata ?? {}, op.metadata, op.timestamp);
  validateMetadata(metadata);
  const t = op.timestamp.internal;
  const targets = op.accountTargets.length > 0 ? op.accountTargets : (state.info?.account_targets ?? []);
  if (state.info === undefined) {
    const info: ContainerInfo = {
      id: newReplicaId(),
      hash: EMPTY_ROWS_HASH,
      account: op.account,
      container: op.container,
      created_at: Timestamp.now().internal,
      put_timestamp: t,
      delete_timestamp: ZERO,
      status_changed_at: t,
      object_count: 0,
      bytes_used: 0,
      max_row: 0,
      metadata,
      account_targets: targets,
      storage_policy_index: op.policyIndex,
    };
    state.setInfo(info);
    return { info, created: true, accountChanged: true };
  }
  const old = state.info;
  const recreated = isDeleted(old);
  // Swift's _update_or_create: only a deleted container changes policy; a live one keeps its own.
  const storage_policy_index = recreated ? op.policyIndex : policyIndexOf(old);
  if (!recreated && op.requestedPolicyIndex !== undefined && op.requestedPolicyIndex !== storage_policy_index) {
    throw conflict({ 'X-Backend-Storage-Policy-Index': String(storage_policy_index) });
  }
  const put_timestamp = max(old.put_timestamp, op.timestamp);
  if (isDeleted({ ...old, put_timestamp })) throw conflict();
  const info = {
    ...old,
    put_timestamp,
    metadata,
    account_targets: targets,
    status_changed_at: recreated ? t : old.status_changed_at,
    storage_policy_index,
  };
  state.setInfo(info);
  return { info, created: recreated, accountChanged: put_timestamp !== old.put_timestamp };
}

function postContainer(state: State, op: Extract<ContainerOp, { kind: 'post' }>): ContainerResult {
  const old = state.info;
  if (old === undefined || isDeleted(old)) throw notFound();
  const { metadata } = mergeMetadata(old.metadata, op.metadata, op.timestamp);
  validateMetadata(metadata);
  const put_timestamp = op.updatePutTimestamp ? max(old.put_timestamp, op.timestamp) : old.put_timestamp;
  const info = { ...old, put_timestamp, metadata };
  state.setInfo(info);
  return { info, created: false, accountChanged: put_timestamp !== old.put_timestamp };
}

function deleteContainer(state: State, op: Extract<ContainerOp, { kind: 'delete' }>): ContainerResult {
  const old = state.info;
  if (old === undefined) throw notFound();
  if (old.object_count > 0) throw conflict();
  const existed = old.put_timestamp !== ZERO && !isDeleted(old);
  let info = old;
  if (op.timestamp.isNewerThan(ts(old.delete_timestamp))) {
    const t = op.timestamp.internal;
    info = { ...old, delete_timestamp: t, status_changed_at: t, metadata: clearedMetadata(old.metadata, op.timestamp) };
  }
  if (!isDeleted(info)) throw conflict();
  if (op.accountTargets.length > 0) info = { ...info, account_targets: op.accountTargets };
  if (info !== old) state.setInfo(info);
  return { info, created: existed, accountChanged: info.delete_timestamp !== old.delete_timestamp };
}

function putObjectRow(state: State, update: ObjectUpdate): ContainerResult {
  const old = state.info;
  if (old === undefined) throw notFound();
  const existing = state.row(update.name);
  const merged = mergeRow(existing, update);
  if (merged === undefined) return { info: old, created: false, accountChanged: false };
  const countBefore = { object_count: old.object_count, bytes_used: old.bytes_used };
  let { object_count, bytes_used } = countBefore;
  if (existing !== undefined && !existing.deleted) {
    object_count -= 1;
    bytes_used -= existing.size;
  }
  if (!merged.deleted) {
    object_count += 1;
    bytes_used += merged.size;
  }
  state.setInfo({ ...old, object_count, bytes_used });
  state.writeRow(update.name, merged);
  const info = state.info!;
  return { info, created: false, accountChanged: object_count !== countBefore.object_count || bytes_used !== countBefore.bytes_used };
}

/** Swift's update_new_item_from_existing; undefined when the update is older in every part. */
function mergeRow(existing: ObjectRow | undefined, u: ObjectUpdate): Omit<ObjectRow, 'row'> | undefined {
  const ctypeTimestamp = u.ctypeTimestamp ?? u.timestamp;
  const metaTimestamp = u.metaTimestamp ?? ctypeTimestamp;
  const incoming = splitSwiftBytes(u.contentType);
  if (existing === undefined) {
    return {
      created_at: u.timestamp.internal,
      ctype_timestamp: ctypeTimestamp.internal,
      meta_timestamp: metaTimestamp.internal,
      size: u.size,
      content_type: u.contentType,
      etag: u.etag,
      deleted: u.deleted,
    };
  }
  const stored = splitSwiftBytes(existing.content_type);
  const dataNewer = u.timestamp.isNewerThan(ts(existing.created_at));
  const ctypeNewer = ctypeTimestamp.isNewerThan(ts(existing.ctype_timestamp));
  const metaNewer = metaTimestamp.isNewerThan(ts(existing.meta_timestamp));
  if (!dataNewer && !ctypeNewer && !metaNewer) return undefined;
  const data = dataNewer ? { size: u.size, etag: u.etag, deleted: u.deleted, swiftBytes: incoming.swiftBytes } : { ...existing, swiftBytes: stored.swiftBytes };
  const type = ctypeNewer ? incoming.type : stored.type;
  return {
    created_at: dataNewer ? u.timestamp.internal : existing.created_at,
    ctype_timestamp: ctypeNewer ? ctypeTimestamp.internal : existing.ctype_timestamp,
    meta_timestamp: metaNewer ? metaTimestamp.internal : existing.meta_timestamp,
    size: data.size,
    content_type: data.swiftBytes === undefined ? type : `${type};swift_bytes=${data.swiftBytes}`,
    etag: data.etag,
    deleted: data.deleted,
  };
}

/** "type;swift_bytes=N;x=y" → the type without swift_bytes, and N. */
export function splitSwiftBytes(contentType: string): { type: string; swiftBytes?: string } {
  let swiftBytes: string | undefined;
  const type = contentType.replace(/;\s*swift_bytes=([^;]*)/g, (_, n: string) => {
    swiftBytes = n;
    return '';
  });
  return swiftBytes === undefined ? { type } : { type, swiftBytes };
}

export type ContainerBroker = DatabaseBroker<ContainerInfo, ObjectRow, ContainerOp, ContainerResult>;

/** How container databases replicate (Swift's ContainerBroker.merge_items and merge_timestamps). */
export const REPLICATION_RULES: ReplicationRules<ContainerInfo, ObjectRow> = {
  mergeInfo(local, remote) {
    const merged = mergeCommonInfo(local, remote);
    const statusChanged = merged.put_timestamp !== local.put_timestamp || merged.delete_timestamp !== local.delete_timestamp;
    // The replicator's set_storage_policy_index when the remote's policy is the right one.
    const policyFromRemote = policyIndexOf(remote) !== policyIndexOf(local) && remotePolicyWins(local, remote);
    return {
      ...merged,
      status_changed_at: statusChanged || policyFromRemote ? remote.status_changed_at : local.status_changed_at,
      account_targets: local.account_targets.length > 0 ? local.account_targets : (remote.account_targets ?? []),
      storage_policy_index: policyFromRemote ? policyIndexOf(remote) : policyIndexOf(local),
    };
  },
  emptyCopy(remote) {
    return {
      id: newReplicaId(),
      hash: EMPTY_ROWS_HASH,
      account: remote.account,
      container: remote.container,
      created_at: remote.created_at,
      put_timestamp: remote.put_timestamp,
      delete_timestamp: remote.delete_timestamp,
      status_changed_at: remote.status_changed_at,
      object_count: 0,
      bytes_used: 0,
      max_row: 0,
      metadata: remote.metadata,
      account_targets: remote.account_targets ?? [],
      storage_policy_index: policyIndexOf(remote),
    };
  },
  mergeRow(state, name, row) {
    putObjectRow(state, {
      name,
      timestamp: ts(row.created_at),
      ctypeTimestamp: ts(row.ctype_timestamp),
      metaTimestamp: ts(row.meta_timestamp),
      size: row.size,
      contentType: row.content_type,
      etag: row.etag,
      deleted: row.deleted,
    });
  },
  deletedAt: (row) => ts(row.created_at),
  isDeleted,
  totals: (info) => ({ count: info.object_count, bytes: info.bytes_used }),
  rowBytes: (row) => row.size,
  rowProblem: (row) =>
    fieldProblem(row, {
      timestamps: ['created_at', 'ctype_timestamp', 'meta_timestamp'],
      integers: ['size'],
      strings: ['content_type', 'etag'],
      booleans: ['deleted'],
    }),
};

/** Object rows are not fsynced (as Swift's .pending), unless the update creates the container. */
const mustSync = (op: ContainerOp) => op.kind !== 'object' || op.autocreate !== undefined;

const rowNames = (op: ContainerOp): readonly string[] => {
  if (op.kind === 'object') return [op.update.name];
  return isReplicationOp(op) ? replicationRowNames(op) : [];
};

export const containerBroker = (): ContainerBroker => new DatabaseBroker(apply, rowNames, mustSync);
