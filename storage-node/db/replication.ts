// What database replication does to one database, shared by containers and accounts
// (Swift's db_replicator + ReplicatorRpc, on our LevelDB layout): merge another replica's
// timestamps and metadata (newest wins), create an empty copy for a replica shipped
// whole, merge rows pushed from another replica and remember how far (sync points),
// purge deleted rows and databases older than reclaim_age, drop a pushed-away handoff.
// Each kind says how its info and rows merge (ReplicationRules); every change goes
// through the database's write queue like any other write.
import { randomUUID } from 'node:crypto';
import { Timestamp } from '../../common/timestamp.js';
import type { KvStore } from '../devices.js';
import { notFound } from '../errors.js';
import type { BaseInfo, BaseRow, BatchState, DbRef } from './broker.js';
import { ALL_DATABASES, deletedRowRange, infoKey, parseDatabaseKey, rowKey, sequenceRange, syncPointKey, syncPointRange } from './keys.js';
import type { DbMetadata } from './metadata.js';

export interface ReplicationRules<Info extends BaseInfo, Row extends BaseRow> {
  /** `local` with the other replica's timestamps and metadata merged in, newest winning. */
  mergeInfo(local: Info, remote: Info): Info;
  /** A new, empty replica of the database `remote` describes (its rows follow). */
  emptyCopy(remote: Info): Info;
  /** Merges one row from another replica as a write from its server would merge it. */
  mergeRow(state: BatchState<Info, Row>, name: string, row: Row): void;
  /** When a deleted row was deleted (reclaimable after reclaim_age). */
  deletedAt(row: Row): Timestamp;
  /** The database itself is deleted (reclaimable after reclaim_age). */
  isDeleted(info: Info): boolean;
  /** What the info says its live rows add up to, and what one live row adds (the auditor checks they agree). */
  totals(info: Info): { count: number; bytes: number };
  rowBytes(row: Row): number;
  /** What is wrong with a row another replica sent, or undefined (checked before it is queued). */
  rowProblem(row: Record<string, unknown>): string | undefined;
}

/** rowProblem's checks: the named fields hold timestamps, non-negative integers, strings, booleans. */
export function fieldProblem(
  row: Record<string, unknown>,
  fields: { timestamps?: string[]; integers?: string[]; strings?: string[]; booleans?: string[] },
): string | undefined {
  for (const key of fields.timestamps ?? []) {
    try {
      Timestamp.parse(String(row[key]));
    } catch {
      return `${key} is not a timestamp`;
    }
  }
  for (const key of fields.integers ?? []) if (!Number.isSafeInteger(row[key]) || (row[key] as number) < 0) return `${key} is not a non-negative integer`;
  for (const key of fields.strings ?? []) if (typeof row[key] !== 'string') return `${key} is not a string`;
  for (const key of fields.booleans ?? []) if (typeof row[key] !== 'boolean') return `${key} is not a boolean`;
  return undefined;
}

export type ReplicationOp<Info, Row> =
  | { kind: 'repl-id' }
  | { kind: 'repl-sync'; remote: Info }
  | { kind: 'repl-create'; remote: Info }
  | { kind: 'repl-merge'; rows: Array<[string, Row]>; source: string; point: number }
  | { kind: 'repl-outgoing'; remote: string; point: number }
  | { kind: 'repl-purge'; names: string[]; before: Timestamp }
  | { kind: 'repl-drop' };

export const isReplicationOp = <Info, Row>(op: { kind: string }): op is ReplicationOp<Info, Row> => op.kind.startsWith('repl-');

/** The rows a replication operation reads (for the batch to fetch them at once). */
export function replicationRowNames(op: ReplicationOp<unknown, unknown>): readonly string[] {
  if (op.kind === 'repl-merge') return op.rows.map(([name]) => name);
  if (op.kind === 'repl-purge') return op.names;
  return [];
}

/** Applies one replication operation; the database's info afterwards. 404 when it needs a database that is missing. */
export function applyReplication<Info extends BaseInfo, Row extends BaseRow>(
  state: BatchState<Info, Row>,
  op: ReplicationOp<Info, Row>,
  rules: ReplicationRules<Info, Row>,
): Info | undefined {
  const info = state.info;
  switch (op.kind) {
    case 'repl-create':
      if (info === undefined) state.setInfo(rules.emptyCopy(op.remote));
      else state.setInfo(rules.mergeInfo(withId(info), op.remote));
      return state.info;
    case 'repl-drop':
      state.drop();
      return undefined;
  }
  if (info === undefined) throw notFound();
  switch (op.kind) {
    case 'repl-id':
      if (info.id === undefined) state.setInfo(withId(info));
      break;
    case 'repl-sync': {
      const merged = rules.mergeInfo(withId(info), op.remote);
      // Most syncs change nothing: no write, no fsync.
      if (JSON.stringify(merged) !== JSON.stringify(info)) state.setInfo(merged);
      break;
    }
    case 'repl-merge':
      for (const [name, row] of op.rows) rules.mergeRow(state, name, row);
      state.setSyncPoint('incoming', op.source, op.point);
      break;
    case 'repl-outgoing':
      state.setSyncPoint('outgoing', op.remote, op.point);
      break;
    case 'repl-purge':
      for (const name of op.names) {
        const row = state.row(name);
        if (row?.deleted && op.before.isNewerThan(rules.deletedAt(row))) state.removeRow(name);
      }
      break;
  }
  return state.info;
}

const withId = <Info extends BaseInfo>(info: Info): Info => (info.id === undefined ? { ...info, id: randomUUID() } : info);
export const newReplicaId = () => randomUUID();

