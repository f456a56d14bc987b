// Starts a real storage node process on loopback (port 0 for every server) over a
// temporary devices directory, and speaks HTTP to it the way the proxy does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Timestamp } from '../../common/timestamp.js';

const MAIN = fileURLToPath(new URL('../../storage-node/main.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface Urls {
  object: string;
  container: string;
  account: string;
}

export interface StorageNodeProcess {
  urls: Urls;
  /** The devices directory; each device is a sub-directory. */
  devices: string;
  child: ChildProcess;
  /** What the process wrote on stderr so far (its logs). */
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>;
  /** Stops the process and removes its devices directory. */
  destroy: () => Promise<void>;
}

export interface StartOptions {
  /** Device directories to make (default sdb1). */
  deviceNames?: string[];
  /** Reuse this devices directory (e.g. to restart a node on its data). */
  devices?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function startNode(options: StartOptions = {}): Promise<StorageNodeProcess> {
  const devices = options.devices ?? mkdtempSync(join(tmpdir(), 'stowage-sn-'));
  for (const name of options.deviceNames ?? ['sdb1']) mkdirSync(join(devices, name), { recursive: true });
  const args = [MAIN, '--devices', devices, '--object-port', '0', '--container-port', '0', '--account-port', '0', '--log-level', 'warn', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<Urls>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string } & Urls;
      if (event.event === 'listening') {
        clearTimeout(timer);
        resolve({ object: event.object, container: event.container, account: event.account });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the storage node exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  const urls = await listening.catch((err: unknown) => {
    if (options.devices === undefined) rmSync(devices, { recursive: true, force: true });
    child.kill('SIGKILL');
    throw err;
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    // A node that does not stop is killed, so a broken shutdown fails the test instead of hanging it.
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(kill);
    return code;
  };
  return {
    urls,
    devices,
    child,
    stderr: () => stderr,
    stop,
    destroy: async () => {
      await stop();
      rmSync(devices, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

export async function call(
  method: string,
  url: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer | AsyncIterable<Buffer>,
): Promise<Reply> {
  const res = await request(url, {
    method: method as 'GET',
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
    ...(body === undefined ? {} : { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : Readable.from(body) }),
  });
  const data = Buffer.from(await res.body.arrayBuffer());
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return { status: res.statusCode, headers: flat, body: data, text: data.toString('utf8') };
}

/**
 * As call(), but the request target goes out byte for byte: fetch and undici normalize
 * "." and ".." segments (even "%2e%2e") away, so an attack could never be sent with them.
 */
export function rawCall(method: string, baseUrl: string, rawTarget: string, headers: Record<string, string | number> = {}, body?: string): Promise<Reply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ method, host: hostname, port, path: rawTarget, headers: { 'Content-Length': Buffer.byteLength(body ?? ''), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: flat, body: data, text: data.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let lastTicks = 0;
/** A fresh X-Timestamp, newer than every one handed out before. */
export function nextTimestamp(): Timestamp {
  lastTicks = Math.max(lastTicks + 1, Timestamp.now().ticks);
  return new Timestamp(lastTicks);
}

/** "/<device>/<partition>/<names...>" with each name percent-encoded ("/" kept in objects). */
export function backendPath(device: string, partition: number, ...names: string[]): string {
  return `/${device}/${partition}/${names.map((n) => n.split('/').map(encodeURIComponent).join('/')).join('/')}`;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
