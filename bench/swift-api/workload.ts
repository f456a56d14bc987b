// What the benchmark does to the endpoint: the small-object phases (PUT, GET, HEAD, DELETE of
// every object), the large-object phases (streamed PUT and GET, MD5 checked against the ETag),
// and creating and removing its container.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { FatalError, SwiftClient, describeError, header, objectPath, type ObjectClient } from './client.js';
import type { BenchOptions } from './options.js';
import { UnexpectedResponse, runPhase } from './phase.js';
import type { PhaseResult } from './phase.js';
import type { CpuMeter } from './system.js';
import { md5Hex, md5OfRandom, randomBuffer, randomChunks } from './random-body.js';

const smallName = (i: number) => `small/${String(i).padStart(7, '0')}`;
const largeName = (i: number) => `large/${String(i).padStart(4, '0')}`;
const SMALL_SEED = 0x5eed;
const largeSeed = (i: number) => 0x1a9e + i;
const unquote = (etag: string | undefined) => etag?.replace(/^"|"$/g, '');

const CLEANUP_LIST_LIMIT = 10_000;

interface Context {
  client: ObjectClient;
  opts: BenchOptions;
  signal: AbortSignal;
  /** Measures each phase's CPU time, when given. */
  cpu?: CpuMeter;
}

export async function createContainer({ client, opts }: Context): Promise<void> {
  let status: number;
  try {
    const res = await client.request({ method: 'PUT', path: objectPath(opts.container), timeoutMs: opts.requestTimeoutMs });
    await res.body.dump();
    status = res.statusCode;
  } catch (err) {
    throw new FatalError(`cannot create container ${opts.container}: ${describeError(err)}`, 1);
  }
  if (status !== 201 && status !== 202) {
    throw new FatalError(`cannot create container ${opts.container}: PUT answered ${status}`, 1);
  }
}

/** PUT, GET, HEAD, DELETE of every small object. Each phase works on what the one before stored. */
export async function smallObjectPhases(ctx: Context): Promise<PhaseResult[]> {
  const { client, opts, signal } = ctx;
  const body = randomBuffer(opts.smallSizeBytes, SMALL_SEED);
  const etag = md5Hex(body);
  const size = String(opts.smallSizeBytes);
  const t = opts.requestTimeoutMs;
  const results: PhaseResult[] = [];
  const phase = async (name: string, indices: number[], op: (i: number) => Promise<void>) => {
    const done: number[] = [];
    const r = await runPhase({
      name,
      label: opts.label,
      count: indices.length,
      concurrency: opts.concurrency,
      deadlineMs: opts.phaseTimeoutMs,
      signal,
      cpu: ctx.cpu,
      op: async (k) => {
        await op(indices[k]!);
        done.push(indices[k]!);
        return 0;
      },
    });
    results.push(r);
    return done.sort((a, b) => a - b);
  };

  const all = Array.from({ length: opts.smallCount }, (_, i) => i);
  const stored = await phase('small PUT', all, async (i) => {
    const res = await client.request({
      method: 'PUT',
      path: objectPath(opts.container, smallName(i)),
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
      body,
      timeoutMs: t,
    });
    await res.body.dump();
    if (res.statusCode !== client.putStatus) throw new UnexpectedResponse('PUT', res.statusCode);
    if (unquote(header(res.headers, 'etag')) !== etag) throw new UnexpectedResponse('PUT', res.statusCode, 'ETag differs from the MD5 sent');
  });
  if (signal.aborted) return results;
  await phase('small GET', stored, async (i) => {
    const res = await client.request({ method: 'GET', path: objectPath(opts.container, smallName(i)), timeoutMs: t });
    let got = 0;
    for await (const chunk of res.body) got += (chunk as Buffer).length;
    if (res.statusCode !== 200) throw new UnexpectedResponse('GET', res.statusCode);
    if (got !== opts.smallSizeBytes) throw new UnexpectedResponse('GET', 200, `${got} bytes instead of ${size}`);
    if (unquote(header(res.headers, 'etag')) !== etag) throw new UnexpectedResponse('GET', 200, 'wrong ETag');
  });
  if (signal.aborted) return results;
  await phase('small HEAD', stored, async (i) => {
    const res = await client.request({ method: 'HEAD', path: objectPath(opts.container, smallName(i)), timeoutMs: t });
    await res.body.dump();
    if (res.statusCode !== 200) throw new UnexpectedResponse('HEAD', res.statusCode);
    if (header(res.headers, 'content-length') !== size) throw new UnexpectedResponse('HEAD', 200, 'wrong Content-Length');
  });
  if (signal.aborted) return results;
  await phase('small DELETE', stored, async (i) => {
    const res = await client.request({ method: 'DELETE', path: objectPath(opts.container, smallName(i)), timeoutMs: t });
    await res.body.dump();
    if (res.statusCode !== 204) throw new UnexpectedResponse('DELETE', res.statusCode);
  });
  return results;
}

