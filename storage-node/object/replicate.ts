// The object server's side of replication.
//
// REPLICATE: `POST /<device>/<partition>/REPLICATE` (Node's HTTP parser refuses unknown
// methods, so Swift's REPLICATE verb is a POST to a path no object can have: an object
// path needs three names after the partition), a partition verb of the object server
// (its device and partition checked by http.ts as every route's). Optional JSON body
// {"recalculate": [suffix…], "list": [suffix…]}; the answer is
// {"hashes": {suffix: md5}, "objects": {hash: [file…]}} — the partition's suffix hashes
// (listed suffixes recomputed first) and, for the suffixes in "list", each object's
// current files, so a peer can tell exactly which files it must send.
//
// Replicated files: `PUT /<device>/<partition>/<account>/<container>/<object>` with
// `X-Backend-Replication-File: <timestamp>.<data|ts|meta>` carries one whole file of
// another replica (body and metadata trailer). It is checked (name, timestamp, length,
// MD5), stored under exactly that name if it is still newer than what is here, and sends
// no container update: the replica that took the client's write already did.
import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Timestamp } from '../../common/timestamp.js';
import { FILE_MODE, renameDurably, tmpPath, mkdirDurably } from '../durable.js';
import { badRequest, clientDisconnect, conflict, HttpError } from '../errors.js';
import { integerHeader, type BackendRequest, type BackendResponse, type PartitionRequest } from '../http.js';
import { locate, policyDeviceOf, type ObjectContext } from './context.js';
import { CorruptFileError, readTrailer } from './datafile.js';
import { classifyFiles, cleanupObject, parseFileName, readObject, type ObjectLocation } from './diskfile.js';
import { getHashes, invalidateSuffix, listObjects } from './hashes.js';
import { readdir } from 'node:fs/promises';

export const REPLICATION_FILE_HEADER = 'x-backend-replication-file';
export const REPLICATION_BODY_LENGTH_HEADER = 'x-backend-replication-body-length';
const MAX_REPLICATE_BODY = 1 << 20;
export const DEFAULT_RECLAIM_AGE_S = 7 * 24 * 3600;

/** REPLICATE on /<device>/<partition>/REPLICATE: the partition's suffix hashes (and files). */
export async function replicatePartition(ctx: ObjectContext, req: PartitionRequest): Promise<BackendResponse> {
  const device = await policyDeviceOf(ctx, req);
  const request = parseReplicateBody(await readSmallBody(req.body));
  const partDir = join(device.objects, req.partition);
  const reclaimAgeS = ctx.reclaimAgeS ?? DEFAULT_RECLAIM_AGE_S;
  const hashes = await getHashes(partDir, { reclaimAgeS, recalculate: request.recalculate });
  const answer = request.list.length === 0 ? { hashes } : { hashes, objects: await listObjects(partDir, request.list, reclaimAgeS) };
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(answer) };
}

