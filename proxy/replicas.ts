// THE one place for Swift's replica rules (DESIGN.md §3): which nodes a request tries,
// quorum writes with handoffs standing in for failed primaries, node-by-node reads,
// X-Newest, and the streaming object upload that tees one client body to every object
// server at once. Controllers say what to send; this module decides where and when it
// counts as done.
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Device, Ring } from '../ring-builder/index.js';
import type { SwiftPath } from '../common/paths.js';
import { Timestamp } from '../common/timestamp.js';
import { Backend, BackendError, UploadStream, discard, type BackendCall, type BackendResponse } from './backend.js';
import { clientDisconnect, entityTooLarge, internalError, requestTimeout } from './errors.js';

/** Where a request goes: a ring, the partition of the path, and the path itself. */
export interface ReplicaTarget {
  ring: Ring;
  part: number;
  path: SwiftPath;
  /** Sent with every request to this target (an object's storage policy index). */
  headers?: Record<string, string>;
}

export interface NodeAnswer {
  status: number;
  headers: Record<string, string>;
}

/** A read's outcome: a node's response (body to stream) or, when none was good, a summary. */
export interface ReadResult {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
  node?: Device;
}

export interface UploadOptions {
  /** Sent to object servers as Content-Length; without it the body goes chunked. */
  contentLength?: number;
  maxBytes: number;
  clientTimeoutMs: number;
  /** Called once a quorum of object servers accepted the upload (time for 100 Continue). */
  onConnected: () => void;
  log?: FastifyBaseLogger;
}

/** Swift's quorum for replicated data: a majority. */
export const quorumSize = (replicas: number) => Math.floor(replicas / 2) + 1;

/** The timestamp a node reports for what it holds (data, tombstone or DB), for X-Newest. */
export function answerTimestamp(headers: Record<string, string>): Timestamp | null {
  const text =
    headers['x-backend-data-timestamp'] ??
    headers['x-backend-timestamp'] ??
    headers['x-put-timestamp'] ??
    headers['x-timestamp'];
  if (!text) return null;
  try {
    return Timestamp.parse(text);
  } catch {
    return null;
  }
}

/**
 * Swift's best_response: the status class that a quorum of answers agree on (the highest
 * status within it, e.g. 202 over 201), else 503. Missing answers count as 503.
 */
export function bestResponse(answers: NodeAnswer[], quorum: number): NodeAnswer {
  for (const base of [200, 300, 400]) {
    const agreeing = answers.filter((a) => a.status >= base && a.status < base + 100);
    if (agreeing.length >= quorum) {
      return agreeing.reduce((best, a) => (a.status > best.status ? a : best));
    }
  }
  return { status: 503, headers: {} };
}

/** Newer by reported timestamp; on a tie, the answer that has the thing beats a tombstone. */
function isNewerAnswer(a: NodeAnswer, b: NodeAnswer): boolean {
  const ta = answerTimestamp(a.headers);
  const tb = answerTimestamp(b.headers);
  const order = ta && tb ? ta.compare(tb) : ta ? 1 : tb ? -1 : 0;
  return order !== 0 ? order > 0 : isGoodRead(a.status) && !isGoodRead(b.status);
}

/** Reads that found what they looked for: the object/DB exists, or the answer is final (304, 416). */
const isGoodRead = (status: number) => (status >= 200 && status < 400) || status === 416;

/**
 * Spreads update targets (container replicas for an object write, account replicas for a
 * container write, the expirer's queue container for X-Delete-At) over n backend
 * requests as Swift does: target i rides on request i mod n, and a request left without
 * one gets target i mod m, so every target hears of the write and every backend sends an
 * update. `prefix` names the headers: "x-container" → X-Container-Host/-Partition/-Device.
 */
export function updateTargetHeaders(
  n: number,
  part: number,
  targets: readonly Device[],
  prefix: 'x-container' | 'x-account' | 'x-delete-at',
): Record<string, string>[] {
  const perRequest = Array.from({ length: n }, () => [] as Device[]);
  targets.forEach((t, i) => perRequest[i % n]!.push(t));
  if (targets.length > 0) perRequest.forEach((list, i) => list.length === 0 && list.push(targets[i % targets.length]!));
  const hostOf = (d: Device) => `${d.ip.includes(':') ? `[${d.ip}]` : d.ip}:${d.port}`;
  return perRequest.map((list) =>
    list.length === 0
      ? {}
      : {
          [`${prefix}-host`]: list.map(hostOf).join(','),
          [`${prefix}-partition`]: String(part),
          [`${prefix}-device`]: list.map((d) => d.device).join(','),
        },
  );
}