/** Streamed PUT then GET of every large object; each GET's MD5 must equal the ETag and the body sent. */
export async function largeObjectPhases(ctx: Context): Promise<PhaseResult[]> {
  const { client, opts, signal } = ctx;
  const size = opts.largeSizeBytes;
  // MD5 costs the client about a core at 500 MB/s, on the CPUs the cluster runs on: compute
  // the bodies' MD5s before the PUTs are timed, and generate them again (cheaply) while sending.
  const expected = new Map<number, string>();
  for (let i = 0; i < opts.largeCount && !signal.aborted; i++) expected.set(i, md5OfRandom(size, largeSeed(i)));
  const md5s = new Map<number, string>();
  const phaseDeadline = () => performance.now() + opts.phaseTimeoutMs;
  // A large request may take as long as its phase allows; the pool's idle limit
  // (--request-timeout) still catches a stalled transfer.
  const remaining = (deadline: number) => Math.max(1, Math.round(deadline - performance.now()));

  let deadline = phaseDeadline();
  const put = await runPhase({
    name: 'large PUT',
    label: opts.label,
    count: opts.largeCount,
    concurrency: opts.largeConcurrency,
    deadlineMs: opts.phaseTimeoutMs,
    signal,
    cpu: ctx.cpu,
    op: async (i) => {
      const res = await client.request({
        method: 'PUT',
        path: objectPath(opts.container, largeName(i)),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: Readable.from(randomChunks(size, largeSeed(i)), { objectMode: false }),
        timeoutMs: remaining(deadline),
      });
      await res.body.dump();
      const md5 = expected.get(i)!;
      if (res.statusCode !== client.putStatus) throw new UnexpectedResponse('PUT', res.statusCode);
      if (unquote(header(res.headers, 'etag')) !== md5) throw new UnexpectedResponse('PUT', res.statusCode, 'ETag differs from the MD5 sent');
      md5s.set(i, md5);
      return size;
    },
  });
  if (signal.aborted) return [put];

  const stored = [...md5s.keys()].sort((a, b) => a - b);
  deadline = phaseDeadline();
  const get = await runPhase({
    name: 'large GET',
    label: opts.label,
    count: stored.length,
    concurrency: opts.largeConcurrency,
    deadlineMs: opts.phaseTimeoutMs,
    signal,
    cpu: ctx.cpu,
    op: async (k) => {
      const i = stored[k]!;
      const res = await client.request({ method: 'GET', path: objectPath(opts.container, largeName(i)), timeoutMs: remaining(deadline) });
      const hash = createHash('md5');
      let got = 0;
      for await (const chunk of res.body) {
        hash.update(chunk as Buffer);
        got += (chunk as Buffer).length;
      }
      if (res.statusCode !== 200) throw new UnexpectedResponse('GET', res.statusCode);
      const digest = hash.digest('hex');
      if (got !== size) throw new UnexpectedResponse('GET', 200, `${got} bytes instead of ${size}`);
      if (digest !== unquote(header(res.headers, 'etag'))) throw new UnexpectedResponse('GET', 200, 'MD5 of the body differs from the ETag');
      if (digest !== md5s.get(i)) throw new UnexpectedResponse('GET', 200, 'body differs from what was stored');
      return size;
    },
  });
  return [put, get];
}

/**
 * Deletes whatever objects are left (a phase may have stopped early), then the container.
 * `client` must not be tied to the run's abort signal: this also runs after the run timed out.
 * Returns a warning when the container could not be removed.
 */
export async function removeContainer(client: SwiftClient, opts: BenchOptions, deadlineMs: number): Promise<string | undefined> {
  const deadline = performance.now() + deadlineMs;
  const left = () => Math.max(1, Math.min(opts.requestTimeoutMs, Math.round(deadline - performance.now())));
  const never = new AbortController().signal;
  try {
    for (;;) {
      const res = await client.request({
        method: 'GET',
        path: `${objectPath(opts.container)}?format=json&limit=${CLEANUP_LIST_LIMIT}`,
        timeoutMs: left(),
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        if (res.statusCode === 404) return undefined;
        if (res.statusCode !== 204) return `container ${opts.container} not deleted: listing it answered ${res.statusCode}`;
      }
      const names = res.statusCode === 200 ? ((await res.body.json()) as { name: string }[]).map((o) => o.name) : [];
      if (names.length > 0) {
        await runPhase({
          name: 'cleanup',
          label: opts.label,
          count: names.length,
          concurrency: opts.concurrency,
          deadlineMs: Math.max(1, deadline - performance.now()),
          signal: never,
          op: async (k) => {
            const d = await client.request({ method: 'DELETE', path: objectPath(opts.container, names[k]!), timeoutMs: left() });
            await d.body.dump();
            if (d.statusCode !== 204 && d.statusCode !== 404) throw new UnexpectedResponse('DELETE', d.statusCode);
            return 0;
          },
        });
      }
      const del = await client.request({ method: 'DELETE', path: objectPath(opts.container), timeoutMs: left() });
      await del.body.dump();
      if (del.statusCode === 204 || del.statusCode === 404) return undefined;
      // 409: not empty yet (a listing update may still be on its way): list again. Anything
      // else will not change by retrying.
      if (del.statusCode !== 409 || performance.now() > deadline) {
        return `container ${opts.container} not deleted: DELETE answered ${del.statusCode}`;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    return `container ${opts.container} not deleted: ${describeError(err)}`;
  }
}
