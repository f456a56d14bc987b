// Metadata of a container or account database: each key keeps its value and the
// timestamp that set it, and a newer timestamp wins per key (Swift's update_metadata).
// An empty value is a removal that still remembers its timestamp.
import { Timestamp } from '../../common/timestamp.js';
import { badRequest } from '../errors.js';
import { META_LIMITS } from '../metadata.js';

export type DbMetadata = Record<string, [value: string, timestamp: string]>;

/** `current` with `updates` applied where they are newer; `changed` tells whether any was. */
export function mergeMetadata(
  current: DbMetadata,
  updates: Record<string, string>,
  timestamp: Timestamp,
): { metadata: DbMetadata; changed: boolean } {
  const metadata = { ...current };
  let changed = false;
  for (const [key, value] of Object.entries(updates)) {
    const existing = metadata[key];
    if (existing === undefined || timestamp.isNewerThan(Timestamp.parse(existing[1]))) {
      metadata[key] = [value, timestamp.internal];
      changed = true;
    }
  }
  return { metadata, changed };
}

/** Every key set to "" at `timestamp` (a deleted database forgets its metadata). */
export function clearedMetadata(current: DbMetadata, timestamp: Timestamp): DbMetadata {
  return mergeMetadata(current, Object.fromEntries(Object.keys(current).map((k) => [k, ''])), timestamp).metadata;
}

/** 400 when the merged user metadata exceeds Swift's count or size limits. */
export function validateMetadata(metadata: DbMetadata): void {
  let count = 0;
  let size = 0;
  for (const [key, [value]] of Object.entries(metadata)) {
    const m = /^x-(?:account|container)-meta-(.*)$/i.exec(key);
    if (!m || value === '') continue;
    count++;
    size += m[1]!.length + value.length;
  }
  if (count > META_LIMITS.max_meta_count || size > META_LIMITS.max_meta_overall_size) {
    throw badRequest(`Too many metadata items; max ${META_LIMITS.max_meta_count}, total ${META_LIMITS.max_meta_overall_size} bytes`);
  }
}

/** The metadata as response headers (removed keys left out). */
export function metadataHeaders(metadata: DbMetadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, [value]] of Object.entries(metadata)) if (value !== '') headers[key] = value;
  return headers;
}
