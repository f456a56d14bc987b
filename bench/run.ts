// npm run bench — the Swift API load generator (bench/swift-api.ts) against Stowage's local
// cluster and, where Debian's packages can be installed, against a reference OpenStack Swift
// cluster of the same shape (bench/swift-reference/), with identical parameters; then a
// side-by-side table with the ratios and the targets.
//
//   --stowage-url URL   Stowage's auth URL (default http://127.0.0.1:8080/auth/v1.0; `npm start`)
//   --stowage-data DIR  Stowage's data directory, for the disk measurement ($STOWAGE_DATA or ./data)
//   --swift-url URL     use an already running Swift endpoint instead of the reference cluster
//   --swift-data DIR    that endpoint's data directory (for the disk measurement)
//   --no-stowage / --no-swift   skip one side
//   --no-s3             skip the run of Stowage's S3 API (SigV4), compared with its Swift API
//   --keep-swift        leave the reference cluster running afterwards
//   --json FILE         write both results as JSON
// Every other option (--concurrency, --small-count, --large-size, ...) goes to both runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PhaseResult } from './swift-api/phase.js';
import { cpuCost, percentOfDisk, totals } from './swift-api/report.js';
import type { BenchResult } from './swift-api/report.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const REPO = here('../../');
const SWIFT_API = here('./swift-api.js');
const REF_START = join(REPO, 'bench/swift-reference/start.sh');
const REF_STOP = join(REPO, 'bench/swift-reference/stop.sh');
/** apt-get may have to download and install ~80 packages the first time. */
const REF_START_TIMEOUT_MS = 15 * 60_000;
const REF_STOP_TIMEOUT_MS = 60_000;
const EXIT_UNREACHABLE_OR_AUTH = 2;

const TARGET_SMALL_RATIO = 3;
const TARGET_DISK_PERCENT = 80;
const TARGET_PROXY_RSS_MB = 200;
/** Stowage's S3 small-object rates within 10% of its Swift API's. */
const TARGET_S3_RATIO = 0.9;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

interface RunArgs {
  stowageUrl: string;
  stowageData: string;
  swiftUrl: string | undefined;
  swiftData: string | undefined;
  stowage: boolean;
  swift: boolean;
  keepSwift: boolean;
  s3: boolean;
  jsonPath: string | undefined;
  forwarded: string[];
}

function parseArgs(argv: string[]): RunArgs {
  const args: RunArgs = {
    stowageUrl: 'http://127.0.0.1:8080/auth/v1.0',
    stowageData: resolve(process.env.STOWAGE_DATA ?? 'data'),
    swiftUrl: undefined,
    swiftData: undefined,
    stowage: true,
    swift: true,
    keepSwift: false,
    s3: true,
    jsonPath: undefined,
    forwarded: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--stowage-url': args.stowageUrl = value(); break;
      case '--stowage-data': args.stowageData = resolve(value()); break;
      case '--swift-url': args.swiftUrl = value(); break;
      case '--swift-data': args.swiftData = resolve(value()); break;
      case '--no-stowage': args.stowage = false; break;
      case '--no-swift': args.swift = false; break;
      case '--keep-swift': args.keepSwift = true; break;
      case '--no-s3': args.s3 = false; break;
      case '--json': args.jsonPath = value(); break;
      case '--help': case '-h': throw new Error('');
      case '--auth-url': case '--rss-pattern': case '--data-dir': case '--label': case '--api':
        throw new Error(`${flag} is set per cluster by bench/run.ts; use node dist/bench/swift-api.js for one endpoint`);
      default:
        if (!flag.startsWith('--')) throw new Error(`unexpected argument: ${argv[i]}`);
        // Every load-generator option takes a value.
        args.forwarded.push(flag, value());
    }
  }
  return args;
}

/** Runs a command, passing stderr through; resolves with its exit status and stdout. */
function runCommand(cmd: string, args: string[], timeoutMs: number, stdout: 'inherit' | 'pipe'): Promise<{ code: number; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      log(`${cmd} did not finish within ${timeoutMs / 1000}s; stopping it`);
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolveRun({ code: 127, out: String(err) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? (signal ? 128 : 1), out });
    });
  });
}

interface Side {
  name: string;
  result: BenchResult | undefined;
  /** Why there is no result. */
  missing: string | undefined;
}

