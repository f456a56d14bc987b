// npm run bench:replication — the object replicator on four storage nodes (part power 10,
// 3 replicas, as the local cluster) holding 100,000 objects (BENCH_OBJECTS to change):
//   1. a first pass, computing every suffix hash from the files;
//   2. a full pass when nothing differs (suffix hashes cached: the figure that matters);
//   3. one node of four emptied: objects per second restored by the others' passes;
//   4. a fifth node added and the ring rebalanced: bytes moved against the ideal.
// The objects are written straight into the nodes' device directories with the storage
// node's own file format code (locateObject + encodeTrailer, no fsync) instead of through
// the proxy: creating 300,000 replicas over HTTP would take far longer than the passes
// being measured. Passes run in this process (runObjectReplicatorPass, as `stowage
// replicator --once` does), all nodes at once, as their daemons would; the storage nodes
// are real processes answering REPLICATE and the pushes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import pino from 'pino';
import { createPathHasher, type PathHasher } from '../common/path-hash.js';
import { Timestamp } from '../common/timestamp.js';
import { RingBuilder, Ring, writeRingFile } from '../ring-builder/index.js';
import { loadStorageConfig } from '../storage-node/index.js';
import { encodeTrailer, locateObject } from '../storage-node/object/index.js';
import { createDaemonContext } from '../replicator/context.js';
import { runObjectReplicatorPass, type ObjectReplicatorStats } from '../replicator/object-replicator.js';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 100_000);
const PART_POWER = 10;
const BODY_BYTES = 256;
const STORAGE_NODE = fileURLToPath(new URL('../storage-node/main.js', import.meta.url));
const SECRETS = { hashPrefix: 'bench-prefix', hashSuffix: 'bench-suffix' };

const say = (msg: string) => process.stderr.write(`${msg}\n`);

interface Node {
  index: number;
  ip: string;
  device: string;
  devicesDir: string;
  port: number;
  child: ChildProcess | null;
}

const work = mkdtempSync(join(tmpdir(), 'stowage-bench-replication-'));
const ringDir = join(work, 'rings');
const configPath = join(work, 'stowage.json');
const nodes: Node[] = [];
let builder: RingBuilder;

async function startNode(node: Node): Promise<void> {
  const args = [STORAGE_NODE, '--config', configPath, '--devices', node.devicesDir, '--bind-ip', node.ip, '--object-port', String(node.port), '--container-port', '0', '--account-port', '0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; object: string };
      if (event.event === 'listening') resolve(event.object);
    });
    child.once('exit', (code) => reject(new Error(`storage node ${node.index} exited with ${code}`)));
  });
  node.port = Number(new URL(url).port);
  node.child = child;
}

