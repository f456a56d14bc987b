// The results of one run (also written as JSON for bench/run.ts) and their text report.
import type { BenchOptions } from './options.js';
import type { PhaseResult } from './phase.js';
import type { DiskResult, PhaseCpu, ProcessRss } from './system.js';

export interface BenchResult {
  label: string;
  /** Which API the object phases used (absent in results from before the S3 mode: swift). */
  api?: 'swift' | 's3';
  authUrl: string;
  storageUrl: string;
  container: string;
  startedAt: string;
  params: Pick<BenchOptions, 'concurrency' | 'warmupCount' | 'smallCount' | 'smallSizeBytes' | 'largeCount' | 'largeSizeBytes' | 'largeConcurrency'>;
  phases: PhaseResult[];
  disk: DiskResult | undefined;
  rssPatterns: string[];
  processes: ProcessRss[];
  warnings: string[];
  /** False when the run hit its time limit or was interrupted. */
  completed: boolean;
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pad = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

export function sizeText(bytes: number): string {
  for (const [unit, scale] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale} ${unit}`;
  }
  return `${bytes} B`;
}

/** Sums over processes (of one role, or all): peak RSS, and PSS where every one has it. */
export function totals(processes: ProcessRss[], role?: ProcessRss['role']): { peakRssMb: number; pssMb: number | undefined; count: number } {
  const chosen = processes.filter((p) => role === undefined || p.role === role);
  const pss = chosen.every((p) => p.pssMb !== undefined) ? chosen.reduce((s, p) => s + p.pssMb!, 0) : undefined;
  return { peakRssMb: chosen.reduce((s, p) => s + p.peakRssMb, 0), pssMb: pss, count: chosen.length };
}

/** Large-object throughput as a percentage of what the disk takes for three fsynced copies. */
export function percentOfDisk(phase: PhaseResult | undefined, disk: DiskResult | undefined): number | undefined {
  if (!phase || !disk || phase.ok === 0 || disk.objectMbPerS <= 0) return undefined;
  return (100 * phase.mbPerS) / disk.objectMbPerS;
}

/** Whose CPU time: the whole cluster, its proxy processes, its other (backend) processes, or the load generator. */
export type CpuPart = 'cluster' | 'proxy' | 'backend' | 'client';

function cpuMsOf(cpu: PhaseCpu, part: CpuPart): number {
  const backend = cpu.storageMs + cpu.otherMs;
  return { cluster: cpu.proxyMs + backend, proxy: cpu.proxyMs, backend, client: cpu.clientMs }[part];
}

const GiB = 1024 ** 3;

/**
 * CPU cost of a phase's work: ms per successful operation for small objects, seconds per GiB
 * moved for large ones (whose operations differ in size).
 */
export function cpuCost(ph: PhaseResult | undefined, part: CpuPart): number | undefined {
  if (!ph?.cpu || ph.ok === 0) return undefined;
  const ms = cpuMsOf(ph.cpu, part);
  return ph.name.startsWith('large') ? ms / 1000 / (ph.bytes / GiB) : ms / ph.ok;
}

/** The cluster's CPU time over the phase's wall time: how many cores it kept busy. */
export function coresBusy(ph: PhaseResult): number | undefined {
  return ph.cpu && ph.seconds > 0 ? cpuMsOf(ph.cpu, 'cluster') / 1000 / ph.seconds : undefined;
}

function cpuLines(phases: PhaseResult[]): string[] {
  const measured = phases.filter((ph) => ph.cpu);
  if (measured.length === 0) return [];
  const w = [14, 9, 9, 9, 9, 10, 11];
  const lines = [
    'CPU time (user + system, /proc/<pid>/stat) per operation: ms/op for small objects, s/GiB for large',
    pad(['phase', 'cluster', 'proxy', 'backend', 'unit', 'load gen', 'cores busy'], w),
  ];
  for (const ph of measured) {
    const cost = (part: CpuPart) => fixed(cpuCost(ph, part) ?? NaN, 2);
    lines.push(pad([ph.name, cost('cluster'), cost('proxy'), cost('backend'), ph.name.startsWith('large') ? 's/GiB' : 'ms/op', cost('client'), fixed(coresBusy(ph) ?? NaN, 2)], w));
  }
  const found = Math.max(...measured.map((ph) => ph.cpu!.processes));
  lines.push(`  (cluster = proxy + backend, ${found} processes: storage servers and the rest, e.g. memcached; cores busy = cluster CPU / wall time)`, '');
  return lines;
}

export function formatReport(r: BenchResult): string {
  const p = r.params;
  const lines = [
    `${r.api === 's3' ? 'S3 API (SigV4)' : 'Swift API'} benchmark: ${r.label}`,
    `  endpoint ${r.authUrl} -> ${r.storageUrl}, container ${r.container}`,
    `  ${p.smallCount} small objects of ${sizeText(p.smallSizeBytes)} with ${p.concurrency} in flight; ` +
      `${p.largeCount} large objects of ${sizeText(p.largeSizeBytes)}, ${p.largeConcurrency} at a time` +
      (p.warmupCount ? `; after a warm-up of ${p.warmupCount} small objects` : ''),
    '',
  ];
  const small = r.phases.filter((ph) => ph.name.startsWith('small'));
  const large = r.phases.filter((ph) => ph.name.startsWith('large'));
  const note = (ph: PhaseResult) => (ph.stoppedEarly ? `  stopped early: ${ph.ok + ph.errors}/${ph.planned} done` : '');
  if (small.length > 0) {
    const w = [14, 8, 10, 9, 9, 7];
    lines.push(pad(['phase', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'errors'], w));
    for (const ph of small) {
      lines.push(pad([ph.name, String(ph.ok), fixed(ph.opsPerS, 1), fixed(ph.p50Ms, 2), fixed(ph.p99Ms, 2), String(ph.errors)], w) + note(ph));
    }
    lines.push('');
  }
  if (large.length > 0) {
    const w = [14, 8, 10, 12, 7];
    lines.push(pad(['phase', 'objects', 'MB/s', '% of disk', 'errors'], w));
    for (const ph of large) {
      const pct = ph.name === 'large PUT' ? percentOfDisk(ph, r.disk) : undefined;
      lines.push(pad([ph.name, String(ph.ok), fixed(ph.mbPerS, 1), pct === undefined ? '' : `${pct.toFixed(0)}%`, String(ph.errors)], w) + note(ph));
    }
    lines.push('  (MB = 1,000,000 bytes; % of disk = PUT MB/s over the disk\'s 3-copy fsync rate below)', '');
  }
  lines.push(...cpuLines(r.phases));
  for (const ph of r.phases) {
    if (ph.errorSamples.length > 0) lines.push(`  ${ph.name} errors, e.g.: ${ph.errorSamples.join('; ')}`);
  }
  if (r.disk) {
    const d = r.disk;
    lines.push(
      `disk: 3 copies of ${sizeText(d.copyBytes)} written at once and fsynced in ${d.dir}: ` +
        `${d.objectMbPerS.toFixed(1)} MB/s per object (${d.rawMbPerS.toFixed(1)} MB/s written), ` +
        `median of ${d.roundsMbPerS.map((x) => x.toFixed(0)).join(', ')}`,
    );
  }
  lines.push('', `cluster processes (command line contains ${r.rssPatterns.map((p) => `"${p}"`).join(' or ')}):`);
  lines.push(`  ${'peak RSS'.padStart(11)}  ${'PSS now'.padStart(11)}  process`);
  if (r.processes.length === 0) lines.push('  none found (is the cluster running on this machine? see --rss-pattern)');
  const mb = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1)).padStart(8);
  for (const proc of r.processes) lines.push(`  ${mb(proc.peakRssMb)} MB  ${mb(proc.pssMb)} MB  ${proc.label}  [pid ${proc.pid}]`);
  if (r.processes.length > 0) {
    const t = totals(r.processes);
    lines.push(`  ${mb(t.peakRssMb)} MB  ${mb(t.pssMb)} MB  total of ${r.processes.length} processes`);
  }
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}
