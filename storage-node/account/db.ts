// Account databases (Swift's AccountBroker): the account's info (timestamps, status,
// container/object/byte totals, metadata) and one row per container as its container
// servers report it. Timestamps merge newest-wins; counts come from the newest report
// (its X-Timestamp). A container whose delete timestamp is newer than its put timestamp
// and that holds no objects is a deleted row, left out of listings and totals.
import { Timestamp } from '../../common/timestamp.js';
import { BatchState, DatabaseBroker } from '../db/broker.js';
import { clearedMetadata, mergeMetadata, validateMetadata, type DbMetadata } from '../db/metadata.js';
import { applyReplication, fieldProblem, isReplicationOp, mergeCommonInfo, newReplicaId, replicationRowNames, type ReplicationOp, type ReplicationRules } from '../db/replication.js';
import { EMPTY_ROWS_HASH } from '../db/row-hash.js';
import { conflict, forbidden, notFound } from '../errors.js';

export interface AccountInfo {
  /** This replica's id (sync points of replication); absent in databases made before ids. */
  id?: string;
  /** The rows hash (db/row-hash.ts): equal on replicas holding the same rows. */
  hash?: string;
  account: string;
  created_at: string;
  put_timestamp: string;
  delete_timestamp: string;
  /** "DELETED" once the account was deleted (until a reaper removes it), else "". */
  status: string;
  status_changed_at: string;
  container_count: number;
  object_count: number;
  bytes_used: number;
  max_row: number;
  metadata: DbMetadata;
  /**
   * Totals per storage policy index (Swift's policy_stat table): a policy gets an entry
   * with its first container row and keeps it, zeros included. Absent in databases made
   * before policies: see policyStatsOf.
   */
  policy_stats?: Record<string, PolicyStats>;
}

export interface PolicyStats {
  container_count: number;
  object_count: number;
  bytes_used: number;
}

export interface ContainerRow {
  put_timestamp: string;
  delete_timestamp: string;
  object_count: number;
  bytes_used: number;
  /** When the container server took the counts above (its X-Timestamp). */
  stats_timestamp: string;
  deleted: boolean;
  row: number;
  /** The container's storage policy (absent in rows made before policies: 0). */
  storage_policy_index?: number;
}

export interface ContainerReport {
  name: string;
  putTimestamp: Timestamp;
  deleteTimestamp: Timestamp;
  objectCount: number;
  bytesUsed: number;
  statsTimestamp: Timestamp;
  policyIndex: number;
}

export type AccountOp =
  | { kind: 'put'; account: string; timestamp: Timestamp; metadata: Record<string, string> }
  | { kind: 'post'; timestamp: Timestamp; metadata: Record<string, string> }
  | { kind: 'delete'; timestamp: Timestamp }
  | { kind: 'container'; account: string; report: ContainerReport; overrideDeleted: boolean }
  | ReplicationOp<AccountInfo, ContainerRow>;

export interface AccountResult {
  /** Undefined only after a replication drop. */
  info: AccountInfo;
  /** PUT: the account is new or was deleted before. */
  created: boolean;
}

const ZERO = new Timestamp(0).internal;
const ts = (s: string) => Timestamp.parse(s);
export const DELETED_STATUS_HEADERS = { 'X-Account-Status': 'Deleted' };

export function isDeleted(info: AccountInfo): boolean {
  return info.status === 'DELETED' || (info.container_count === 0 && ts(info.delete_timestamp).isNewerThan(ts(info.put_timestamp)));
}

/** 404 for a missing or deleted account, saying "Deleted" when it was. */
export function accountNotFound(info: AccountInfo | undefined) {
  return notFound(info?.status === 'DELETED' ? DELETED_STATUS_HEADERS : {});
}

type State = BatchState<AccountInfo, ContainerRow>;

/**
 * The per-policy totals; a database made before policies had every container in policy 0
 * (Swift's migration copies the totals to policy 0 when there is a container).
 */
export function policyStatsOf(info: AccountInfo): Record<string, PolicyStats> {
  if (info.policy_stats !== undefined) return info.policy_stats;
  if (info.container_count === 0) return {};
  return { '0': { container_count: info.container_count, object_count: info.object_count, bytes_used: info.bytes_used } };
}