type Connected = { stream: UploadStream } | { answer: NodeAnswer };

export class Replicas {
  constructor(private readonly backend: Backend) {}

  /** Primaries that are not error-limited, then handoffs: at most 2 × replicas nodes in all. */
  *candidates(ring: Ring, part: number): Generator<Device> {
    const budget = 2 * ring.replicas;
    let given = 0;
    for (const node of ring.getPartNodes(part)) {
      if (given >= budget) return;
      if (!this.backend.errors.isLimited(node)) {
        given++;
        yield node;
      }
    }
    for (const node of ring.getMoreNodes(part)) {
      if (given >= budget) return;
      if (!this.backend.errors.isLimited(node)) {
        given++;
        yield node;
      }
    }
  }

  private noteStatus(node: Device, status: number): void {
    if (status === 507) this.backend.errors.limitNow(node);
    else if (status >= 500) this.backend.errors.recordError(node);
  }

  /**
   * Gives `attempt` one node after another from `nodes` until it returns an answer; an
   * attempt returns undefined (after a 5xx) or throws (unreachable, timeout) to pass
   * the turn to the next node. Undefined when the nodes ran out.
   */
  private async firstAnswer<T>(
    nodes: Iterator<Device>,
    attempt: (node: Device) => Promise<T | undefined>,
    log: FastifyBaseLogger | undefined,
    what: string,
  ): Promise<T | undefined> {
    for (let next = nodes.next(); !next.done; next = nodes.next()) {
      try {
        const answer = await attempt(next.value);
        if (answer !== undefined) return answer;
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        this.backend.noteFailure(next.value, err);
        log?.warn({ err: err.message }, `${what} failed`);
      }
    }
    return undefined;
  }

  /** A backend answer a node gave with a 5xx: noted against the node, and freed. */
  private serverError(res: BackendResponse, log: FastifyBaseLogger | undefined, what: string): undefined {
    this.noteStatus(res.node, res.status);
    discard(res);
    log?.warn({ node: `${res.node.ip}:${res.node.port}/${res.node.device}`, status: res.status }, `${what} failed`);
    return undefined;
  }

  private call(target: ReplicaTarget, method: string, headers: Record<string, string>, query?: string): BackendCall {
    const all = target.headers ? { ...headers, ...target.headers } : headers;
    return { method, part: target.part, path: target.path, headers: all, ...(query ? { query } : {}) };
  }

  /**
   * A read: one node at a time, primaries first, until one answers with the thing itself.
   * With `newest`, every primary is asked and the newest answer wins, a tombstone (404
   * with X-Backend-Timestamp) included.
   */
  async read(
    target: ReplicaTarget,
    method: string,
    headers: Record<string, string>,
    options: { query?: string; newest?: boolean; log?: FastifyBaseLogger } = {},
  ): Promise<ReadResult> {
    if (options.newest) return this.readNewest(target, method, headers, options);
    const misses: NodeAnswer[] = [];
    for (const node of this.candidates(target.ring, target.part)) {
      let res: BackendResponse;
      try {
        res = await this.backend.request(node, this.call(target, method, headers, options.query));
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        this.backend.noteFailure(node, err);
        options.log?.warn({ err: err.message }, 'backend read failed');
        continue;
      }
      if (isGoodRead(res.status)) return res;
      this.noteStatus(node, res.status);
      misses.push({ status: res.status, headers: res.headers });
      discard(res);
    }
    return { ...summarizeMisses(misses), body: null };
  }

