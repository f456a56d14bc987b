// The container and account replicators (Swift's db_replicator): for every database a
// node holds, bring each other primary of its partition up to date — the rows changed
// since that peer's sync point, or the whole database when the peer has none — and
// merge timestamps and metadata both ways (newest wins). A database on a device that
// is not one of its primaries (a handoff) is pushed to every primary and then removed.
// Deleted rows and deleted databases older than reclaim_age are reclaimed.
//
// The node's LevelDBs are held open by its storage node process, so this pass reads
// and changes local databases through the node's own server, with the same replication
// verb it uses on peers (storage-node/db/replication-rpc.ts).
import PQueue from 'p-queue';
import { Timestamp } from '../common/timestamp.js';
import type { Device as RingDevice } from '../ring-builder/index.js';
import { localRingDevices, type DaemonContext } from './context.js';
import { DbRpcClient, RpcStatusError, type DbAddress } from './db-rpc-client.js';

export type DbKind = 'container' | 'account';

/** What the replicator reads of a database's info (the rest travels as it is). */
interface ReplicaInfo {
  id: string;
  account: string;
  container?: string;
  max_row: number;
  created_at: string;
  put_timestamp: string;
  delete_timestamp: string;
  status?: string;
  metadata: Record<string, [string, string]>;
  /** The rows hash: equal on replicas holding the same rows (absent: unknown). */
  hash?: string;
}

interface ListedDatabase {
  partition: string;
  hash: string;
  info: ReplicaInfo;
  outgoing: Record<string, number>;
}

export interface DbReplicatorStats {
  /** Databases looked at. */
  checked: number;
  /** Peers found already holding every row (sync point at our newest row). */
  inSync: number;
  /** Peers that were sent the rows they missed. */
  synced: number;
  /** Peers that had no replica and were sent the whole database. */
  shipped: number;
  rowsPushed: number;
  /** Handoff databases removed here once every primary had them. */
  handoffsRemoved: number;
  /** Deleted databases removed after reclaim_age. */
  reclaimed: number;
  /** Deleted rows removed after reclaim_age. */
  rowsReclaimed: number;
  /** Peer exchanges that failed (peer down, error answered): retried next pass. */
  failures: number;
  seconds: number;
}

const LIST_PAGE = 1000;
const ROWS_PER_MERGE = 1000;
const PROGRESS_EVERY_MS = 10_000;

export const runContainerReplicatorPass = (ctx: DaemonContext) => runDbReplicatorPass('container', ctx);
export const runAccountReplicatorPass = (ctx: DaemonContext) => runDbReplicatorPass('account', ctx);

