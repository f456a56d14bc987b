// The format of an object's files (.data, .meta, .ts): the body (empty for .meta and
// .ts), then the metadata as UTF-8 JSON, then its length as a big-endian u32, then the
// 8-byte magic "STWMETA1". The trailer goes last so the ETag computed while the body
// streams in can be written with it; a file is self-describing.
import type { FileHandle } from 'node:fs/promises';

export const TRAILER_MAGIC = Buffer.from('STWMETA1', 'latin1');
const TRAILER_FIXED_BYTES = 4 + TRAILER_MAGIC.length;
/** Far above what Swift's metadata limits allow; a larger length means a corrupt file. */
const MAX_METADATA_BYTES = 1 << 20;

/** Metadata as Swift keeps it: header names (title-cased) to string values, plus "name". */
export type Metadata = Record<string, string>;

export class CorruptFileError extends Error {
  readonly code = 'ERR_CORRUPT_OBJECT_FILE';
}

export function encodeTrailer(metadata: Metadata): Buffer {
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const fixed = Buffer.alloc(TRAILER_FIXED_BYTES);
  fixed.writeUInt32BE(json.length, 0);
  TRAILER_MAGIC.copy(fixed, 4);
  return Buffer.concat([json, fixed]);
}

/** Reads the trailer of an open file; `bodyLength` is the size of what precedes it. */
export async function readTrailer(handle: FileHandle, path: string): Promise<{ metadata: Metadata; bodyLength: number }> {
  const { size } = await handle.stat();
  if (size < TRAILER_FIXED_BYTES) throw new CorruptFileError(`${path}: too short to hold metadata`);
  const fixed = Buffer.alloc(TRAILER_FIXED_BYTES);
  await readExactly(handle, fixed, size - TRAILER_FIXED_BYTES, path);
  if (!fixed.subarray(4).equals(TRAILER_MAGIC)) throw new CorruptFileError(`${path}: no metadata trailer`);
  const jsonLength = fixed.readUInt32BE(0);
  if (jsonLength > MAX_METADATA_BYTES || jsonLength > size - TRAILER_FIXED_BYTES) {
    throw new CorruptFileError(`${path}: metadata length ${jsonLength} is impossible`);
  }
  const json = Buffer.alloc(jsonLength);
  const bodyLength = size - TRAILER_FIXED_BYTES - jsonLength;
  await readExactly(handle, json, bodyLength, path);
  let metadata: unknown;
  try {
    metadata = JSON.parse(json.toString('utf8'));
  } catch {
    throw new CorruptFileError(`${path}: metadata is not JSON`);
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new CorruptFileError(`${path}: metadata is not an object`);
  }
  if (Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new CorruptFileError(`${path}: metadata values must be strings`);
  }
  return { metadata: metadata as Metadata, bodyLength };
}

async function readExactly(handle: FileHandle, buffer: Buffer, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new CorruptFileError(`${path}: ended early`);
    done += bytesRead;
  }
}
