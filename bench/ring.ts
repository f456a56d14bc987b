// npm run bench:ring — part power 18, 3 replicas, 100 devices over 5 zones in 2 regions:
// rebalance time, peak RSS, getNodes lookups per second, balance and dispersion. Where
// Debian's swift-ring-builder is installed, the identical device set is built with it too
// and both are printed side by side (CLI against CLI, each a fresh process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RingBuilder, Ring, writeRingFile } from '../ring-builder/index.js';

const PART_POWER = Number(process.env.BENCH_PART_POWER ?? 18);
const DEVICES = 100;
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 1_000_000);
const SEED = 1;
const OUR_CLI = fileURLToPath(new URL('../../bin/ring-builder', import.meta.url));

interface DeviceSpec {
  spec: string;
  weight: number;
}

/** 100 devices: zones 1-2 in region 1, zones 3-5 in region 2, 10 hosts per zone, mixed weights. */
function deviceSet(): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const zone = (i % 5) + 1;
    const region = zone <= 2 ? 1 : 2;
    const host = Math.floor(i / 5) % 10;
    const disk = Math.floor(i / 50);
    out.push({ spec: `r${region}z${zone}-10.${region}.${zone}.${host}:6200/sd${String.fromCharCode(98 + disk)}`, weight: [100, 200, 300][i % 3]! });
  }
  return out;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

interface CliRun {
  seconds: number;
  peakRssMb: number;
  balance: number;
  dispersion: number;
}

/** Runs a command under python's getrusage so the child's peak RSS is known. */
function timed(cmd: string, args: string[], cwd: string): { seconds: number; peakRssMb: number; stdout: string } {
  const wrapper =
    'import resource,subprocess,sys,time\n' +
    't=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);d=time.perf_counter()-t\n' +
    'sys.stdout.write(p.stdout);sys.stderr.write(p.stderr)\n' +
    'print("BENCH %f %d" % (d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), file=sys.stderr)\n' +
    'sys.exit(0 if p.returncode in (0, 1) else p.returncode)';
  const r = spawnSync('python3', ['-c', wrapper, cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const m = /BENCH ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return { seconds: Number(m[1]), peakRssMb: Number(m[2]) / 1024, stdout: r.stdout };
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** create, add every device, rebalance --seed: the same steps for either tool. */
function buildWithCli(name: string, cmd: string, prefix: string[], dir: string): CliRun {
  const builder = join(dir, 'object.builder');
  timed(cmd, [...prefix, builder, 'create', String(PART_POWER), '3', '1'], dir);
  timed(cmd, [...prefix, builder, 'add', ...deviceSet().flatMap((d) => [d.spec, String(d.weight)])], dir);
  log(`[${name}] rebalancing part power ${PART_POWER} over ${DEVICES} devices…`);
  const run = timed(cmd, [...prefix, builder, 'rebalance', '--seed', String(SEED)], dir);
  const m = /Balance is now ([\d.]+)\.\s+Dispersion is now ([\d.]+)/.exec(run.stdout);
  if (!m) throw new Error(`${name}: unexpected rebalance output: ${run.stdout}`);
  return { seconds: run.seconds, peakRssMb: run.peakRssMb, balance: Number(m[1]), dispersion: Number(m[2]) };
}

async function inProcess(dir: string) {
  const builder = RingBuilder.create(PART_POWER, 3, 1);
  for (const d of deviceSet()) {
    const m = /^r(\d+)z(\d+)-([\d.]+):(\d+)\/(\w+)$/.exec(d.spec)!;
    builder.addDevice({
      region: Number(m[1]), zone: Number(m[2]), ip: m[3]!, port: Number(m[4]),
      replication_ip: m[3]!, replication_port: Number(m[4]), device: m[5]!, weight: d.weight, meta: '',
    });
  }
  const t0 = process.hrtime.bigint();
  const result = builder.rebalance({ seed: SEED });
  const rebalanceSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ringPath = join(dir, 'inproc.ring');
  await writeRingFile(ringPath, builder.ringData());

  const t1 = process.hrtime.bigint();
  const ring = await Ring.load(ringPath, { hashPrefix: 'bench', hashSuffix: 'bench' });
  const loadMs = Number(process.hrtime.bigint() - t1) / 1e6;

  const names = Array.from({ length: 4096 }, (_, i) => `object-${i}-${Math.random().toString(36).slice(2)}`);
  log(`[stowage] timing getNodes on ${LOOKUPS} paths…`);
  let checksum = 0;
  const t2 = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) {
    const { nodes } = ring.getNodes('AUTH_bench', `c${i & 63}`, names[i & 4095]! + i);
    checksum += nodes.length;
    if (i % 250_000 === 0 && i) log(`  ${i} lookups`);
  }
  const lookupSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
  if (checksum !== LOOKUPS * 3) throw new Error('a lookup returned fewer than 3 nodes');
  return { rebalanceSeconds, result, loadMs, lookupsPerSecond: LOOKUPS / lookupSeconds };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ring-'));
  try {
    const ours = await inProcess(dir);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(`ring benchmark: part power ${PART_POWER}, 3 replicas, ${DEVICES} devices, 5 zones, 2 regions`);
    console.log(`stowage (in process): rebalance ${ours.rebalanceSeconds.toFixed(3)} s, balance ${ours.result.balance.toFixed(2)}, dispersion ${ours.result.dispersion.toFixed(2)}, peak RSS ${peakRssMb.toFixed(0)} MB`);
    console.log(`stowage ring load ${ours.loadMs.toFixed(1)} ms; getNodes ${Math.round(ours.lookupsPerSecond).toLocaleString('en-US')} lookups/s`);

    const oursCli = buildWithCli('stowage', process.execPath, [OUR_CLI], join(dir));
    const rows: Array<[string, CliRun]> = [['stowage ring-builder', oursCli]];
    if (hasCommand('swift-ring-builder')) {
      const swiftDir = join(dir, 'swift');
      spawnSync('mkdir', ['-p', swiftDir]);
      rows.push(['swift-ring-builder', buildWithCli('swift', 'swift-ring-builder', [], swiftDir)]);
    } else {
      log('swift-ring-builder not installed (apt-get install swift): comparison skipped');
    }
    console.log('');
    console.log('tool                   rebalance s   peak RSS MB   balance   dispersion');
    for (const [name, r] of rows) {
      console.log(`${name.padEnd(22)} ${r.seconds.toFixed(2).padStart(11)} ${r.peakRssMb.toFixed(0).padStart(13)} ${r.balance.toFixed(2).padStart(9)} ${r.dispersion.toFixed(2).padStart(12)}`);
    }
    if (rows.length === 2) {
      const [, a] = rows[0]!;
      const [, b] = rows[1]!;
      console.log(`\nrebalance speed-up: ${(b.seconds / a.seconds).toFixed(1)}x (target >= 5x); memory ratio ${(a.peakRssMb / b.peakRssMb).toFixed(2)}`);
      console.log(`balance: ${a.balance <= b.balance ? 'equal or better' : 'WORSE'} (${a.balance} vs ${b.balance}); dispersion: ${a.dispersion <= b.dispersion ? 'equal or better' : 'WORSE'} (${a.dispersion} vs ${b.dispersion})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