  private async readNewest(
    target: ReplicaTarget,
    method: string,
    headers: Record<string, string>,
    options: { query?: string; log?: FastifyBaseLogger },
  ): Promise<ReadResult> {
    const nodes = this.candidates(target.ring, target.part);
    const ask = () =>
      this.firstAnswer(
        nodes,
        async (node) => {
          const res = await this.backend.request(node, this.call(target, method, headers, options.query));
          return res.status < 500 ? res : this.serverError(res, options.log, 'backend read');
        },
        options.log,
        'backend read',
      );
    const answers = await Promise.all(target.ring.getPartNodes(target.part).map(() => ask()));
    const responses = answers.filter((a): a is BackendResponse => a !== undefined);
    let winner: BackendResponse | null = null;
    for (const res of responses) {
      if (!isGoodRead(res.status) && res.status !== 404) continue;
      if (winner === null || isNewerAnswer(res, winner)) winner = res;
    }
    for (const res of responses) if (res !== winner) discard(res);
    if (winner && isGoodRead(winner.status)) return winner;
    if (winner) discard(winner);
    return { ...summarizeMisses(responses.map((r) => ({ status: r.status, headers: r.headers }))), body: null };
  }

  /**
   * A bodiless write (PUT/POST/DELETE of accounts, containers, object metadata): one
   * request per entry of `headersPerReplica`, sent in parallel; a node that fails or is
   * unreachable is replaced by the next handoff. Succeeds on a quorum.
   */
  async write(
    target: ReplicaTarget,
    method: string,
    headersPerReplica: Record<string, string>[],
    options: { query?: string; log?: FastifyBaseLogger } = {},
  ): Promise<NodeAnswer> {
    const nodes = this.candidates(target.ring, target.part);
    const what = `backend ${method}`;
    const writeOne = async (headers: Record<string, string>): Promise<NodeAnswer> =>
      (await this.firstAnswer(
        nodes,
        async (node) => {
          const res = await this.backend.request(node, this.call(target, method, headers, options.query));
          if (res.status >= 500) return this.serverError(res, options.log, what);
          discard(res);
          return { status: res.status, headers: res.headers };
        },
        options.log,
        what,
      )) ?? { status: 503, headers: {} };
    const answers = await Promise.all(headersPerReplica.map(writeOne));
    return bestResponse(answers, quorumSize(headersPerReplica.length));
  }

  /**
   * An object upload: connect to one object server per entry of `headersPerReplica`
   * (handoffs standing in), and only once a quorum accepted, stream the client's body to
   * all of them at once, at the pace of the slowest. A server failing mid-stream is
   * dropped; the upload still succeeds if a quorum finish. Whenever the upload cannot
   * succeed every connection is dropped before the body ends, so no object server keeps
   * a partial object.
   */
  async upload(
    target: ReplicaTarget,
    headersPerReplica: Record<string, string>[],
    body: Readable,
    options: UploadOptions,
  ): Promise<NodeAnswer> {
    const quorum = quorumSize(headersPerReplica.length);
    const { streams, early } = await this.connectUploads(target, headersPerReplica, options);
    const abortAll = () => streams.forEach((st) => st.abort());
    // An object server saying 412 up front means If-None-Match found the object.
    const precondition = early.find((a) => a.status === 412);
    if (streams.length < quorum || precondition) {
      abortAll();
      if (precondition) return precondition;
      options.log?.warn({ connected: streams.length, quorum }, 'object PUT: too few object servers');
      return bestResponse(early, quorum);
    }
    options.onConnected();
    try {
      await this.pump(body, streams, quorum, options);
    } catch (err) {
      abortAll();
      throw err;
    }
    if (streams.filter((st) => !st.failed).length < quorum) {
      abortAll();
      return { status: 503, headers: {} };
    }
    return bestResponse([...(await this.finishUploads(streams)), ...early], quorum);
  }