async function readSmallBody(body: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_REPLICATE_BODY) throw new HttpError(413, `a REPLICATE body is at most ${MAX_REPLICATE_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseReplicateBody(text: string): { recalculate: string[]; list: string[] } {
  if (text.trim() === '') return { recalculate: [], list: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('a REPLICATE body must be JSON: {"recalculate": [suffix...], "list": [suffix...]}');
  }
  const suffixes = (key: string): string[] => {
    const value = (parsed as Record<string, unknown>)[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !/^[0-9a-f]{3}$/.test(s))) {
      throw badRequest(`REPLICATE "${key}" must be a list of 3-hex-digit suffixes`);
    }
    return value as string[];
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('a REPLICATE body must be a JSON object');
  return { recalculate: suffixes('recalculate'), list: suffixes('list') };
}

/** PUT with X-Backend-Replication-File: store another replica's file as it is. */
export async function receiveReplicatedFile(ctx: ObjectContext, req: BackendRequest): Promise<BackendResponse> {
  const fileName = req.headers[REPLICATION_FILE_HEADER]!;
  const file = parseFileName(fileName);
  if (!file) throw badRequest(`${REPLICATION_FILE_HEADER} must be <timestamp>.<data|ts|meta>: ${JSON.stringify(fileName)}`);
  const bodyLength = integerHeader(req, REPLICATION_BODY_LENGTH_HEADER) ?? 0;
  if (file.ext !== 'data' && bodyLength !== 0) throw badRequest('a .ts or .meta file has no body');
  const location = await locate(ctx, req);
  // Two replicas often push the same missing file at once (both see this one lacking it):
  // the second is refused at once, so each file is received and stored once.
  const key = join(location.dir, fileName);
  if (incoming.has(key)) throw conflict();
  incoming.add(key);
  try {
    // A directory holding another object's files (a hash collision) takes none of this
    // one's: reading its current state throws the 403.
    await readObject(location);
    // Refuse before reading the body when this replica already has it or something newer.
    if (!(await wanted(location, fileName))) throw conflict();
    await mkdirDurably(location.device.tmp);
    const tmp = tmpPath(location.device.tmp);
    try {
      const etag = await receiveInto(req, tmp, bodyLength);
      await checkReceived(tmp, location, file.timestamp, file.ext, bodyLength, etag);
      if (!(await wanted(location, fileName))) throw conflict(); // a newer write landed meanwhile
      await renameDurably(tmp, key);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  } finally {
    incoming.delete(key);
  }
  await cleanupObject(location);
  await invalidateSuffix(location);
  return { status: 201, headers: {} };
}

/** Replicated files being received by this process. */
const incoming = new Set<string>();

/** Would the file change this replica's object (newer than its .data/.ts, or a newer .meta over its .data)? */
async function wanted(location: ObjectLocation, fileName: string): Promise<boolean> {
  const names = await readdir(location.dir).catch(() => [] as string[]);
  if (names.includes(fileName)) return false;
  const incoming = classifyFiles([...names, fileName]);
  if (parseFileName(fileName)!.ext === 'meta') return incoming.meta?.name === fileName;
  return incoming.winner?.name === fileName;
}

/** Streams the body into `tmp`, MD5 over its first `bodyLength` bytes; returns that MD5. */
async function receiveInto(req: BackendRequest, tmp: string, bodyLength: number): Promise<string> {
  const md5 = createHash('md5');
  let seen = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const left = bodyLength - seen;
      if (left > 0) md5.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
      seen += chunk.length;
      done(null, chunk);
    },
  });
  req.continueBody();
  try {
    await pipeline(req.body, hasher, createWriteStream(tmp, { flags: 'wx', mode: FILE_MODE }));
  } catch (err) {
    if (!req.body.complete) throw clientDisconnect();
    throw err;
  }
  if (!req.body.complete) throw clientDisconnect();
  return md5.digest('hex');
}

/** 422 unless the file is what its name and headers say, for this object. */
async function checkReceived(tmp: string, location: ObjectLocation, timestamp: Timestamp, ext: string, bodyLength: number, etag: string): Promise<void> {
  const handle = await open(tmp, 'r+');
  try {
    let trailer;
    try {
      trailer = await readTrailer(handle, tmp);
    } catch (err) {
      if (err instanceof CorruptFileError) throw new HttpError(422, `the replicated file has no valid metadata: ${err.message}`);
      throw err;
    }
    const { metadata } = trailer;
    const problems: string[] = [];
    if (metadata.name !== location.name) problems.push(`it belongs to ${JSON.stringify(metadata.name)}`);
    if (metadata['X-Timestamp'] !== timestamp.internal) problems.push(`its X-Timestamp is ${metadata['X-Timestamp']}`);
    if (trailer.bodyLength !== bodyLength) problems.push(`its body is ${trailer.bodyLength} bytes, not ${bodyLength}`);
    if (ext === 'data' && metadata['Content-Length'] !== String(bodyLength)) problems.push('its Content-Length does not match its body');
    if (ext === 'data' && metadata.ETag !== etag) problems.push(`its body's MD5 ${etag} is not its ETag ${metadata.ETag}`);
    if (problems.length > 0) throw new HttpError(422, `Unprocessable Entity: replicated file refused: ${problems.join('; ')}`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
