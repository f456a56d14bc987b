// Key layout of the container and account databases. One LevelDB per device and kind
// holds many databases (one per container, or per account); all keys of one database
// share the prefix  "D" <partition> "/" <hash> 0x00  and then:
//   "i"                    → the database's info record (JSON)
//   "o" <name as UTF-8>    → a live row: an object (container db) or container (account db)
//   "t" <name as UTF-8>    → a deleted row, kept so that older updates cannot revive it
//   "s" <row as u64 BE>    → the key suffix ("o"/"t" + name) of the row with that sequence
// Rows sort by the UTF-8 bytes of their name, so a listing is one range scan; the "s"
// index lets a replicator fetch the rows changed since a sync point (like Swift's ROWID).

export type RowState = 'live' | 'deleted';

const INFO = 0x69; // "i"
const LIVE = 0x6f; // "o"
const DELETED = 0x74; // "t"
const SEQUENCE = 0x73; // "s"

/** The prefix of every key of the database of `hash` in `partition`. */
export function databasePrefix(partition: string, hash: string): Buffer {
  return Buffer.from(`D${partition}/${hash}\0`, 'latin1');
}

export const infoKey = (prefix: Buffer) => Buffer.concat([prefix, Buffer.of(INFO)]);

function rowKeySuffix(state: RowState, name: string): Buffer {
  return Buffer.concat([Buffer.of(state === 'live' ? LIVE : DELETED), Buffer.from(name, 'utf8')]);
}

export const rowKey = (prefix: Buffer, state: RowState, name: string) => Buffer.concat([prefix, rowKeySuffix(state, name)]);

export function sequenceKey(prefix: Buffer, row: number): Buffer {
  const key = Buffer.alloc(prefix.length + 9);
  prefix.copy(key);
  key[prefix.length] = SEQUENCE;
  key.writeBigUInt64BE(BigInt(row), prefix.length + 1);
  return key;
}

/** [start, end) of the live rows' keys. */
export function liveRowRange(prefix: Buffer): { start: Buffer; end: Buffer } {
  return { start: Buffer.concat([prefix, Buffer.of(LIVE)]), end: Buffer.concat([prefix, Buffer.of(LIVE + 1)]) };
}

/** [start, end) of the deleted rows' keys. */
export function deletedRowRange(prefix: Buffer): { start: Buffer; end: Buffer } {
  return { start: Buffer.concat([prefix, Buffer.of(DELETED)]), end: Buffer.concat([prefix, Buffer.of(DELETED + 1)]) };
}

/** [start, end) of the sequence index, from row `after` + 1 on. */
export function sequenceRange(prefix: Buffer, after: number): { start: Buffer; end: Buffer } {
  return { start: sequenceKey(prefix, after + 1), end: Buffer.concat([prefix, Buffer.of(SEQUENCE + 1)]) };
}

/**
 * Sync points (Swift's incoming_sync / outgoing_sync tables), keyed by the other replica's
 * id: "I" <id> is how far that replica's rows have been merged here, "O" <id> how far
 * this replica's rows have been pushed there.
 */
export type SyncDirection = 'incoming' | 'outgoing';
const SYNC_MARK: Record<SyncDirection, number> = { incoming: 0x49, outgoing: 0x4f }; // "I", "O"

export const syncPointKey = (prefix: Buffer, direction: SyncDirection, id: string) =>
  Buffer.concat([prefix, Buffer.of(SYNC_MARK[direction]), Buffer.from(id, 'utf8')]);

export function syncPointRange(prefix: Buffer, direction: SyncDirection): { start: Buffer; end: Buffer } {
  const mark = SYNC_MARK[direction];
  return { start: Buffer.concat([prefix, Buffer.of(mark)]), end: Buffer.concat([prefix, Buffer.of(mark + 1)]) };
}

/** [start, end) of every key of one database. */
export function databaseRange(prefix: Buffer): { start: Buffer; end: Buffer } {
  return { start: prefix, end: Buffer.concat([prefix, Buffer.of(0xff)]) };
}

/** All databases of a LevelDB live between these keys. */
export const ALL_DATABASES = { start: Buffer.from('D', 'latin1'), end: Buffer.from('E', 'latin1') };

/** The partition and hash of a key of any database, or undefined for a foreign key. */
export function parseDatabaseKey(key: Buffer): { partition: string; hash: string; prefix: Buffer } | undefined {
  const nul = key.indexOf(0);
  if (nul < 0) return undefined;
  const m = /^D(\d+)\/([0-9a-f]+)$/.exec(key.subarray(0, nul).toString('latin1'));
  if (!m) return undefined;
  return { partition: m[1]!, hash: m[2]!, prefix: key.subarray(0, nul + 1) };
}
