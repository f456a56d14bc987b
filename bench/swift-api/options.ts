// Options of the Swift API load generator: `--flag value` (or `--flag=value`), else the
// environment (BENCH_<FLAG>, and swiftclient's ST_AUTH / ST_USER / ST_KEY), else defaults.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';

export interface BenchOptions {
  /** The API of the object phases: Swift, or S3 (SigV4) on the same proxy. */
  api: 'swift' | 's3';
  authUrl: string;
  user: string;
  key: string;
  concurrency: number;
  /** Small objects PUT, read and deleted before the measured phases, so a JIT-compiled server is warm (not measured). */
  warmupCount: number;
  smallCount: number;
  smallSizeBytes: number;
  largeCount: number;
  largeSizeBytes: number;
  /** Large objects in flight at once (1: the throughput of a single stream). */
  largeConcurrency: number;
  container: string;
  /** Substrings of /proc/<pid>/cmdline that mark the cluster's processes. */
  rssPatterns: string[];
  /** A directory on the filesystem that holds the cluster's data (for the disk measurement). */
  dataDir: string;
  requestTimeoutMs: number;
  phaseTimeoutMs: number;
  runTimeoutMs: number;
  /** Where to write the results as JSON (for bench/run.ts), if anywhere. */
  jsonPath: string | undefined;
  label: string;
}

export const DEFAULT_RSS_PATTERNS = [
  'dist/storage-node/main.js',
  'dist/proxy/main.js',
  'swift-proxy-server',
  'swift-object-server',
  'swift-container-server',
  'swift-account-server',
];

/** Swift's own limit on one object (max_file_size); larger needs SLO/DLO. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
const MAX_CONCURRENCY = 1024;

export const USAGE = `Usage: node dist/bench/swift-api.js [options]

Load generator for any Swift API endpoint on this machine (127.0.0.0/8 only).

  --api swift|s3         API of the object phases: Swift, or S3 signed with SigV4
                         (access key = user, secret = key; the bucket is made
                         and removed through Swift)       default swift
  --auth-url URL         tempauth URL (env ST_AUTH)      default http://127.0.0.1:8080/auth/v1.0
  --user USER            (env ST_USER)                   default test:tester
  --key KEY              (env ST_KEY)                    default testing
  --concurrency N        small-object requests in flight  default 16
  --warmup N             small objects PUT, GET, HEAD and DELETEd first,
                         not measured (warms up JIT-compiled servers) default 1000
  --small-count N        small objects                    default 2000
  --small-size SIZE      bytes per small object           default 4096
  --large-count N        large objects                    default 3
  --large-size SIZE      bytes per large object           default 64MiB
  --large-concurrency N  large objects in flight          default 1
  --container NAME       default bench-<random>
  --rss-pattern P[,P]    cmdline substrings of the cluster's processes (repeatable)
                         default: Stowage's and Swift's server processes
  --data-dir DIR         a directory on the data's filesystem, for the disk measurement
                         default $STOWAGE_DATA, ./data if present, else the temp dir
  --request-timeout S    seconds per small request         default 30
  --phase-timeout S      seconds per phase before it stops default 300
  --run-timeout S        seconds for the whole run          default 1800
  --json FILE            also write the results as JSON
  --label TEXT           name printed in the report         default: the endpoint
Every option can also come from BENCH_<OPTION> (e.g. BENCH_SMALL_COUNT=500).
SIZE accepts B, K/KB (1000), KiB (1024), M/MB, MiB, G/GB, GiB.`;

export class UsageError extends Error {}

const FLAGS = [
  'api', 'auth-url', 'user', 'key', 'concurrency', 'warmup', 'small-count', 'small-size', 'large-count',
  'large-size', 'large-concurrency', 'container', 'rss-pattern', 'data-dir',
  'request-timeout', 'phase-timeout', 'run-timeout', 'json', 'label',
] as const;
type Flag = (typeof FLAGS)[number];

/** Parses argv into flag values; `rss-pattern` may repeat, the others keep the last. */
function parseArgv(argv: string[]): Map<Flag, string[]> {
  const out = new Map<Flag, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !(FLAGS as readonly string[]).includes(m[1]!)) throw new UsageError(`unknown option: ${arg}`);
    const flag = m[1] as Flag;
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
    }
    out.set(flag, [...(out.get(flag) ?? []), value]);
  }
  return out;
}

