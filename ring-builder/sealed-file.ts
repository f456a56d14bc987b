// The container format shared by ring files and builder files: a magic string, a format
// version, a JSON header, typed arrays, and an xxhash64 checksum over all of it.
// Layout (all integers little-endian), documented in docs/ring.md:
//   magic[8] | version u32 | header_len u32 | header JSON | pad to 8 |
//   array 0 | pad to 8 | array 1 | … | xxhash64 of all preceding bytes (u64)
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { hashBytes } from '../common/path-hash.js';
import { writeFileAtomicSync } from '../common/fs.js';

export type ArrayKind = 'u16' | 'u32';
export type SealedArray = Uint16Array | Uint32Array;

interface ArraySpec {
  kind: ArrayKind;
  length: number;
}

export class CorruptFileError extends Error {
  readonly code = 'ERR_CORRUPT_FILE';
}

const PREFIX_BYTES = 16;
const CHECKSUM_BYTES = 8;
const pad8 = (n: number) => (n + 7) & ~7;

if (endianness() !== 'LE') throw new Error('ring files are little-endian; this host is not');

export async function writeSealedFile(
  path: string,
  magic: string,
  version: number,
  header: object,
  arrays: SealedArray[],
): Promise<void> {
  if (magic.length !== 8) throw new Error('magic must be 8 ASCII characters');
  const specs: ArraySpec[] = arrays.map((a) => ({
    kind: a instanceof Uint16Array ? 'u16' : 'u32',
    length: a.length,
  }));
  const json = Buffer.from(JSON.stringify({ ...header, arrays: specs }), 'utf8');
  const prefix = Buffer.alloc(pad8(PREFIX_BYTES + json.length));
  prefix.write(magic, 0, 'latin1');
  prefix.writeUInt32LE(version, 8);
  prefix.writeUInt32LE(json.length, 12);
  json.copy(prefix, PREFIX_BYTES);

  const chunks: Uint8Array[] = [prefix];
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    chunks.push(bytes);
    const padding = pad8(bytes.byteLength) - bytes.byteLength;
    if (padding) chunks.push(new Uint8Array(padding));
  }
  const body = Buffer.concat(chunks);
  const checksum = Buffer.alloc(CHECKSUM_BYTES);
  checksum.writeBigUInt64LE(await hashBytes(body));
  writeFileAtomicSync(path, [body, checksum]);
}

export interface SealedContents<H> {
  header: H;
  arrays: SealedArray[];
}

/** Reads and verifies a sealed file; any damage is a CorruptFileError naming the file. */
export async function readSealedFile<H>(
  path: string,
  magic: string,
  supportedVersion: number,
): Promise<SealedContents<H>> {
  const raw = readFileSync(path);
  // Typed-array views need aligned offsets; copy in the rare case the buffer is pooled.
  const file = raw.byteOffset % 8 === 0 ? raw : Buffer.from(raw);
  if (file.length < PREFIX_BYTES + CHECKSUM_BYTES) {
    throw new CorruptFileError(`${path} is truncated (${file.length} bytes)`);
  }
  const foundMagic = file.toString('latin1', 0, 8);
  if (foundMagic !== magic) {
    throw new CorruptFileError(`${path} is not a ${magic.trim()} file (magic ${JSON.stringify(foundMagic)})`);
  }
  const version = file.readUInt32LE(8);
  if (version !== supportedVersion) {
    throw new CorruptFileError(`${path} has format version ${version}; this build reads version ${supportedVersion}`);
  }
  const bodyEnd = file.length - CHECKSUM_BYTES;
  const expected = file.readBigUInt64LE(bodyEnd);
  const actual = await hashBytes(file.subarray(0, bodyEnd));
  if (expected !== actual) {
    throw new CorruptFileError(`${path} is truncated or corrupt: checksum mismatch`);
  }
  const headerLength = file.readUInt32LE(12);
  if (PREFIX_BYTES + headerLength > bodyEnd) throw new CorruptFileError(`${path} is truncated (header)`);
  let header: H & { arrays: ArraySpec[] };
  try {
    header = JSON.parse(file.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch {
    throw new CorruptFileError(`${path} has an unreadable header`);
  }
  const arrays: SealedArray[] = [];
  let offset = pad8(PREFIX_BYTES + headerLength);
  for (const spec of header.arrays ?? []) {
    const width = spec.kind === 'u16' ? 2 : 4;
    const end = offset + spec.length * width;
    if (end > bodyEnd) throw new CorruptFileError(`${path} is truncated (arrays)`);
    const start = file.byteOffset + offset;
    arrays.push(
      spec.kind === 'u16'
        ? new Uint16Array(file.buffer, start, spec.length)
        : new Uint32Array(file.buffer, start, spec.length),
    );
    offset = pad8(end);
  }
  return { header, arrays };
}