/** One pass over every database of this node's devices in the `kind` ring. */
export async function runDbReplicatorPass(kind: DbKind, ctx: DaemonContext): Promise<DbReplicatorStats> {
  const started = Date.now();
  const stats: DbReplicatorStats = {
    checked: 0,
    inSync: 0,
    synced: 0,
    shipped: 0,
    rowsPushed: 0,
    handoffsRemoved: 0,
    reclaimed: 0,
    rowsReclaimed: 0,
    failures: 0,
    seconds: 0,
  };
  const log = ctx.log.child({ replicator: kind });
  const ring = await ctx.ring(kind);
  const rpc = new DbRpcClient();
  const queue = new PQueue({ concurrency: ctx.config.replication_concurrency });
  const reclaimBefore = Timestamp.fromSeconds(Date.now() / 1000 - ctx.config.reclaim_age);
  let lastProgress = Date.now();
  const progress = () => {
    if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = Date.now();
    log.info({ ...stats, seconds: (Date.now() - started) / 1000 }, `${kind} replication in progress`);
  };
  try {
    for (const local of localRingDevices(ring, ctx.config).mine.values()) {
      const host = `${local.ip}:${local.port}`;
      const listAddress: DbAddress = { host, device: local.device, partition: 0, names: kind === 'container' ? ['.list', '.list'] : ['.list'] };
      let after: string | undefined;
      do {
        let page: { databases: ListedDatabase[]; next?: string };
        try {
          page = await rpc.call(listAddress, 'list', { limit: LIST_PAGE, ...(after === undefined ? {} : { after }) });
        } catch (err) {
          stats.failures++;
          log.error({ err, device: local.device }, `cannot list the ${kind} databases of a local device; is its storage node running?`);
          break;
        }
        for (const db of page.databases) {
          await queue.onSizeLessThan(2 * ctx.config.replication_concurrency);
          void queue.add(async () => {
            await replicateDatabase({ kind, ring: (part) => ring.getPartNodes(part), local, db, rpc, stats, reclaimBefore, log });
            progress();
          });
        }
        after = page.next;
      } while (after !== undefined);
    }
    await queue.onIdle();
  } finally {
    await rpc.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  log.info({ ...stats }, `${kind} replication pass done`);
  return stats;
}

interface DatabaseJob {
  kind: DbKind;
  ring: (part: number) => RingDevice[];
  local: RingDevice;
  db: ListedDatabase;
  rpc: DbRpcClient;
  stats: DbReplicatorStats;
  reclaimBefore: Timestamp;
  log: DaemonContext['log'];
}

async function replicateDatabase(job: DatabaseJob): Promise<void> {
  const { db, local, rpc, stats, log } = job;
  stats.checked++;
  const names = job.kind === 'container' ? [db.info.account, db.info.container!] : [db.info.account];
  const here: DbAddress = { host: `${local.ip}:${local.port}`, device: local.device, partition: db.partition, names };
  try {
    const reclaimed = await rpc.call<{ rowsPurged: number; dropped: boolean }>(here, 'reclaim', { before: job.reclaimBefore.internal });
    stats.rowsReclaimed += reclaimed.rowsPurged;
    if (reclaimed.dropped) {
      stats.reclaimed++;
      log.info({ partition: db.partition, names }, `reclaimed a deleted ${job.kind} database`);
      return;
    }
  } catch (err) {
    stats.failures++;
    log.error({ err, names }, `cannot reclaim in a local ${job.kind} database`);
    return;
  }
  const primaries = job.ring(Number(db.partition));
  const isPrimary = primaries.some((d) => d.id === local.id);
  const peers = primaries.filter((d) => d.id !== local.id);
  let allSynced = true;
  let info = db.info;
  for (const peer of peers) {
    const there: DbAddress = { host: `${peer.ip}:${peer.port}`, device: peer.device, partition: db.partition, names };
    try {
      info = await syncPeer(here, there, info, db.outgoing, rpc, stats);
    } catch (err) {
      allSynced = false;
      stats.failures++;
      log.warn({ err: err instanceof RpcStatusError ? err.message : err, peer: there.host, device: peer.device, names }, `${job.kind} replication to a peer failed`);
    }
  }
  if (!isPrimary && allSynced && peers.length > 0) {
    await rpc.call(here, 'drop');
    stats.handoffsRemoved++;
    log.info({ partition: db.partition, names }, `handoff ${job.kind} database pushed to its primaries and removed`);
  }
}

interface SyncAnswer {
  info: ReplicaInfo;
  /** How far our rows are merged there (its incoming sync point for our id). */
  point: number;
}

/** The parts of an info record a sync merges: when the peer's differ, ours may change. */
const mergedFields = (info: ReplicaInfo) =>
  JSON.stringify([info.created_at, info.put_timestamp, info.delete_timestamp, info.status ?? '', Object.entries(info.metadata).sort()]);

/**
 * Brings one peer up to date with this replica, and this replica's info up to date with
 * the peer's; answers this replica's info afterwards (the next peer is sent that).
 */
async function syncPeer(
  here: DbAddress,
  there: DbAddress,
  local: ReplicaInfo,
  outgoing: Record<string, number>,
  rpc: DbRpcClient,
  stats: DbReplicatorStats,
): Promise<ReplicaInfo> {
  let answer: SyncAnswer;
  let shipped = false;
  try {
    answer = await rpc.call<SyncAnswer>(there, 'sync', { id: local.id, info: local });
  } catch (err) {
    if (!(err instanceof RpcStatusError && err.status === 404)) throw err;
    // The peer has no replica: ship the whole database (its info, then every row).
    const created = await rpc.call<{ info: ReplicaInfo }>(there, 'create', { info: local });
    answer = { info: created.info, point: 0 };
    shipped = true;
  }
  // Timestamps and metadata converge both ways (Swift's _handle_sync_response); the peer
  // answered its info with ours merged in, so any difference is news for us.
  if (mergedFields(answer.info) !== mergedFields(local)) {
    local = (await rpc.call<SyncAnswer>(here, 'sync', { id: answer.info.id, info: answer.info })).info;
  }
  const since = Math.max(answer.point, outgoing[answer.info.id] ?? 0);
  if (since < local.max_row && !shipped && local.hash !== undefined && answer.info.hash === local.hash) {
    // Same rows on both sides (Swift's hash check): move both sync points up to our newest row, send nothing.
    await rpc.call(there, 'merge', { id: local.id, point: local.max_row, rows: [] });
    await rpc.call(here, 'outgoing', { id: answer.info.id, point: local.max_row });
    stats.inSync++;
    return local;
  }
  if (since >= local.max_row) {
    if (shipped) stats.shipped++;
    else stats.inSync++;
    return local;
  }
  let point = since;
  for (;;) {
    const page = await rpc.call<{ rows: Array<[string, unknown]>; last: number }>(here, 'rows', { since: point, limit: ROWS_PER_MERGE });
    if (page.last <= point) break;
    point = page.last;
    await rpc.call(there, 'merge', { id: local.id, point, rows: page.rows });
    stats.rowsPushed += page.rows.length;
  }
  await rpc.call(here, 'outgoing', { id: answer.info.id, point });
  if (shipped) stats.shipped++;
  else stats.synced++;
  return local;
}
