// Measurements of this machine rather than of the endpoint: the peak RSS and CPU time of the
// cluster's processes (found by command line in /proc) and the speed at which the data's disk
// takes three fsynced copies of an object.
import { execFileSync } from 'node:child_process';
import { open, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MB } from './phase.js';
import { CHUNK_BYTES, randomBuffer } from './random-body.js';

export interface ProcessRss {
  pid: number;
  ppid: number;
  /** e.g. "proxy", "storage-node 127.0.0.2", "swift-object-server object-3.conf (worker)". */
  label: string;
  role: 'proxy' | 'storage' | 'other';
  /** VmHWM: the most resident memory the process has had since it started. */
  peakRssMb: number;
  rssMb: number;
  /**
   * Current proportional set size: shared pages (e.g. between a forked parent and its
   * workers) divided among their sharers, so PSS adds up where RSS double-counts.
   */
  pssMb: number | undefined;
}

async function readProc(pid: string): Promise<{ cmdline: string[]; status: string } | undefined> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return { cmdline, status };
  } catch {
    return undefined; // the process ended while we looked, or is not ours to read
  }
}

async function pssKb(pid: string): Promise<number | undefined> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined);
  const m = rollup && /^Pss:\s+(\d+) kB/m.exec(rollup);
  return m ? Number(m[1]) : undefined;
}

/** A numeric field of /proc/<pid>/status ("VmHWM:  1234 kB", "PPid:  1"). */
const statusField = (status: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);

/** A short name for a cluster process, and its part, from its command line. */
function describe(cmdline: string[]): { label: string; role: ProcessRss['role'] } {
  const joined = cmdline.join(' ');
  const flag = (name: string) => {
    const i = cmdline.indexOf(name);
    return i >= 0 ? cmdline[i + 1] : undefined;
  };
  if (/dist\/proxy\/main\.js/.test(joined)) return { label: 'proxy', role: 'proxy' };
  if (/dist\/storage-node\/main\.js/.test(joined)) return { label: `storage-node ${flag('--bind-ip') ?? ''}`.trim(), role: 'storage' };
  const swift = /(swift-([a-z]+)-server)\s+(\S+)/.exec(joined);
  if (swift) return { label: `${swift[1]} ${basename(swift[3]!)}`, role: swift[2] === 'proxy' ? 'proxy' : 'storage' };
  const program = basename(cmdline[0] ?? '?');
  return { label: /^(node|python3?)$/.test(program) && cmdline[1] ? `${program} ${cmdline[1]}` : joined.slice(0, 60), role: 'other' };
}

/** This process and its ancestors: their command lines hold the patterns too (--rss-pattern). */
async function selfAndAncestors(): Promise<Set<number>> {
  const pids = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    pid = statusField(status, 'PPid');
  }
  return pids;
}

/** The pids and command lines of every process (but this one and its ancestors) whose command line contains one of `patterns`. */
async function matchingProcesses(patterns: string[]): Promise<{ pid: string; cmdline: string[] }[]> {
  const found: { pid: string; cmdline: string[] }[] = [];
  const skip = await selfAndAncestors();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || skip.has(Number(pid))) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').then((c) => c.split('\0').filter(Boolean), () => undefined);
    if (cmdline && patterns.some((p) => cmdline.join(' ').includes(p))) found.push({ pid, cmdline });
  }
  return found;
}

/** Every process whose command line contains one of `patterns` (not this one), with its VmHWM. */
export async function clusterProcesses(patterns: string[]): Promise<ProcessRss[]> {
  const found: ProcessRss[] = [];
  for (const { pid: entry } of await matchingProcesses(patterns)) {
    const info = await readProc(entry);
    if (!info) continue;
    const { label, role } = describe(info.cmdline);
    const pss = await pssKb(entry);
    found.push({
      pid: Number(entry),
      ppid: statusField(info.status, 'PPid'),
      label,
      role,
      peakRssMb: statusField(info.status, 'VmHWM') / 1024,
      rssMb: statusField(info.status, 'VmRSS') / 1024,
      pssMb: pss === undefined ? undefined : pss / 1024,
    });
  }
  // Swift's servers fork workers from a parent that only supervises them: say which is which.
  const pids = new Set(found.map((p) => p.pid));
  for (const p of found) {
    if (pids.has(p.ppid)) p.label += ' (worker)';
    else if (found.some((c) => c.ppid === p.pid)) p.label += ' (parent)';
  }
  return found.sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true }) || a.pid - b.pid);
}

