// node dist/bench/swift-api.js — a load generator for any Swift API endpoint on this machine
// (with --api s3, the object phases go through the same proxy's S3 API, SigV4-signed).
// Authenticates with tempauth, creates a container, then: small objects PUT, GET, HEAD,
// DELETE (ops/s, p50/p99 latency, errors); large objects streamed PUT and GET (MB/s, MD5
// checked); each phase's CPU time per operation (cluster processes and the generator, from
// /proc); the disk's 3-copy fsync rate; the peak RSS of the cluster's processes. Removes its
// container at the end. `--help` lists the options.
//
// Exit status: 0 the run completed (per-phase errors are in the report), 1 bad options or
// another failure, 2 endpoint unreachable or authentication failed, 3 the run hit its time limit.
import { writeFileSync } from 'node:fs';
import { FatalError, SwiftClient, authenticate } from './swift-api/client.js';
import { USAGE, UsageError, parseOptions } from './swift-api/options.js';
import type { BenchOptions } from './swift-api/options.js';
import type { PhaseResult } from './swift-api/phase.js';
import { formatReport } from './swift-api/report.js';
import { S3ObjectClient } from './swift-api/s3-client.js';
import type { BenchResult } from './swift-api/report.js';
import { clusterProcesses, cpuMeter, measureDisk } from './swift-api/system.js';
import type { DiskResult } from './swift-api/system.js';
import { createContainer, largeObjectPhases, removeContainer, smallObjectPhases } from './swift-api/workload.js';

const EXIT_RUN_TIMEOUT = 3;
/** Time allowed to delete leftovers and the container, even after the run timed out. */
const CLEANUP_MS = 120_000;
/** Beyond run timeout + cleanup, something is stuck: exit regardless. */
const HARD_STOP_GRACE_MS = 30_000;

const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function run(opts: BenchOptions): Promise<number> {
  const runAbort = new AbortController();
  let timedOut = false;
  const runTimer = setTimeout(() => {
    timedOut = true;
    log(`[${opts.label}] run time limit of ${opts.runTimeoutMs / 1000}s reached; stopping`);
    runAbort.abort();
  }, opts.runTimeoutMs);
  runTimer.unref();
  setTimeout(() => {
    log(`[${opts.label}] still not finished ${HARD_STOP_GRACE_MS / 1000}s after the run and cleanup limits; exiting`);
    process.exit(EXIT_RUN_TIMEOUT);
  }, opts.runTimeoutMs + CLEANUP_MS + HARD_STOP_GRACE_MS).unref();
  process.on('SIGINT', () => {
    if (runAbort.signal.aborted) process.exit(130);
    log(`[${opts.label}] interrupted; cleaning up (Ctrl-C again to quit at once)`);
    runAbort.abort();
  });

  const startedAt = new Date().toISOString();
  const auth = await authenticate(opts.authUrl, opts.user, opts.key);
  log(`[${opts.label}] authenticated as ${opts.user}; storage URL ${auth.storageUrl.href}; container ${opts.container}`);
  const connections = Math.max(opts.concurrency, opts.largeConcurrency);
  const client = new SwiftClient(auth, connections, opts.requestTimeoutMs, runAbort.signal);
  // The container is made and removed through Swift; the measured phases use the chosen API.
  const objects = opts.api === 's3' ? new S3ObjectClient(auth, opts.user, opts.key, connections, opts.requestTimeoutMs, runAbort.signal) : client;
  const ctx = { client, opts, signal: runAbort.signal, cpu: cpuMeter(opts.rssPatterns) };
  const objectCtx = { ...ctx, client: objects };
  const warnings: string[] = [];
  const phases: PhaseResult[] = [];

  await createContainer(ctx);
  try {
    if (opts.warmupCount > 0 && opts.smallCount > 0) {
      // A freshly started Stowage spends ~30% more CPU per small PUT over its first few hundred
      // requests (JIT compilation, heap growth, connection pools): measure it once warm.
      log(`[${opts.label}] warm-up: ${opts.warmupCount} small objects, not measured`);
      await smallObjectPhases({ ...objectCtx, cpu: undefined, opts: { ...opts, smallCount: opts.warmupCount, label: `${opts.label} warm-up` } });
    }
    if (opts.smallCount > 0) phases.push(...(await smallObjectPhases(objectCtx)));
    if (opts.largeCount > 0 && !runAbort.signal.aborted) phases.push(...(await largeObjectPhases(objectCtx)));
  } finally {
    await client.close();
    if (objects !== client) await objects.close();
    // A client of its own, free of the run's abort signal, so cleanup also runs after a timeout.
    const cleaner = new SwiftClient(auth, connections, opts.requestTimeoutMs, new AbortController().signal);
    const problem = await removeContainer(cleaner, opts, CLEANUP_MS);
    if (problem) warnings.push(problem);
    await cleaner.close();
  }

  let disk: DiskResult | undefined;
  if (opts.largeCount > 0 && opts.largeSizeBytes > 0 && !runAbort.signal.aborted) {
    log(`[${opts.label}] measuring the disk: 3 fsynced copies of ${opts.largeSizeBytes} bytes in ${opts.dataDir}`);
    try {
      disk = await measureDisk(opts.dataDir, opts.largeSizeBytes);
    } catch (err) {
      warnings.push(`disk measurement in ${opts.dataDir} failed: ${(err as Error).message}`);
    }
  }
  const processes = await clusterProcesses(opts.rssPatterns).catch((err: Error) => {
    warnings.push(`cannot read the processes' memory (${err.message}); this needs Linux's /proc`);
    return [];
  });
  for (const ph of phases) {
    if (ph.errors > 0) warnings.push(`${ph.name}: ${ph.errors} of ${ph.planned} operations failed`);
    if (ph.stoppedEarly) warnings.push(`${ph.name} stopped early: ${ph.ok + ph.errors} of ${ph.planned} done`);
  }
  if (timedOut) warnings.push(`the run hit its time limit (--run-timeout ${opts.runTimeoutMs / 1000}s)`);
  else if (runAbort.signal.aborted) warnings.push('the run was interrupted');

  const result: BenchResult = {
    label: opts.label,
    api: opts.api,
    authUrl: opts.authUrl,
    storageUrl: auth.storageUrl.href,
    container: opts.container,
    startedAt,
    params: {
      concurrency: opts.concurrency,
      warmupCount: opts.warmupCount,
      smallCount: opts.smallCount,
      smallSizeBytes: opts.smallSizeBytes,
      largeCount: opts.largeCount,
      largeSizeBytes: opts.largeSizeBytes,
      largeConcurrency: opts.largeConcurrency,
    },
    phases,
    disk,
    rssPatterns: opts.rssPatterns,
    processes,
    warnings,
    completed: !runAbort.signal.aborted,
  };
  console.log(formatReport(result));
  if (opts.jsonPath) writeFileSync(opts.jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  clearTimeout(runTimer);
  if (timedOut) return EXIT_RUN_TIMEOUT;
  return runAbort.signal.aborted ? 130 : 0;
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) log(`swift-api: ${err.message}\n`);
    log(USAGE);
    process.exit(err.message ? 1 : 0);
  }
  try {
    process.exitCode = await run(opts);
  } catch (err) {
    if (err instanceof FatalError) {
      log(`swift-api: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      log(`swift-api: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 1;
    }
  }
  // Timers and sockets must not keep a finished run alive.
  process.exit(process.exitCode);
}

await main();
