// Streaming hashes computed on worker threads. Glance hashes every image twice while it
// streams by (MD5 and SHA-512, about 3 CPU-seconds per GiB here), and on the main thread
// that stalls the upload: nothing is forwarded to the object store while a chunk is
// hashed. Instead one worker thread per algorithm hashes beside the upload. The bytes
// are copied once into shared 1 MiB batches that every worker reads in place; at most
// BATCHES_AHEAD batches per upload wait to be hashed, so a hash that falls behind slows
// the upload down rather than piling its bytes up in memory.
import { Worker } from 'node:worker_threads';
import type { HashReply, HashRequest } from './hash-worker.js';

const BATCH_BYTES = 1 << 20;
const BATCHES_AHEAD = 8;

interface SessionEvents {
  acked(slot: number): void;
  digested(hex: string): void;
  failed(err: Error): void;
}

/** One worker thread serving every upload's hash of one algorithm; restarted when it dies. */
class HashThread {
  private worker: Worker | null = null;
  private readonly sessions = new Map<number, SessionEvents>();

  post(request: HashRequest, events?: SessionEvents): void {
    const worker = this.start();
    if (events) this.sessions.set(request.id, events);
    worker.postMessage(request);
    this.refWhileBusy();
  }

  /** Forgets an upload's hash, here and in the worker (if it still runs). */
  drop(id: number): void {
    if (!this.sessions.delete(id)) return;
    this.worker?.postMessage({ type: 'drop', id } satisfies HashRequest);
    this.refWhileBusy();
  }

  /** A hash on its way keeps the process alive; an idle thread does not. */
  private refWhileBusy(): void {
    if (this.sessions.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    worker.on('message', (reply: HashReply) => {
      const session = this.sessions.get(reply.id);
      if (session === undefined) return;
      if (reply.type === 'ack') return session.acked(reply.slot);
      this.sessions.delete(reply.id);
      this.refWhileBusy();
      if (reply.type === 'digest') session.digested(reply.hex);
      else session.failed(new Error(`hashing failed: ${reply.message}`));
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const sessions = [...this.sessions.values()];
      this.sessions.clear();
      for (const session of sessions) session.failed(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the hash worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const threads = new Map<string, HashThread>();
let lastId = 0;

function threadFor(algorithm: string): HashThread {
  let thread = threads.get(algorithm);
  if (thread === undefined) threads.set(algorithm, (thread = new HashThread()));
  return thread;
}

/** Streaming hashes (one per algorithm) of one byte stream, computed off the main thread. */
export class ThreadedHashes {
  private readonly id = ++lastId;
  private readonly threads: HashThread[];
  private readonly digests: Promise<string>[];
  /** Shared batches: the one being filled, the ones out for hashing, the free ones. */
  private readonly slots: SharedArrayBuffer[] = [];
  private readonly acksDue: number[] = [];
  private readonly free: number[] = [];
  private filling = -1;
  private filled = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(algorithms: readonly string[]) {
    this.threads = algorithms.map(threadFor);
    this.digests = this.threads.map(
      (thread, i) =>
        new Promise<string>((resolve, reject) => {
          thread.post(
            { type: 'open', id: this.id, algorithm: algorithms[i]! },
            {
              acked: (slot) => this.acked(slot),
              digested: resolve,
              failed: (err) => {
                this.fail(err);
                reject(err);
              },
            },
          );
        }),
    );
    for (const digest of this.digests) digest.catch(() => {}); // surfaced by update() or digest()
  }

  /** Queues `chunk` for hashing; waits only while BATCHES_AHEAD batches are not hashed yet. */
  async update(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    for (let offset = 0; offset < chunk.length; ) {
      if (this.filling < 0) this.filling = await this.freeSlot();
      const n = Math.min(chunk.length - offset, BATCH_BYTES - this.filled);
      new Uint8Array(this.slots[this.filling]!, this.filled, n).set(chunk.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === BATCH_BYTES) this.send();
    }
  }

  /** The hex digests, in the order of the algorithms. */
  async digest(): Promise<string[]> {
    if (this.filled > 0) this.send();
    if (this.failure) throw this.failure;
    for (const thread of this.threads) thread.post({ type: 'digest', id: this.id });
    return Promise.all(this.digests);
  }

  /** Forgets an unfinished stream (the upload failed). */
  drop(): void {
    this.fail(new Error('hashing was abandoned'));
  }

  private send(): void {
    const slot = this.filling;
    this.acksDue[slot] = this.threads.length;
    for (const thread of this.threads) thread.post({ type: 'update', id: this.id, slot, buffer: this.slots[slot]!, length: this.filled });
    this.filling = -1;
    this.filled = 0;
  }

  private async freeSlot(): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const slot = this.free.pop();
      if (slot !== undefined) return slot;
      if (this.slots.length < BATCHES_AHEAD) {
        this.slots.push(new SharedArrayBuffer(BATCH_BYTES));
        return this.slots.length - 1;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private acked(slot: number): void {
    this.acksDue[slot]! -= 1;
    if (this.acksDue[slot] === 0) {
      this.free.push(slot);
      this.wakeWaiter();
    }
  }

  /** The first failure ends every hash of the stream (one worker's error ends the others' too). */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const thread of this.threads) thread.drop(this.id);
    this.wakeWaiter();
  }

  private wakeWaiter(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