/** CPU time (user + system, all threads) spent during one phase, in milliseconds. */
export interface PhaseCpu {
  /** The cluster's processes by role (Swift's parents and workers alike; "other": e.g. memcached). */
  proxyMs: number;
  storageMs: number;
  otherMs: number;
  /** The load generator itself: it shares the machine's CPUs with the cluster. */
  clientMs: number;
  /** Cluster processes found at the phase's end. */
  processes: number;
}

/** Starts measuring; the function it returns ends the measurement. Never throws: without /proc no process is found. */
export type CpuMeter = () => Promise<() => Promise<PhaseCpu>>;

/** Ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in ms: fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends the command name (which may hold spaces). */
async function cpuMsOf(pid: string): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function sampleCpu(patterns: string[]): Promise<Map<number, { role: ProcessRss['role']; ms: number }>> {
  const sample = new Map<number, { role: ProcessRss['role']; ms: number }>();
  for (const { pid, cmdline } of await matchingProcesses(patterns).catch(() => [])) {
    const ms = await cpuMsOf(pid);
    if (ms !== undefined) sample.set(Number(pid), { role: describe(cmdline).role, ms });
  }
  return sample;
}

/**
 * CPU time of the cluster's processes and of this generator over a phase. A process that
 * started during the phase counts whole; one that ended during it is lost (its time cannot
 * be read any more), so a restart mid-phase undercounts.
 */
export function cpuMeter(patterns: string[]): CpuMeter {
  return async () => {
    const before = await sampleCpu(patterns);
    const client0 = process.cpuUsage();
    return async () => {
      const client = process.cpuUsage(client0);
      const after = await sampleCpu(patterns);
      const spent = { proxy: 0, storage: 0, other: 0 };
      // max(0, …): a pid reused by a new process must not count negative.
      for (const [pid, p] of after) spent[p.role] += Math.max(0, p.ms - (before.get(pid)?.ms ?? 0));
      return { proxyMs: spent.proxy, storageMs: spent.storage, otherMs: spent.other, clientMs: (client.user + client.system) / 1000, processes: after.size };
    };
  };
}

export interface DiskResult {
  dir: string;
  copyBytes: number;
  /** One object's bytes per second when three copies are written and fsynced (median round): comparable to a PUT's MB/s. */
  objectMbPerS: number;
  /** All bytes written per second (3 × objectMbPerS). */
  rawMbPerS: number;
  /** objectMbPerS of every round, in order: a shared disk varies from one moment to the next. */
  roundsMbPerS: number[];
}

const DISK_ROUNDS = 3;

/**
 * Writes three copies of `copyBytes` at once (as a 3-replica PUT does) into a temporary
 * directory under `dataDir`, fsyncs each, and times it from the first write to the last
 * fsync; DISK_ROUNDS times, reporting the median.
 */
export async function measureDisk(dataDir: string, copyBytes: number): Promise<DiskResult> {
  const dir = await mkdtemp(join(dataDir, '.bench-disk-'));
  // One random chunk written over and over: the disk neither compresses nor dedups, and
  // generating fresh bytes would put CPU time into a figure about the disk.
  const chunk = randomBuffer(Math.min(CHUNK_BYTES, copyBytes), 0xd15c);
  const writeCopy = async (path: string) => {
    const fh = await open(path, 'w');
    try {
      for (let done = 0; done < copyBytes; ) {
        const len = Math.min(chunk.length, copyBytes - done);
        done += (await fh.write(chunk, 0, len)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  try {
    const roundsMbPerS: number[] = [];
    for (let round = 0; round < DISK_ROUNDS; round++) {
      const t0 = performance.now();
      await Promise.all([0, 1, 2].map((n) => writeCopy(join(dir, `copy-${n}`))));
      roundsMbPerS.push(copyBytes / MB / ((performance.now() - t0) / 1000));
      await Promise.all([0, 1, 2].map((n) => rm(join(dir, `copy-${n}`))));
    }
    const objectMbPerS = [...roundsMbPerS].sort((a, b) => a - b)[Math.floor(DISK_ROUNDS / 2)]!;
    return { dir: dataDir, copyBytes, objectMbPerS, rawMbPerS: objectMbPerS * 3, roundsMbPerS };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