/** `stats` with one row's share added (sign 1) or taken away (sign -1) in its policy's entry, made if missing. */
function addRowToPolicy(stats: Record<string, PolicyStats>, row: Pick<ContainerRow, 'deleted' | 'object_count' | 'bytes_used' | 'storage_policy_index'>, sign: 1 | -1): Record<string, PolicyStats> {
  const key = String(row.storage_policy_index ?? 0);
  const entry = stats[key] ?? { container_count: 0, object_count: 0, bytes_used: 0 };
  if (row.deleted) return { ...stats, [key]: entry };
  return {
    ...stats,
    [key]: {
      container_count: entry.container_count + sign,
      object_count: entry.object_count + sign * row.object_count,
      bytes_used: entry.bytes_used + sign * row.bytes_used,
    },
  };
}

function newAccount(account: string, timestamp: Timestamp, metadata: DbMetadata): AccountInfo {
  const t = timestamp.internal;
  return {
    id: newReplicaId(),
    hash: EMPTY_ROWS_HASH,
    account,
    created_at: Timestamp.now().internal,
    put_timestamp: t,
    delete_timestamp: ZERO,
    status: '',
    status_changed_at: t,
    container_count: 0,
    object_count: 0,
    bytes_used: 0,
    max_row: 0,
    metadata,
    policy_stats: {},
  };
}

function apply(state: State, op: AccountOp): AccountResult {
  if (isReplicationOp<AccountInfo, ContainerRow>(op)) {
    const before = state.info;
    const info = applyReplication(state, op, REPLICATION_RULES)!;
    return { info, created: before === undefined && info !== undefined };
  }
  switch (op.kind) {
    case 'put':
      return putAccount(state, op);
    case 'post': {
      const old = state.info;
      if (old === undefined || isDeleted(old)) throw accountNotFound(old);
      const { metadata } = mergeMetadata(old.metadata, op.metadata, op.timestamp);
      validateMetadata(metadata);
      state.setInfo({ ...old, metadata });
      return { info: state.info!, created: false };
    }
    case 'delete': {
      const old = state.info;
      if (old === undefined || isDeleted(old)) throw accountNotFound(old);
      if (op.timestamp.isNewerThan(ts(old.delete_timestamp))) {
        const t = op.timestamp.internal;
        state.setInfo({ ...old, delete_timestamp: t, status: 'DELETED', status_changed_at: t, metadata: clearedMetadata(old.metadata, op.timestamp) });
      }
      return { info: state.info!, created: false };
    }
    case 'container':
      return putContainerRow(state, op);
  }
}

function putAccount(state: State, op: Extract<AccountOp, { kind: 'put' }>): AccountResult {
  const old = state.info;
  const { metadata } = mergeMetadata(old?.metadata ?? {}, op.metadata, op.timestamp);
  validateMetadata(metadata);
  if (old === undefined) {
    state.setInfo(newAccount(op.account, op.timestamp, metadata));
    return { info: state.info!, created: true };
  }
  if (old.status === 'DELETED') throw forbidden('Recently deleted', DELETED_STATUS_HEADERS);
  const created = isDeleted(old);
  const put_timestamp = op.timestamp.isNewerThan(ts(old.put_timestamp)) ? op.timestamp.internal : old.put_timestamp;
  const info = { ...old, put_timestamp, metadata };
  if (isDeleted(info)) throw conflict();
  state.setInfo(info);
  return { info, created };
}