export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what}: "${text}" is not a size (e.g. 4096, 64KiB, 64MiB, 1GB)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const binary = unit.includes('i');
  const power = { b: 0, k: 1, m: 2, g: 3 }[unit[0] as 'b' | 'k' | 'm' | 'g'];
  const bytes = Math.round(Number(m[1]) * (binary ? 1024 : 1000) ** power);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${what}: "${text}" is too large`);
  return bytes;
}

function parseCount(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${what}: "${text}" must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.STOWAGE_DATA) return resolve(env.STOWAGE_DATA);
  if (existsSync('data')) return resolve('data');
  return tmpdir();
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = parseArgv(argv);
  const envName = (flag: Flag) => `BENCH_${flag.toUpperCase().replaceAll('-', '_')}`;
  const get = (flag: Flag, fallback: string, ...envAliases: string[]): string => {
    const values = flags.get(flag);
    if (values) return values[values.length - 1]!;
    for (const name of [envName(flag), ...envAliases]) if (env[name] !== undefined) return env[name]!;
    return fallback;
  };
  const seconds = (flag: Flag, fallback: number) =>
    parseCount(get(flag, String(fallback)), `--${flag}`, 1, 24 * 3600) * 1000;

  const largeSizeBytes = parseSize(get('large-size', '64MiB'), '--large-size');
  const smallSizeBytes = parseSize(get('small-size', '4096'), '--small-size');
  if (largeSizeBytes > MAX_OBJECT_BYTES || smallSizeBytes > MAX_OBJECT_BYTES) {
    throw new UsageError('object sizes are limited to 5 GiB (Swift max_file_size)');
  }
  const container = get('container', `bench-${randomBytes(4).toString('hex')}`);
  if (!container || container.includes('/') || container.length > 256) {
    throw new UsageError(`--container: "${container}" is not a valid container name`);
  }
  const rssFlag = flags.get('rss-pattern') ?? (env[envName('rss-pattern')] ? [env[envName('rss-pattern')]!] : undefined);
  const rssPatterns = rssFlag ? rssFlag.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean) : DEFAULT_RSS_PATTERNS;
  const authUrl = get('auth-url', 'http://127.0.0.1:8080/auth/v1.0', 'ST_AUTH');

  const api = get('api', 'swift');
  if (api !== 'swift' && api !== 's3') throw new UsageError(`--api: "${api}" must be swift or s3`);
  if (api === 's3' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(container)) {
    throw new UsageError(`--container: "${container}" is not a valid S3 bucket name`);
  }

  return {
    api,
    authUrl,
    user: get('user', 'test:tester', 'ST_USER'),
    key: get('key', 'testing', 'ST_KEY'),
    concurrency: parseCount(get('concurrency', '16'), '--concurrency', 1, MAX_CONCURRENCY),
    warmupCount: parseCount(get('warmup', '1000'), '--warmup', 0, 1_000_000),
    smallCount: parseCount(get('small-count', '2000'), '--small-count', 0, 10_000_000),
    smallSizeBytes,
    largeCount: parseCount(get('large-count', '3'), '--large-count', 0, 10_000),
    largeSizeBytes,
    largeConcurrency: parseCount(get('large-concurrency', '1'), '--large-concurrency', 1, 64),
    container,
    rssPatterns,
    dataDir: resolve(get('data-dir', defaultDataDir(env))),
    requestTimeoutMs: seconds('request-timeout', 30),
    phaseTimeoutMs: seconds('phase-timeout', 300),
    runTimeoutMs: seconds('run-timeout', 1800),
    jsonPath: flags.get('json')?.at(-1) ?? env[envName('json')],
    label: get('label', authUrl),
  };
}