  /**
   * The connect phase: one object server per entry of `headersPerReplica` says 100
   * Continue (a stream) or answers at once (an early answer, e.g. 412); failures make
   * way for handoffs.
   */
  private async connectUploads(
    target: ReplicaTarget,
    headersPerReplica: Record<string, string>[],
    options: UploadOptions,
  ): Promise<{ streams: UploadStream[]; early: NodeAnswer[] }> {
    const extra: Record<string, string> =
      options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {};
    const nodes = this.candidates(target.ring, target.part);
    const connectOne = async (headers: Record<string, string>): Promise<Connected> =>
      (await this.firstAnswer<Connected>(
        nodes,
        async (node) => {
          const opened = await this.backend.openUpload(node, this.call(target, 'PUT', { ...headers, ...extra }));
          if (opened instanceof UploadStream) return { stream: opened };
          if (opened.status < 500) return { answer: { status: opened.status, headers: {} } };
          this.noteStatus(node, opened.status);
          return undefined;
        },
        options.log,
        'object upload',
      )) ?? { answer: { status: 503, headers: {} } };
    const settled = await Promise.allSettled(headersPerReplica.map(connectOne));
    const connected = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const streams = connected.flatMap((c) => ('stream' in c ? [c.stream] : []));
    const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) {
      streams.forEach((st) => st.abort());
      throw refused.reason;
    }
    return { streams, early: connected.flatMap((c) => ('answer' in c ? [c.answer] : [])) };
  }

  /** Ends every live stream and collects the object servers' answers; they must agree on the ETag. */
  private async finishUploads(streams: UploadStream[]): Promise<NodeAnswer[]> {
    const finals = await Promise.all(
      streams.map(async (st): Promise<NodeAnswer> => {
        if (st.failed) return { status: 503, headers: {} };
        try {
          const answer = await st.finish();
          this.noteStatus(st.node, answer.status);
          return answer;
        } catch (err) {
          this.backend.noteFailure(st.node, err);
          return { status: 503, headers: {} };
        }
      }),
    );
    const etags = new Set(finals.filter((a) => a.status >= 200 && a.status < 300).map((a) => a.headers.etag));
    if (etags.size > 1) throw internalError(`object servers returned ${etags.size} different ETags`);
    return finals;
  }

  /** Copies the client's body to every live stream, dropping streams that fail. */
  private async pump(body: Readable, streams: UploadStream[], quorum: number, options: UploadOptions): Promise<void> {
    const chunks = body[Symbol.asyncIterator]();
    let total = 0;
    for (;;) {
      const next = await nextWithin(chunks, options.clientTimeoutMs);
      if (next.done) break;
      const chunk = next.value as Buffer;
      total += chunk.length;
      if (total > options.maxBytes) throw entityTooLarge(`Your request is too large: more than ${options.maxBytes} bytes.`);
      const live = streams.filter((st) => !st.failed);
      await Promise.all(
        live.map((st) =>
          st.write(chunk).catch((err) => {
            this.backend.noteFailure(st.node, err);
            options.log?.warn({ err: (err as Error).message }, 'object server failed during upload');
            st.abort();
          }),
        ),
      );
      if (streams.filter((st) => !st.failed).length < quorum) return;
    }
    if (options.contentLength !== undefined && total < options.contentLength) throw clientDisconnect();
  }
}

/**
 * The next chunk of a client body, or 408 when the client stays silent too long, 499 when
 * it leaves. (A stalled body is left alone: the 408 goes out on the still-open connection.)
 */
async function nextWithin(chunks: AsyncIterator<unknown>, timeoutMs: number): Promise<IteratorResult<unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const pending = chunks.next();
  pending.catch(() => {}); // a rejection after a timeout has nobody left to hear it
  try {
    return await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(requestTimeout()), timeoutMs);
      }),
    ]);
  } catch (err) {
    if ((err as { status?: number }).status === 408) throw err;
    throw clientDisconnect();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a failed read tells the client: the answer most nodes gave (on a tie the higher
 * status, as Swift's best_response), ignoring 5xx; 503 when nothing answered. Among
 * 404s the newest tombstone is kept, so callers can tell "deleted" from "never existed".
 */
function summarizeMisses(misses: NodeAnswer[]): NodeAnswer {
  const definite = misses.filter((m) => m.status < 500);
  if (definite.length === 0) return { status: 503, headers: {} };
  const counts = new Map<number, number>();
  for (const m of definite) counts.set(m.status, (counts.get(m.status) ?? 0) + 1);
  const [status] = [...counts.entries()].reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a));
  return definite
    .filter((m) => m.status === status)
    .reduce((best, m) => {
      const a = answerTimestamp(m.headers);
      const b = answerTimestamp(best.headers);
      return a && (!b || a.isNewerThan(b)) ? m : best;
    });
}
