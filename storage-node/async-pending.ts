// Async pendings: container (or account) updates that could not be delivered, saved as
// <device>/async_pending/<suffix>/<hash>-<timestamp> (async_pending-N/ for the objects of
// storage policy N, as Swift) for the updater to replay. <hash> is
// the placement hash of the path the update is about (/a/c/o for an object's container
// update, /a/c for a container's account update), <suffix> its last 3 hex digits.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device } from './devices.js';
import { writeDurably } from './durable.js';

export const ASYNC_PENDING_VERSION = 1;

/** A server to send the update to: "ip:port", its device and partition. */
export interface UpdateTarget {
  host: string;
  device: string;
  partition: string;
}

/** One update, as saved on disk (JSON). */
export interface AsyncPending {
  version: typeof ASYNC_PENDING_VERSION;
  /** PUT or DELETE. */
  method: string;
  account: string;
  container: string;
  /** Present for a container update (sent to a container server); absent for an account update. */
  object?: string;
  /** The headers to send, e.g. X-Timestamp, X-Size, X-Content-Type, X-Etag. */
  headers: Record<string, string>;
  /** The servers that did not take the update. */
  targets: UpdateTarget[];
}

export function asyncPendingPath(device: Device, hash: string, timestamp: string): string {
  return join(device.asyncPending, hash.slice(-3), `${hash}-${timestamp}`);
}

export async function writeAsyncPending(device: Device, path: string, pending: AsyncPending): Promise<void> {
  await writeDurably(device.tmp, path, Buffer.from(JSON.stringify(pending)));
}

/** The files under <device>/<dirName> (async_pending, or async_pending-N of policy N), oldest timestamp first within each suffix. */
export async function* listAsyncPendings(deviceRoot: string, dirName = 'async_pending'): AsyncGenerator<string> {
  const root = join(deviceRoot, dirName);
  const suffixes = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const suffix of suffixes.sort()) {
    const names = await readdir(join(root, suffix)).catch(() => []);
    const pendings = names.filter((n) => /^[0-9a-f]+-[0-9._a-f]+$/.test(n)).map((name) => ({ name, timestamp: name.slice(name.indexOf('-') + 1) }));
    pendings.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    for (const { name } of pendings) yield join(root, suffix, name);
  }
}

/** Reads one async pending; throws when the file is not one. */
export async function readAsyncPending(path: string): Promise<AsyncPending> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as AsyncPending;
  if (parsed.version !== ASYNC_PENDING_VERSION || !Array.isArray(parsed.targets) || typeof parsed.method !== 'string') {
    throw new Error(`${path} is not a version ${ASYNC_PENDING_VERSION} async pending`);
  }
  return parsed;
}
