// The replication verb of the container and account servers. Node's HTTP parser only
// takes standard methods, so Swift's `REPLICATE /<device>/<partition>/<hash>` becomes
// `POST /<device>/<partition>/<account>[/<container>]` with `X-Backend-Replicate: <op>`
// and a JSON body; the answer is JSON. Operations (see docs/db-replication.md):
//   list      databases of the device, a page at a time (the path's names are ignored)
//   sync      merge the caller's info; answer this replica's info and the caller's sync point
//   create    make an empty replica from the caller's info (a database shipped whole)
//   rows      rows changed since a sequence number, and the last number read (the replicator reads its own node so)
//   merge     merge rows pushed by another replica, and remember how far they went
//   outgoing  remember how far this replica's rows went to another one
//   reclaim   purge deleted rows, or the whole deleted database, older than a timestamp
//   drop      remove the database (a handoff whose primaries all have it)
//   audit     check every database of the device; quarantine the ones that fail
import type { Readable } from 'node:stream';
import { Timestamp } from '../../common/timestamp.js';
import type { DatabaseKind, KvStore } from '../devices.js';
import { auditStore } from './audit.js';
import { badRequest, entityTooLarge, notFound } from '../errors.js';
import { parseTimestampHeader, type BackendRequest, type BackendResponse } from '../http.js';
import { databaseRef, type BaseInfo, type BaseRow, type DbRef } from './broker.js';
import { deletedRowNames, incomingSyncPoint, listDatabases, rowsSince, type ReplicationOp, type ReplicationRules } from './replication.js';

export const REPLICATE_HEADER = 'x-backend-replicate';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_PAGE = 10_000;
const PURGE_PAGE = 1000;

export interface ReplicationEndpoint<Info extends BaseInfo, Row extends BaseRow> {
  store: KvStore;
  ref: DbRef;
  readInfo: (ref: DbRef) => Promise<Info | undefined>;
  /** Applies one operation through the database's write queue; the info afterwards. */
  write: (ref: DbRef, op: ReplicationOp<Info, Row>) => Promise<Info | undefined>;
  rules: ReplicationRules<Info, Row>;
  kind: DatabaseKind;
  /** <device>/quarantined: where the auditor puts databases that fail their checks. */
  quarantineDir: string;
}

export async function handleReplicate<Info extends BaseInfo, Row extends BaseRow>(
  req: BackendRequest,
  op: string,
  db: ReplicationEndpoint<Info, Row>,
): Promise<BackendResponse> {
  const body = await readJsonBody(req.body);
  const { ref } = db;
  switch (op) {
    case 'list': {
      const after = optionalString(body, 'after');
      const limit = pageSize(body);
      const { databases, next } = await listDatabases<Info>(db.store, after, limit);
      for (const entry of databases) {
        // Sync points need a replica id; databases made before ids existed get one now.
        if (entry.info.id === undefined) {
          const withId = await db.write(databaseRef(db.store, entry.partition, entry.hash), { kind: 'repl-id' });
          if (withId !== undefined) entry.info = withId;
        }
      }
      return json({ databases, ...(next === undefined ? {} : { next }) });
    }
    case 'sync': {
      const id = requiredString(body, 'id');
      const info = await db.write(ref, { kind: 'repl-sync', remote: infoOf<Info>(body) });
      return json({ info, point: await incomingSyncPoint(ref, id) });
    }
    case 'create':
      return json({ info: await db.write(ref, { kind: 'repl-create', remote: infoOf<Info>(body) }) });
    case 'rows': {
      const since = integer(body, 'since');
      return json(await rowsSince<Row>(ref, since, pageSize(body)));
    }
    case 'merge': {
      const rows = body.rows;
      if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'object' && r[1] !== null)) {
        throw badRequest('merge needs "rows": [[name, row], ...]');
      }
      for (const [name, row] of rows as Array<[string, Record<string, unknown>]>) {
        const problem = db.rules.rowProblem(row);
        if (problem !== undefined) throw badRequest(`row ${JSON.stringify(name)}: ${problem}`);
      }
      const info = await db.write(ref, { kind: 'repl-merge', rows: rows as Array<[string, Row]>, source: requiredString(body, 'id'), point: integer(body, 'point') });
      return json({ info });
    }
    case 'outgoing':
      await db.write(ref, { kind: 'repl-outgoing', remote: requiredString(body, 'id'), point: integer(body, 'point') });
      return { status: 204 };
    case 'reclaim':
      return json(await reclaim(db, parseTimestampHeader('before', requiredString(body, 'before'))));
    case 'drop':
      await db.write(ref, { kind: 'repl-drop' });
      return { status: 204 };
    case 'audit': {
      const figures = await auditStore(db.store, db.kind, db.quarantineDir, db.rules, (r) => db.write(r, { kind: 'repl-drop' }));
      for (const p of figures.problems) req.log.warn({ ...p, kind: db.kind }, 'database failed its audit: quarantined');
      return json(figures);
    }
    default:
      throw badRequest(`Unknown ${REPLICATE_HEADER}: ${JSON.stringify(op)}`);
  }
}

