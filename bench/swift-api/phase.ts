// Runs one benchmark phase: `count` operations with `concurrency` in flight, stopping early
// at the phase's deadline or when the run is aborted; records each operation's latency and
// reports throughput, latency percentiles and errors. Progress goes to stderr.
import { performance } from 'node:perf_hooks';
import { describeError } from './client.js';
import type { CpuMeter, PhaseCpu } from './system.js';

export interface PhaseResult {
  name: string;
  /** Operations the phase was asked to do. */
  planned: number;
  ok: number;
  errors: number;
  /** First distinct error descriptions, for the report. */
  errorSamples: string[];
  seconds: number;
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Bytes moved by successful operations (large-object phases). */
  bytes: number;
  mbPerS: number;
  /** True when the phase hit its deadline (--phase-timeout), or the run ended, before every operation was done. */
  stoppedEarly: boolean;
  /** CPU time spent during the phase, when it was measured. */
  cpu?: PhaseCpu;
}

/** An operation returns the bytes it moved; it throws (or rejects) when it failed. */
export type Operation = (index: number) => Promise<number>;

const PROGRESS_EVERY_MS = 2_000;
const MAX_ERROR_SAMPLES = 5;
export const MB = 1_000_000;

/** Nearest-rank percentile of sorted values; 0 when there are none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function runPhase(opts: {
  name: string;
  label: string;
  count: number;
  concurrency: number;
  deadlineMs: number;
  signal: AbortSignal;
  op: Operation;
  /** Measures CPU time from before the first operation to after the last (outside the timed span). */
  cpu?: CpuMeter;
}): Promise<PhaseResult> {
  const { name, count, signal } = opts;
  const latenciesMs = new Float64Array(count);
  let next = 0;
  let ok = 0;
  let errors = 0;
  let bytes = 0;
  const samples = new Set<string>();
  const stopCpu = await opts.cpu?.();
  const started = performance.now();
  const deadline = started + opts.deadlineMs;

  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    const rate = bytes > 0 ? `${(bytes / MB / s).toFixed(1)} MB/s` : `${(ok / s).toFixed(0)} ops/s`;
    process.stderr.write(`[${opts.label}] ${name}: ${ok + errors}/${count} done, ${rate}, ${errors} errors\n`);
  }, PROGRESS_EVERY_MS);
  progress.unref();

  const worker = async () => {
    while (next < count && !signal.aborted && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        bytes += await opts.op(i);
        latenciesMs[ok++] = performance.now() - t0;
      } catch (err) {
        // An operation cut off by the run's end is neither a success nor the endpoint's fault.
        if (signal.aborted) break;
        errors++;
        if (samples.size < MAX_ERROR_SAMPLES) samples.add(describeError(err));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, Math.max(count, 1)) }, worker));
  } finally {
    clearInterval(progress);
  }

  const seconds = (performance.now() - started) / 1000;
  const sorted = latenciesMs.subarray(0, ok).sort();
  const cpu = await stopCpu?.();
  return {
    name,
    planned: count,
    ok,
    errors,
    errorSamples: [...samples],
    seconds,
    opsPerS: seconds > 0 ? ok / seconds : 0,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    bytes,
    mbPerS: seconds > 0 ? bytes / MB / seconds : 0,
    stoppedEarly: ok + errors < count,
    ...(cpu && { cpu }),
  };
}

/** An error for an unexpected answer, worded for the report. */
export class UnexpectedResponse extends Error {
  constructor(method: string, status: number, detail = '') {
    super(`${method} answered ${status}${detail ? ` (${detail})` : ''}`);
  }
}
