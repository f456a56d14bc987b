// Auditing container and account databases (Swift's db auditor): every database of a
// device is read once, in one LevelDB snapshot, and checked — an info record that parses,
// live rows that add up to its counts, a sequence index that names every row and nothing
// else. A database that fails is copied aside to <device>/quarantined/<kind>/ (one JSON
// line per key, for a human) and removed, so replication restores it from its replicas.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Timestamp } from '../../common/timestamp.js';
import type { DatabaseKind, KvStore } from '../devices.js';
import { DIR_MODE, FILE_MODE } from '../durable.js';
import { databaseRef, type BaseInfo, type BaseRow, type DbRef } from './broker.js';
import { databaseRange } from './keys.js';
import { listDatabasePrefixes, type ReplicationRules } from './replication.js';

export interface AuditFigures {
  checked: number;
  quarantined: number;
  /** What was wrong with each quarantined database. */
  problems: Array<{ partition: string; hash: string; problem: string }>;
}

const INFO = 0x69;
const LIVE = 0x6f;
const DELETED = 0x74;
const SEQUENCE = 0x73;

/** What is wrong with the database, or undefined when it is sound. */
export async function verifyDatabase<Info extends BaseInfo, Row extends BaseRow>(ref: DbRef, rules: ReplicationRules<Info, Row>): Promise<string | undefined> {
  const { start, end } = databaseRange(ref.prefix);
  let info: Info | undefined;
  let count = 0;
  let bytes = 0;
  const rowNumbers = new Set<number>();
  const indexed: number[] = [];
  for await (const [key, value] of ref.store.iterator({ gte: start, lt: end })) {
    const mark = key[ref.prefix.length];
    if (mark === INFO) {
      info = value as Info;
      const problem = infoProblem(info);
      if (problem) return problem;
    } else if (mark === LIVE || mark === DELETED) {
      if (info === undefined) return 'rows without an info record';
      const row = value as Row;
      if (typeof row !== 'object' || row === null || !Number.isSafeInteger(row.row) || row.row < 1 || row.row > info.max_row) {
        return `row ${JSON.stringify(key.subarray(ref.prefix.length + 1).toString('utf8'))} has no valid sequence number`;
      }
      if (row.deleted !== (mark === DELETED)) return 'a row is filed as live but marked deleted, or the reverse';
      rowNumbers.add(row.row);
      if (mark === LIVE) {
        count++;
        bytes += rules.rowBytes(row);
      }
    } else if (mark === SEQUENCE) {
      indexed.push(Number(key.readBigUInt64BE(ref.prefix.length + 1)));
    }
  }
  if (info === undefined) return rowNumbers.size > 0 || indexed.length > 0 ? 'keys without an info record' : undefined;
  const totals = rules.totals(info);
  if (totals.count !== count || totals.bytes !== bytes) {
    return `the info says ${totals.count} rows / ${totals.bytes} bytes, the rows add up to ${count} / ${bytes}`;
  }
  if (indexed.length !== rowNumbers.size || indexed.some((n) => !rowNumbers.has(n))) return 'the sequence index does not match the rows';
  return undefined;
}

function infoProblem(info: BaseInfo): string | undefined {
  if (typeof info !== 'object' || info === null) return 'the info record is not an object';
  if (!Number.isSafeInteger(info.max_row) || info.max_row < 0) return 'the info record has no valid max_row';
  for (const key of ['created_at', 'put_timestamp', 'delete_timestamp'] as const) {
    try {
      Timestamp.parse(String(info[key]));
    } catch {
      return `the info record's ${key} is not a timestamp`;
    }
  }
  if (typeof info.metadata !== 'object' || info.metadata === null) return 'the info record has no metadata';
  return undefined;
}

/** Checks every database of one LevelDB; bad ones are copied to `quarantineDir` and removed with `drop`. */
export async function auditStore<Info extends BaseInfo, Row extends BaseRow>(
  store: KvStore,
  kind: DatabaseKind,
  quarantineDir: string,
  rules: ReplicationRules<Info, Row>,
  drop: (ref: DbRef) => Promise<unknown>,
): Promise<AuditFigures> {
  const figures: AuditFigures = { checked: 0, quarantined: 0, problems: [] };
  let after: string | undefined;
  for (;;) {
    const page = await listDatabasePrefixes(store, after, 1000);
    for (const { partition, hash } of page) {
      figures.checked++;
      const ref = databaseRef(store, partition, hash);
      const problem = await verifyDatabase(ref, rules).catch((err: Error) => `unreadable: ${err.message}`);
      if (problem === undefined) continue;
      await copyAside(ref, join(quarantineDir, kind, `${partition}-${hash}-${Date.now()}.jsonl`));
      await drop(ref);
      figures.quarantined++;
      figures.problems.push({ partition, hash, problem });
    }
    if (page.length < 1000) return figures;
    after = `${page.at(-1)!.partition}/${page.at(-1)!.hash}`;
  }
}

async function copyAside(ref: DbRef, path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: DIR_MODE });
  const out = createWriteStream(path, { mode: FILE_MODE });
  const { start, end } = databaseRange(ref.prefix);
  for await (const [key, value] of ref.store.iterator({ gte: start, lt: end, valueEncoding: 'utf8' })) {
    const line = `${JSON.stringify({ key: key.toString('hex'), value })}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}
