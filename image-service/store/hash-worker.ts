// The worker side of hash-threads.ts: one streaming hash per upload, fed batches of
// bytes that live in shared memory; each batch is acknowledged once hashed, so the
// main thread can reuse its buffer and knows how far behind the hashing is.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashRequest =
  | { type: 'open'; id: number; algorithm: string }
  | { type: 'update'; id: number; slot: number; buffer: SharedArrayBuffer; length: number }
  | { type: 'digest'; id: number }
  | { type: 'drop'; id: number };

export type HashReply =
  | { type: 'ack'; id: number; slot: number }
  | { type: 'digest'; id: number; hex: string }
  | { type: 'error'; id: number; message: string };

const hashes = new Map<number, Hash>();
const port = parentPort!;

port.on('message', (request: HashRequest) => {
  try {
    switch (request.type) {
      case 'open':
        hashes.set(request.id, createHash(request.algorithm));
        break;
      case 'update':
        hashes.get(request.id)?.update(new Uint8Array(request.buffer, 0, request.length));
        port.postMessage({ type: 'ack', id: request.id, slot: request.slot } satisfies HashReply);
        break;
      case 'digest': {
        const hash = hashes.get(request.id);
        hashes.delete(request.id);
        if (hash === undefined) throw new Error(`no hash session ${request.id}`);
        port.postMessage({ type: 'digest', id: request.id, hex: hash.digest('hex') } satisfies HashReply);
        break;
      }
      case 'drop':
        hashes.delete(request.id);
        break;
    }
  } catch (err) {
    hashes.delete(request.id);
    port.postMessage({ type: 'error', id: request.id, message: (err as Error).message } satisfies HashReply);
  }
});
