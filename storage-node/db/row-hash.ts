// The rows hash of a database (Swift's `hash` column): the XOR of one MD5 per row, over
// its name and content (not its sequence number, which differs between replicas). Kept
// up to date with every row written or removed, so two replicas holding the same rows
// have the same hash whatever order the rows arrived in, and the replicator can tell
// "in sync" without comparing rows.
import { createHash } from 'node:crypto';

export const EMPTY_ROWS_HASH = '0'.repeat(32);

function rowDigest(name: string, row: object): Buffer {
  const fields = Object.keys(row)
    .filter((k) => k !== 'row')
    .sort();
  return createHash('md5').update(name).update('\0').update(JSON.stringify(row, fields)).digest();
}

/** `hash` with `row` of `name` added or taken out (XOR is its own inverse); undefined stays unknown. */
export function toggleRow(hash: string | undefined, name: string, row: object): string | undefined {
  if (hash === undefined) return undefined;
  const out = Buffer.from(hash, 'hex');
  const digest = rowDigest(name, row);
  for (let i = 0; i < out.length; i++) out[i]! ^= digest[i]!;
  return out.toString('hex');
}