function putContainerRow(state: State, op: Extract<AccountOp, { kind: 'container' }>): AccountResult {
  const { report } = op;
  // Swift's account_autocreate: a container report creates its account.
  if (state.info === undefined) state.setInfo(newAccount(op.account, report.statsTimestamp, {}));
  const old = state.info!;
  if (isDeleted(old) && !op.overrideDeleted) throw accountNotFound(old);
  const existing = state.row(report.name);
  const newerStats = existing === undefined || !ts(existing.stats_timestamp).isNewerThan(report.statsTimestamp);
  const put_timestamp = newest(existing?.put_timestamp, report.putTimestamp);
  const delete_timestamp = newest(existing?.delete_timestamp, report.deleteTimestamp);
  const object_count = newerStats ? report.objectCount : existing.object_count;
  const bytes_used = newerStats ? report.bytesUsed : existing.bytes_used;
  const stats_timestamp = newerStats ? report.statsTimestamp.internal : existing.stats_timestamp;
  // As Swift's merge_items, the newest report says which policy the container has.
  const storage_policy_index = newerStats ? report.policyIndex : (existing.storage_policy_index ?? 0);
  const deleted = object_count === 0 && ts(delete_timestamp).isNewerThan(ts(put_timestamp));
  const row = { put_timestamp, delete_timestamp, object_count, bytes_used, stats_timestamp, deleted, storage_policy_index };
  if (existing !== undefined && Object.entries(row).every(([k, v]) => (existing[k as keyof typeof row] ?? 0) === v)) {
    return { info: old, created: false };
  }
  let policy_stats = policyStatsOf(old);
  if (existing !== undefined) policy_stats = addRowToPolicy(policy_stats, existing, -1);
  policy_stats = addRowToPolicy(policy_stats, row, 1);
  let { container_count, object_count: objects, bytes_used: bytes } = old;
  if (existing !== undefined && !existing.deleted) {
    container_count -= 1;
    objects -= existing.object_count;
    bytes -= existing.bytes_used;
  }
  if (!deleted) {
    container_count += 1;
    objects += object_count;
    bytes += bytes_used;
  }
  state.setInfo({ ...old, container_count, object_count: objects, bytes_used: bytes, policy_stats });
  state.writeRow(report.name, row);
  return { info: state.info!, created: false };
}

const newest = (stored: string | undefined, incoming: Timestamp) =>
  stored !== undefined && !incoming.isNewerThan(ts(stored)) ? stored : incoming.internal;

/** How account databases replicate: timestamps and metadata newest-wins, DELETED status kept, rows as reports. */
export const REPLICATION_RULES: ReplicationRules<AccountInfo, ContainerRow> = {
  mergeInfo(local, remote) {
    const merged = mergeCommonInfo(local, remote);
    const deletedThere = remote.status === 'DELETED' && merged.delete_timestamp === remote.delete_timestamp;
    if (deletedThere && local.status !== 'DELETED') {
      return { ...merged, status: 'DELETED', status_changed_at: remote.status_changed_at, metadata: clearedMetadata(merged.metadata, ts(remote.delete_timestamp)) };
    }
    return merged;
  },
  emptyCopy(remote) {
    return {
      ...newAccount(remote.account, ts(remote.put_timestamp), remote.metadata),
      created_at: remote.created_at,
      delete_timestamp: remote.delete_timestamp,
      status: remote.status,
      status_changed_at: remote.status_changed_at,
    };
  },
  mergeRow(state, name, row) {
    putContainerRow(state, {
      kind: 'container',
      account: state.info!.account,
      report: {
        name,
        putTimestamp: ts(row.put_timestamp),
        deleteTimestamp: ts(row.delete_timestamp),
        objectCount: row.object_count,
        bytesUsed: row.bytes_used,
        statsTimestamp: ts(row.stats_timestamp),
        policyIndex: row.storage_policy_index ?? 0,
      },
      overrideDeleted: true,
    });
  },
  deletedAt: (row) => (ts(row.delete_timestamp).isNewerThan(ts(row.put_timestamp)) ? ts(row.delete_timestamp) : ts(row.put_timestamp)),
  isDeleted: (info) => info.status === 'DELETED' && info.container_count === 0,
  totals: (info) => ({ count: info.container_count, bytes: info.bytes_used }),
  rowBytes: (row) => row.bytes_used,
  rowProblem: (row) =>
    fieldProblem(row, {
      timestamps: ['put_timestamp', 'delete_timestamp', 'stats_timestamp'],
      integers: ['object_count', 'bytes_used'],
      booleans: ['deleted'],
    }),
};

export type AccountBroker = DatabaseBroker<AccountInfo, ContainerRow, AccountOp, AccountResult>;

const rowNames = (op: AccountOp): readonly string[] => {
  if (op.kind === 'container') return [op.report.name];
  return isReplicationOp(op) ? replicationRowNames(op) : [];
};

export const accountBroker = (): AccountBroker => new DatabaseBroker(apply, rowNames);