/** Deleted rows older than `before` go; so does the database when it is deleted and its deletion older. */
async function reclaim<Info extends BaseInfo, Row extends BaseRow>(
  db: ReplicationEndpoint<Info, Row>,
  before: Timestamp,
): Promise<{ rowsPurged: number; dropped: boolean }> {
  const info = await db.readInfo(db.ref);
  if (info === undefined) throw notFound();
  if (db.rules.isDeleted(info) && before.isNewerThan(Timestamp.parse(info.delete_timestamp))) {
    await db.write(db.ref, { kind: 'repl-drop' });
    return { rowsPurged: 0, dropped: true };
  }
  let rowsPurged = 0;
  for await (const page of deletedRowNames<Row>(db.ref, PURGE_PAGE)) {
    const names = page.filter(([, row]) => before.isNewerThan(db.rules.deletedAt(row))).map(([name]) => name);
    if (names.length === 0) continue;
    // The write queue looks again: a row revived meanwhile stays.
    await db.write(db.ref, { kind: 'repl-purge', names, before });
    rowsPurged += names.length;
  }
  return { rowsPurged, dropped: false };
}

const json = (value: unknown): BackendResponse => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });

async function readJsonBody(body: Readable): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw entityTooLarge(MAX_BODY_BYTES);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('The replication body must be JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('The replication body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw badRequest(`"${key}" must be a non-empty string`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  return body[key] === undefined ? undefined : requiredString(body, key);
}

function integer(body: Record<string, unknown>, key: string): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw badRequest(`"${key}" must be a non-negative integer`);
  return value;
}

function pageSize(body: Record<string, unknown>): number {
  if (body.limit === undefined) return MAX_PAGE;
  const limit = integer(body, 'limit');
  if (limit < 1 || limit > MAX_PAGE) throw badRequest(`"limit" must be from 1 to ${MAX_PAGE}`);
  return limit;
}

/** The other replica's info: checked for the fields every merge reads. */
function infoOf<Info extends BaseInfo>(body: Record<string, unknown>): Info {
  const info = body.info as Record<string, unknown> | undefined;
  if (typeof info !== 'object' || info === null) throw badRequest('"info" must be an object');
  for (const key of ['created_at', 'put_timestamp', 'delete_timestamp']) parseTimestampHeader(`info.${key}`, String(info[key]));
  if (typeof info.account !== 'string' || info.account === '') throw badRequest('"info.account" must be a non-empty string');
  if (info.container !== undefined && typeof info.container !== 'string') throw badRequest('"info.container" must be a string');
  const targets = info.account_targets;
  if (targets !== undefined && (!Array.isArray(targets) || !targets.every((t) => ['host', 'device', 'partition'].every((k) => typeof t?.[k] === 'string')))) {
    throw badRequest('"info.account_targets" must be a list of {host, device, partition}');
  }
  if (typeof info.metadata !== 'object' || info.metadata === null) throw badRequest('"info.metadata" must be an object');
  for (const [key, pair] of Object.entries(info.metadata)) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw badRequest(`bad metadata entry ${JSON.stringify(key)}`);
    parseTimestampHeader(`metadata ${key}`, pair[1]);
  }
  return info as unknown as Info;
}