const ts = (s: string) => Timestamp.parse(s);
const newer = (a: string, b: string) => (ts(b).isNewerThan(ts(a)) ? b : a);
const older = (a: string, b: string) => (ts(b).isNewerThan(ts(a)) ? a : b);

/** Swift's merge_timestamps (oldest created_at, newest put/delete) and update_metadata (newest per key). */
export function mergeCommonInfo<Info extends BaseInfo>(local: Info, remote: BaseInfo): Info {
  return {
    ...local,
    created_at: older(local.created_at, remote.created_at),
    put_timestamp: newer(local.put_timestamp, remote.put_timestamp),
    delete_timestamp: newer(local.delete_timestamp, remote.delete_timestamp),
    metadata: mergeMetadataRecords(local.metadata, remote.metadata),
  };
}

function mergeMetadataRecords(local: DbMetadata, remote: DbMetadata): DbMetadata {
  const merged = { ...local };
  for (const [key, [value, timestamp]] of Object.entries(remote)) {
    const mine = merged[key];
    if (mine === undefined || ts(timestamp).isNewerThan(ts(mine[1]))) merged[key] = [value, timestamp];
  }
  return merged;
}

export interface DatabaseListing<Info> {
  partition: string;
  hash: string;
  info: Info;
  /** Outgoing sync points: how far this replica's rows went to each other replica (by id). */
  outgoing: Record<string, number>;
}

/**
 * Up to `limit` databases of a LevelDB after `after` ("<partition>/<hash>"), in key order:
 * one seek per database, so a listing does not read the rows.
 */
export async function listDatabasePrefixes(store: KvStore, after: string | undefined, limit: number): Promise<Array<{ partition: string; hash: string; prefix: Buffer }>> {
  const found: Array<{ partition: string; hash: string; prefix: Buffer }> = [];
  const start = after === undefined ? ALL_DATABASES.start : Buffer.from(`D${after}\0\xff`, 'latin1');
  const iterator = store.keys({ gte: start, lt: ALL_DATABASES.end });
  try {
    while (found.length < limit) {
      const key = await iterator.next();
      if (key === undefined) break;
      const parsed = parseDatabaseKey(key);
      if (parsed === undefined) break;
      found.push(parsed);
      iterator.seek(Buffer.concat([parsed.prefix, Buffer.of(0xff)]));
    }
  } finally {
    await iterator.close();
  }
  return found;
}

/** Like listDatabasePrefixes, with each database's info and outgoing sync points (databases without info left out). */
export async function listDatabases<Info>(
  store: KvStore,
  after: string | undefined,
  limit: number,
): Promise<{ databases: Array<DatabaseListing<Info>>; next?: string }> {
  const databases: Array<DatabaseListing<Info>> = [];
  const prefixes = await listDatabasePrefixes(store, after, limit);
  for (const { partition, hash, prefix } of prefixes) {
    const info = (await store.get(infoKey(prefix))) as Info | undefined;
    if (info !== undefined) databases.push({ partition, hash, info, outgoing: await syncPoints(store, prefix, 'outgoing') });
  }
  const last = prefixes.at(-1);
  return prefixes.length === limit && last ? { databases, next: `${last.partition}/${last.hash}` } : { databases };
}

export async function syncPoints(store: KvStore, prefix: Buffer, direction: 'incoming' | 'outgoing'): Promise<Record<string, number>> {
  const { start, end } = syncPointRange(prefix, direction);
  const points: Record<string, number> = {};
  for await (const [key, value] of store.iterator({ gte: start, lt: end })) {
    points[key.subarray(start.length).toString('utf8')] = value as number;
  }
  return points;
}

export async function incomingSyncPoint(ref: DbRef, id: string): Promise<number> {
  const point = await ref.store.get(syncPointKey(ref.prefix, 'incoming', id));
  return typeof point === 'number' ? point : 0;
}

/**
 * Up to `limit` rows (live and deleted) changed after sequence number `since`, oldest
 * first, and the last sequence number read (the next `since`). A row replaced while this
 * runs is sent as it is now; its new number comes round again later, which is harmless.
 */
export async function rowsSince<Row>(ref: DbRef, since: number, limit: number): Promise<{ rows: Array<[string, Row]>; last: number }> {
  const { start, end } = sequenceRange(ref.prefix, since);
  const index: Array<{ name: string; deleted: boolean }> = [];
  let last = since;
  for await (const [key, value] of ref.store.iterator({ gte: start, lt: end, limit })) {
    index.push(value as { name: string; deleted: boolean });
    last = Number(key.readBigUInt64BE(ref.prefix.length + 1));
  }
  if (index.length === 0) return { rows: [], last };
  const rows = await ref.store.getMany(index.map((e) => rowKey(ref.prefix, e.deleted ? 'deleted' : 'live', e.name)));
  const out: Array<[string, Row]> = [];
  index.forEach((e, i) => {
    if (rows[i] !== undefined) out.push([e.name, rows[i] as Row]);
  });
  return { rows: out, last };
}

/** Deleted rows, a page at a time (for reclaiming). */
export async function* deletedRowNames<Row>(ref: DbRef, pageSize: number): AsyncGenerator<Array<[string, Row]>> {
  const { start, end } = deletedRowRange(ref.prefix);
  let page: Array<[string, Row]> = [];
  for await (const [key, row] of ref.store.iterator({ gte: start, lt: end })) {
    page.push([key.subarray(start.length).toString('utf8'), row as Row]);
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