async function bench(name: string, authUrl: string, dataDir: string, rssPatterns: string[], forwarded: string[]): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-'));
  const jsonPath = join(dir, 'result.json');
  try {
    log(`--- ${name}: ${authUrl}`);
    const args = [SWIFT_API, ...forwarded, '--auth-url', authUrl, '--label', name, '--data-dir', dataDir, '--json', jsonPath];
    for (const p of rssPatterns) args.push('--rss-pattern', p);
    // The load generator bounds its own run (--run-timeout); this is only a backstop.
    const { code } = await runCommand(process.execPath, args, 4 * 3600_000, 'inherit');
    if (existsSync(jsonPath)) return { name, result: JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchResult, missing: undefined };
    if (code === EXIT_UNREACHABLE_OR_AUTH) return { name, result: undefined, missing: `not reachable or auth failed at ${authUrl}` };
    return { name, result: undefined, missing: `the load generator failed (exit ${code})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the reference cluster (unless it runs already); undefined with a reason when it cannot. */
async function startReference(): Promise<{ authUrl: string; devicesDir: string; configDir: string; startedHere: boolean } | string> {
  if (process.platform !== 'linux') return 'the reference Swift cluster needs Linux with Debian packages';
  log('starting the reference Swift cluster (bench/swift-reference/start.sh)');
  const { code, out } = await runCommand('bash', [REF_START], REF_START_TIMEOUT_MS, 'pipe');
  const vars = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  if (code !== 0 || !vars.AUTH_URL || !vars.DEVICES_DIR || !vars.CONFIG_DIR) {
    return `bench/swift-reference/start.sh failed (exit ${code}); see its messages above`;
  }
  return { authUrl: vars.AUTH_URL, devicesDir: vars.DEVICES_DIR, configDir: vars.CONFIG_DIR, startedHere: vars.STARTED === 'yes' };
}

// --- the side-by-side table -----------------------------------------------------------------

const num = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const phaseOf = (s: Side, name: string): PhaseResult | undefined => s.result?.phases.find((p) => p.name === name);
const ratioOf = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED');

function table(st: Side, sw: Side): string {
  const rows: string[][] = [['', 'Stowage', 'Swift 2.30', 'Stowage/Swift', 'target']];
  const row = (label: string, a: number | undefined, b: number | undefined, digits: number, target = '') => {
    const r = ratioOf(a, b);
    rows.push([label, num(a, digits), num(b, digits), r === undefined ? 'n/a' : `${r.toFixed(2)}x`, target]);
  };
  for (const op of ['PUT', 'GET', 'HEAD', 'DELETE']) {
    const a = phaseOf(st, `small ${op}`);
    const b = phaseOf(sw, `small ${op}`);
    const targeted = op === 'PUT' || op === 'GET';
    const r = ratioOf(a?.opsPerS, b?.opsPerS);
    row(`small ${op} ops/s`, a?.opsPerS, b?.opsPerS, 1, targeted ? `>= ${TARGET_SMALL_RATIO}x Swift: ${verdict(r === undefined ? undefined : r >= TARGET_SMALL_RATIO)}` : '');
    row(`small ${op} p50 ms`, a?.p50Ms, b?.p50Ms, 2);
    row(`small ${op} p99 ms`, a?.p99Ms, b?.p99Ms, 2);
  }
  const errors = (s: Side) => s.result?.phases.reduce((n, p) => n + p.errors, 0);
  rows.push(['errors (all phases)', String(errors(st) ?? 'n/a'), String(errors(sw) ?? 'n/a'), '', '']);
  const putA = phaseOf(st, 'large PUT');
  const putB = phaseOf(sw, 'large PUT');
  row('large PUT MB/s', putA?.mbPerS, putB?.mbPerS, 1);
  const pctA = percentOfDisk(putA, st.result?.disk);
  const pctB = percentOfDisk(putB, sw.result?.disk);
  row('large PUT % of disk 3-copy', pctA, pctB, 0, `>= ${TARGET_DISK_PERCENT}% of disk: ${verdict(pctA === undefined ? undefined : pctA >= TARGET_DISK_PERCENT)}`);
  row('large GET MB/s', phaseOf(st, 'large GET')?.mbPerS, phaseOf(sw, 'large GET')?.mbPerS, 1);
  row('disk 3-copy fsync MB/s', st.result?.disk?.objectMbPerS, sw.result?.disk?.objectMbPerS, 1);
  const proxyA = st.result && totals(st.result.processes, 'proxy');
  const proxyB = sw.result && totals(sw.result.processes, 'proxy');
  const proxyRssA = proxyA?.count ? proxyA.peakRssMb : undefined;
  row('proxy peak RSS MB', proxyRssA, proxyB?.count ? proxyB.peakRssMb : undefined, 1,
    `< ${TARGET_PROXY_RSS_MB} MB: ${verdict(proxyRssA === undefined ? undefined : proxyRssA < TARGET_PROXY_RSS_MB)}`);
  const allA = st.result && totals(st.result.processes);
  const allB = sw.result && totals(sw.result.processes);
  row('all processes peak RSS MB', allA?.count ? allA.peakRssMb : undefined, allB?.count ? allB.peakRssMb : undefined, 1);
  row('all processes PSS now MB', allA?.count ? allA.pssMb : undefined, allB?.count ? allB.pssMb : undefined, 1);

  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

/** Stowage's S3 API against its Swift API: the same figures, the ratio, and the 10% target for small objects. */
function apiTable(s3: Side, sw: Side): string {
  const rows: string[][] = [['', 'S3 API', 'Swift API', 'S3/Swift', 'target']];
  const row = (label: string, a: number | undefined, b: number | undefined, digits: number, target = '') => {
    const r = ratioOf(a, b);
    rows.push([label, num(a, digits), num(b, digits), r === undefined ? 'n/a' : `${r.toFixed(2)}x`, target]);
  };
  for (const op of ['PUT', 'GET', 'HEAD', 'DELETE']) {
    const a = phaseOf(s3, `small ${op}`);
    const b = phaseOf(sw, `small ${op}`);
    const r = ratioOf(a?.opsPerS, b?.opsPerS);
    row(`small ${op} ops/s`, a?.opsPerS, b?.opsPerS, 1, `>= ${TARGET_S3_RATIO}x Swift API: ${verdict(r === undefined ? undefined : r >= TARGET_S3_RATIO)}`);
    row(`small ${op} p50 ms`, a?.p50Ms, b?.p50Ms, 2);
    row(`small ${op} p99 ms`, a?.p99Ms, b?.p99Ms, 2);
  }
  const errors = (s: Side) => s.result?.phases.reduce((n, p) => n + p.errors, 0);
  rows.push(['errors (all phases)', String(errors(s3) ?? 'n/a'), String(errors(sw) ?? 'n/a'), '', '']);
  row('large PUT MB/s', phaseOf(s3, 'large PUT')?.mbPerS, phaseOf(sw, 'large PUT')?.mbPerS, 1);
  row('large GET MB/s', phaseOf(s3, 'large GET')?.mbPerS, phaseOf(sw, 'large GET')?.mbPerS, 1);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

/**
 * CPU time per operation of each side's cluster (split proxy / backend) and of the load
 * generator, with how many times more CPU side `b` spends than side `a` (above 1: `a` is cheaper).
 */
function cpuTable(a: Side, b: Side, ratioName: string): string {
  const rows: string[][] = [['CPU per operation', 'unit', `${a.name}: all`, 'proxy', 'backend', `${b.name}: all`, 'proxy', 'backend', ratioName, 'load gen']];
  for (const name of ['small PUT', 'small GET', 'small HEAD', 'small DELETE', 'large PUT', 'large GET']) {
    const [pa, pb] = [phaseOf(a, name), phaseOf(b, name)];
    const r = ratioOf(cpuCost(pb, 'cluster'), cpuCost(pa, 'cluster'));
    rows.push([
      name, name.startsWith('large') ? 's/GiB' : 'ms/op',
      ...(['cluster', 'proxy', 'backend'] as const).map((part) => num(cpuCost(pa, part), 2)),
      ...(['cluster', 'proxy', 'backend'] as const).map((part) => num(cpuCost(pb, part), 2)),
      r === undefined ? 'n/a' : `${r.toFixed(2)}x`,
      `${num(cpuCost(pa, 'client'), 2)} / ${num(cpuCost(pb, 'client'), 2)}`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

function processList(s: Side): string[] {
  if (!s.result) return [`  ${s.name}: ${s.missing ?? 'not run'}`];
  const lines = [`  ${s.name} (${s.result.processes.length} processes):`];
  for (const p of s.result.processes) lines.push(`    ${p.peakRssMb.toFixed(1).padStart(7)} MB  ${p.label}`);
  if (s.result.processes.length === 0) lines.push('    none found');
  return lines;
}

async function main(): Promise<void> {
  let args: RunArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    const message = (err as Error).message;
    if (message) log(message);
    log('usage: npm run bench -- [--stowage-url URL] [--stowage-data DIR] [--swift-url URL] [--swift-data DIR]');
    log('                          [--no-stowage] [--no-swift] [--no-s3] [--keep-swift] [--json FILE] [load generator options]');
    log('load generator options: node dist/bench/swift-api.js --help; figures explained in docs/benchmarks.md');
    process.exit(message ? 1 : 0);
  }

  let stopReference: (() => Promise<void>) | undefined;
  let interrupted = false;
  process.on('SIGINT', () => {
    // The load generator (same process group) gets the Ctrl-C too and cleans up; we then stop
    // the reference cluster below instead of dying with it still running.
    interrupted = true;
    log('interrupted; finishing cleanup');
  });

  let stowage: Side = { name: 'Stowage', result: undefined, missing: 'skipped (--no-stowage)' };
  if (args.stowage) {
    // The local cluster's proxy and storage nodes all name a file under the data directory
    // (--config, --devices); matching on it leaves out other Stowage processes on this machine,
    // e.g. the clusters that integration tests start from the same dist/.
    stowage = await bench('Stowage', args.stowageUrl, args.stowageData, [`${args.stowageData}/`], args.forwarded);
    if (!stowage.result && stowage.missing?.startsWith('not reachable')) {
      log(`Stowage is ${stowage.missing}. Start it in another terminal with \`npm start\` (data in ./data), then rerun.`);
    }
  }

  // The same load through Stowage's S3 API on the same cluster, right after its Swift run.
  let stowageS3: Side = { name: 'Stowage S3', result: undefined, missing: args.stowage ? 'skipped (--no-s3)' : 'skipped (--no-stowage)' };
  if (args.stowage && args.s3 && stowage.result && !interrupted) {
    stowageS3 = await bench('Stowage S3', args.stowageUrl, args.stowageData, [`${args.stowageData}/`], ['--api', 's3', ...args.forwarded]);
  }

  let swift: Side = { name: 'Swift 2.30', result: undefined, missing: 'skipped (--no-swift)' };
  if (args.swift && !interrupted) {
    if (args.swiftUrl) {
      swift = await bench('Swift', args.swiftUrl, args.swiftData ?? tmpdir(),
        ['swift-proxy-server', 'swift-object-server', 'swift-container-server', 'swift-account-server'], args.forwarded);
    } else {
      const ref = await startReference();
      if (typeof ref === 'string') {
        swift = { name: 'Swift 2.30', result: undefined, missing: ref };
        log(`no Swift comparison: ${ref}`);
      } else {
        if (ref.startedHere && !args.keepSwift) {
          stopReference = async () => {
            log('stopping the reference Swift cluster');
            await runCommand('bash', [REF_STOP], REF_STOP_TIMEOUT_MS, 'pipe');
          };
        }
        try {
          if (!interrupted) {
            // Its daemons all name a config file under CONFIG_DIR; memcached is part of it too.
            swift = await bench('Swift 2.30', ref.authUrl, ref.devicesDir, [`${ref.configDir}/`, 'memcached -l 127.0.1.1'], args.forwarded);
          }
        } finally {
          await stopReference?.();
        }
      }
    }
  }

  const p = (stowage.result ?? swift.result)?.params;
  console.log('');
  console.log('=== Stowage vs OpenStack Swift 2.30 (Debian packages), same cluster shape, same load ===');
  if (p) {
    console.log(`${p.smallCount} small objects of ${p.smallSizeBytes} B at concurrency ${p.concurrency}; ` +
      `${p.largeCount} large objects of ${(p.largeSizeBytes / 1024 ** 2).toFixed(0)} MiB, ${p.largeConcurrency} at a time` +
      (p.warmupCount ? `; each run after a warm-up of ${p.warmupCount} small objects (not measured)` : ''));
  }
  console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
    'load generator and cluster share the CPUs');
  for (const s of [stowage, swift]) if (!s.result) console.log(`${s.name}: no figures: ${s.missing}`);
  console.log('');
  console.log(table(stowage, swift));
  console.log('');
  console.log(cpuTable(stowage, swift, 'Swift/Stowage'));
  console.log('  (user + system CPU time of every cluster process over the phase, from /proc/<pid>/stat; backend = storage servers and the rest,');
  console.log('   e.g. memcached; Swift/Stowage = how many times less CPU Stowage spends per operation; load gen = the generator\'s own, Stowage / Swift)');
  console.log('');
  console.log('peak RSS (VmHWM) per process:');
  for (const line of [...processList(stowage), ...processList(swift)]) console.log(line);
  if (args.stowage && args.s3) {
    console.log('');
    console.log("=== Stowage's S3 API (SigV4) vs its Swift API, same cluster, same run ===");
    if (!stowageS3.result) console.log(`${stowageS3.name}: no figures: ${stowageS3.missing}`);
    console.log(apiTable(stowageS3, stowage));
    console.log('');
    console.log(cpuTable(stowageS3, stowage, 'Swift API/S3'));
  }
  const warnings = [stowage, stowageS3, swift].flatMap((s) => (s.result?.warnings ?? []).map((w) => `${s.name}: ${w}`));
  for (const w of warnings) console.log(`WARNING: ${w}`);
  if (args.jsonPath) writeFileSync(args.jsonPath, `${JSON.stringify({ stowage: stowage.result, stowageS3: stowageS3.result, swift: swift.result }, null, 2)}\n`);
  process.exit(interrupted ? 130 : stowage.result || swift.result ? 0 : 1);
}

await main();
