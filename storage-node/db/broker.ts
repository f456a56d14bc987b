// The machinery container and account databases share (Swift's DatabaseBroker): an info
// record, rows with a per-database sequence number, and writes applied one batch at a
// time per database and committed with one LevelDB batch before any is answered. The
// batch is synced (fsync) when one of its operations must survive a power loss on its
// own; listing-row updates need not (see `mustSync`).
import type { KvStore } from '../devices.js';
import { HttpError } from '../errors.js';
import { databasePrefix, databaseRange, infoKey, rowKey, sequenceKey, syncPointKey, type RowState, type SyncDirection } from './keys.js';
import { toggleRow } from './row-hash.js';
import { WriteQueue } from './write-queue.js';

/** One database inside a device's LevelDB. */
export interface DbRef {
  store: KvStore;
  /** databasePrefix(partition, hash). */
  prefix: Buffer;
  /** Unique per database on this node: the LevelDB's location and the prefix. */
  id: string;
}

/** The database of `hash` (the placement hash of its path) in `partition`. */
export function databaseRef(store: KvStore, partition: string, hash: string): DbRef {
  const prefix = databasePrefix(partition, hash);
  return { store, prefix, id: `${store.location}\0${prefix.toString('latin1')}` };
}

export interface BaseInfo {
  /** The sequence number of the newest row. */
  max_row: number;
  /** This replica's identity for sync points (Swift's database id); new when a database is created. */
  id?: string;
  created_at: string;
  put_timestamp: string;
  delete_timestamp: string;
  metadata: Record<string, [string, string]>;
  /** The rows hash (row-hash.ts); absent in databases made before it existed (then unknown). */
  hash?: string;
}

export interface BaseRow {
  deleted: boolean;
  /** Sequence number: greater than that of every row written before in this database. */
  row: number;
}

type BatchOp = { type: 'put'; key: Buffer; value: unknown } | { type: 'del'; key: Buffer };

/** What one batch sees and changes: the info record and the rows its operations name. */
export class BatchState<Info extends BaseInfo, Row extends BaseRow> {
  readonly ops: BatchOp[] = [];
  infoChanged = false;
  /** The whole database was removed before `ops` (a handoff pushed away, a reclaimed database). */
  dropped = false;

  constructor(
    public info: Info | undefined,
    private readonly rows: Map<string, Row | undefined>,
    private readonly prefix: Buffer,
  ) {}

  row(name: string): Row | undefined {
    return this.rows.get(name);
  }

  setInfo(info: Info): void {
    this.info = info;
    this.infoChanged = true;
  }

  /** Replaces the row `name` (live or deleted) with `fields`, under a new sequence number. */
  writeRow(name: string, fields: Omit<Row, 'row'>): Row {
    const info = this.info;
    if (info === undefined) throw new Error('a row needs its database to exist');
    const old = this.rows.get(name);
    if (old !== undefined) {
      this.ops.push({ type: 'del', key: rowKey(this.prefix, stateOf(old), name) });
      this.ops.push({ type: 'del', key: sequenceKey(this.prefix, old.row) });
    }
    const row = { ...fields, row: info.max_row + 1 } as Row;
    const hash = toggleRow(old === undefined ? info.hash : toggleRow(info.hash, name, old), name, row);
    this.setInfo({ ...info, max_row: row.row, ...(hash === undefined ? {} : { hash }) });
    this.ops.push({ type: 'put', key: rowKey(this.prefix, stateOf(row), name), value: row });
    this.ops.push({ type: 'put', key: sequenceKey(this.prefix, row.row), value: { name, deleted: row.deleted } });
    this.rows.set(name, row);
    return row;
  }

  /** Removes the row `name` altogether (a deleted row older than reclaim_age). */
  removeRow(name: string): void {
    const old = this.rows.get(name);
    if (old === undefined) return;
    this.ops.push({ type: 'del', key: rowKey(this.prefix, stateOf(old), name) });
    this.ops.push({ type: 'del', key: sequenceKey(this.prefix, old.row) });
    this.rows.set(name, undefined);
    const info = this.info;
    const hash = toggleRow(info?.hash, name, old);
    if (info !== undefined && hash !== undefined) this.setInfo({ ...info, hash });
  }

  setSyncPoint(direction: SyncDirection, id: string, point: number): void {
    this.ops.push({ type: 'put', key: syncPointKey(this.prefix, direction, id), value: point });
  }

  /** Removes every key of the database; later operations of the batch start from nothing. */
  drop(): void {
    this.ops.length = 0;
    this.info = undefined;
    this.infoChanged = false;
    this.dropped = true;
    for (const name of this.rows.keys()) this.rows.set(name, undefined);
  }
}

const stateOf = (row: BaseRow): RowState => (row.deleted ? 'deleted' : 'live');

/** Applies one operation; throws HttpError to refuse it (before changing anything). */
export type ApplyOp<Info extends BaseInfo, Row extends BaseRow, Op, Result> = (state: BatchState<Info, Row>, op: Op) => Result;

interface Job<Op> {
  ref: DbRef;
  op: Op;
}

export class DatabaseBroker<Info extends BaseInfo, Row extends BaseRow, Op, Result> {
  private readonly queue: WriteQueue<Job<Op>, Result>;

  constructor(
    private readonly apply: ApplyOp<Info, Row, Op, Result>,
    /** The row an operation touches, if any, so the batch can read them all at once. */
    private readonly rowNamesOf: (op: Op) => readonly string[],
    /**
     * Whether the batch holding `op` is fsynced before it is answered. Swift appends
     * object rows to a container's .pending file without fsync: the object's own data
     * file is the durable record, and replication and the updater repair a listing that
     * lost rows in a crash. Unsynced batches still reach the OS before they are answered
     * (they survive a process crash), and the next synced batch makes them durable too.
     */
    private readonly mustSync: (op: Op) => boolean = () => true,
  ) {
    this.queue = new WriteQueue((_id, jobs) => this.commit(jobs));
  }

  write(ref: DbRef, op: Op): Promise<Result> {
    return this.queue.submit(ref.id, { ref, op });
  }

  async readInfo(ref: DbRef): Promise<Info | undefined> {
    return (await ref.store.get(infoKey(ref.prefix))) as Info | undefined;
  }

  private async commit(jobs: Array<Job<Op>>): Promise<Array<Result | Error>> {
    const { store, prefix } = jobs[0]!.ref;
    const names = [...new Set(jobs.flatMap((j) => this.rowNamesOf(j.op)))];
    const [info, values] = await Promise.all([
      this.readInfo(jobs[0]!.ref),
      names.length === 0 ? [] : store.getMany(names.flatMap((n) => [rowKey(prefix, 'live', n), rowKey(prefix, 'deleted', n)])),
    ]);
    const rows = new Map(names.map((n, i) => [n, (values[2 * i] ?? values[2 * i + 1]) as Row | undefined]));
    const state = new BatchState<Info, Row>(info, rows, prefix);
    const results = jobs.map((job) => {
      try {
        return this.apply(state, job.op);
      } catch (err) {
        if (err instanceof HttpError) return err;
        throw err;
      }
    });
    if (state.infoChanged) state.ops.push({ type: 'put', key: infoKey(prefix), value: state.info });
    if (state.dropped) {
      const { start, end } = databaseRange(prefix);
      await store.clear({ gte: start, lt: end });
    }
    if (state.ops.length > 0) await store.batch(state.ops, { sync: jobs.some((j) => this.mustSync(j.op)) });
    return results;
  }
}