async function stopNode(node: Node): Promise<void> {
  const child = node.child;
  if (!child) return;
  node.child = null;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

function addNode(): Node {
  const index = nodes.length + 1;
  const node: Node = { index, ip: `127.0.0.${index}`, device: `sdb${index}`, devicesDir: join(work, `node${index}`), port: 0, child: null };
  mkdirSync(join(node.devicesDir, node.device), { recursive: true });
  nodes.push(node);
  return node;
}

const addToBuilder = (node: Node) =>
  builder.addDevice({ region: 1, zone: node.index, ip: node.ip, port: node.port, replication_ip: node.ip, replication_port: node.port, device: node.device, weight: 100, meta: '' });

/** Writes every object's replica files straight into its primaries' device directories. */
async function createObjects(ring: Ring, hasher: PathHasher): Promise<void> {
  const queue = new PQueue({ concurrency: 64 });
  const started = Date.now();
  const timestamp = Timestamp.now();
  for (let i = 0; i < OBJECTS; i++) {
    const path = { account: 'AUTH_bench', container: 'c', object: `o-${i}` };
    const body = Buffer.alloc(BODY_BYTES, `object ${i} `);
    const metadata = {
      name: `/${path.account}/${path.container}/${path.object}`,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(BODY_BYTES),
      ETag: createHash('md5').update(body).digest('hex'),
      'X-Timestamp': timestamp.internal,
    };
    const file = Buffer.concat([body, encodeTrailer(metadata)]);
    const hash = hasher.hashHex(path);
    const { part, nodes: primaries } = ring.getNodes(path.account, path.container, path.object);
    for (const d of primaries) {
      const node = nodes.find((n) => n.device === d.device)!;
      const device = { name: d.device, root: join(node.devicesDir, d.device) } as Parameters<typeof locateObject>[0];
      const location = locateObject({ ...device, objects: join(device.root, 'objects') }, String(part), hash, metadata.name);
      await queue.onSizeLessThan(256);
      void queue.add(async () => {
        await mkdir(location.dir, { recursive: true });
        await writeFile(join(location.dir, `${timestamp.internal}.data`), file);
      });
    }
    if (i > 0 && i % 20_000 === 0) say(`  ${i} objects written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await queue.onIdle();
}

/** One replicator pass on each of `which` at the same time; wall seconds and summed figures. */
async function passAll(which: Node[], hasher: PathHasher): Promise<{ seconds: number; sum: ObjectReplicatorStats; perNode: number[] }> {
  const started = Date.now();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const results = await Promise.all(
    which.map((node) => {
      const config = loadStorageConfig(['--config', configPath, '--devices', node.devicesDir, '--bind-ip', node.ip]);
      return runObjectReplicatorPass(createDaemonContext(config, hasher, log));
    }),
  );
  const sum: ObjectReplicatorStats = { partitionsChecked: 0, suffixesSynced: 0, objectsPushed: 0, bytesMoved: 0, handoffsRemoved: 0, failures: 0, tmpRemoved: 0, seconds: 0 };
  for (const r of results) for (const k of Object.keys(sum) as Array<keyof ObjectReplicatorStats>) sum[k] += r[k];
  return { seconds: (Date.now() - started) / 1000, sum, perNode: results.map((r) => r.seconds) };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.name.endsWith('.data') || entry.name.endsWith('.ts') || entry.name.endsWith('.meta')) total += statSync(path).size;
  }
  return total;
}

async function main(): Promise<void> {
  mkdirSync(ringDir, { recursive: true });
  writeFileSync(configPath, JSON.stringify({ hash_path_prefix: SECRETS.hashPrefix, hash_path_suffix: SECRETS.hashSuffix, ring_dir: ringDir, storage: { daemon_interval: 0, log_level: 'warn' } }));
  const hasher = await createPathHasher(SECRETS);
  for (let i = 0; i < 4; i++) addNode();
  await Promise.all(nodes.map(startNode));
  builder = RingBuilder.create(PART_POWER, 3, 0);
  nodes.forEach(addToBuilder);
  builder.rebalance({ seed: 1 });
  await writeRingFile(join(ringDir, 'object.ring'), builder.ringData());
  const ring = await Ring.load(join(ringDir, 'object.ring'), SECRETS);

  say(`writing ${OBJECTS} objects x 3 replicas on 4 nodes (part power ${PART_POWER})...`);
  let t = Date.now();
  await createObjects(ring, hasher);
  say(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const figures: Array<[string, string]> = [];
  say('pass 1: suffix hashes computed from the files...');
  const first = await passAll(nodes, hasher);
  figures.push(['first pass (every suffix hashed from disk), all 4 nodes at once', `${first.seconds.toFixed(2)} s`]);

  say('pass 2: nothing differs...');
  const quiet = await passAll(nodes, hasher);
  figures.push([`full pass over ${OBJECTS} objects, nothing differs, all 4 nodes at once`, `${quiet.seconds.toFixed(2)} s (slowest node ${Math.max(...quiet.perNode).toFixed(2)} s; target < 10 s)`]);
  figures.push(['  partitions checked / objects pushed', `${quiet.sum.partitionsChecked} / ${quiet.sum.objectsPushed}`]);

  say('node 4 emptied; passes on the other three...');
  const empty = nodes[3]!;
  await stopNode(empty);
  rmSync(join(empty.devicesDir, empty.device), { recursive: true, force: true });
  mkdirSync(join(empty.devicesDir, empty.device));
  await startNode(empty);
  t = Date.now();
  const restore = await passAll(nodes.slice(0, 3), hasher);
  figures.push(['one node of four empty: objects restored', `${restore.sum.objectsPushed} in ${restore.seconds.toFixed(2)} s = ${(restore.sum.objectsPushed / restore.seconds).toFixed(0)} objects/s (${(restore.sum.bytesMoved / 2 ** 20 / restore.seconds).toFixed(1)} MiB/s)`]);

  say('a fifth node added, ring rebalanced; passes until nothing moves...');
  const fifth = addNode();
  await startNode(fifth);
  addToBuilder(fifth);
  builder.rebalance({ seed: 2 });
  await writeRingFile(join(ringDir, 'object.ring'), builder.ringData());
  let moved = 0;
  let pushed = 0;
  t = Date.now();
  for (let round = 1; round <= 5; round++) {
    const r = await passAll(nodes, hasher);
    moved += r.sum.bytesMoved;
    pushed += r.sum.objectsPushed;
    if (r.sum.objectsPushed === 0 && r.sum.handoffsRemoved === 0) break;
  }
  const ideal = bytesUnder(join(fifth.devicesDir, fifth.device));
  figures.push(['rebalance 4 -> 5 nodes: bytes moved / ideal (bytes the new node holds)', `${moved} / ${ideal} = ${(moved / ideal).toFixed(3)}x (${pushed} files, ${((Date.now() - t) / 1000).toFixed(1)} s)`]);

  console.log('\nObject replication benchmark');
  for (const [what, value] of figures) console.log(`  ${what.padEnd(76)} ${value}`);
}

try {
  await main();
} finally {
  await Promise.all(nodes.map(stopNode));
  rmSync(work, { recursive: true, force: true });
}
