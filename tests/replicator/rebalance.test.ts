// Live rebalance: a fifth node joins, the object ring is rebalanced and rewritten while a
// steady read/write load runs through the proxy; replication moves every reassigned
// partition to its new primary and drains the old copies. No request fails, the bytes
// moved stay within 1.2x of the ideal, and the dispersion report says 100%.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, TestCluster } from '../proxy/harness.js';
import { forEachLimited, hashDirsOf, headReplicas, misplacedCopies, replicateUntilQuiet, type ReplicatorFigures } from './helpers.js';

const STOWAGE = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));
let cluster: TestCluster;
let session: Session;

before(async () => {
  cluster = await TestCluster.start({ nodes: 4, partPower: 6 });
  session = await Session.login(cluster);
  assert.equal((await session.request('PUT', '/data')).status, 201);
});

after(async () => {
  await cluster?.stop();
});

interface Dispersion {
  object: { queried: number; expected: number; found: number; percent: number; missing: string[] };
  container: { percent: number };
}

/** Runs bin/stowage without blocking the event loop (a blocked loop would hand fetch() sockets the proxy already closed). */
async function stowage(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [STOWAGE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { status, stdout, stderr };
}

async function dispersion(command: 'populate' | 'report', extra: string[] = []): Promise<Record<string, unknown>> {
  const r = await stowage(['dispersion', command, '--config', cluster.configPath, '--auth-url', `${cluster.url}/auth/v1.0`, '--json', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
}

/** Bytes of the object files on a node that belong to objects named in `names`. */
function bytesOfObjects(devicesDir: string, account: string, names: Set<string>): number {
  let total = 0;
  for (const { device, part, hash } of hashDirsOf(devicesDir)) {
    const dir = join(devicesDir, device, 'objects', String(part), hash.slice(-3), hash);
    for (const file of readdirSync(dir)) {
      const path = join(dir, file);
      const tail = readTail(path);
      const name = /"name":"\/[^/]+\/[^/]+\/([^"]+)"/.exec(tail)?.[1];
      if (name && names.has(name) && tail.includes(`/${account}/`)) total += statSync(path).size;
    }
  }
  return total;
}

function readTail(path: string): string {
  const size = statSync(path).size;
  const buf = Buffer.alloc(Math.min(size, 2048));
  const fd = openSync(path, 'r');
  readSync(fd, buf, 0, buf.length, size - buf.length);
  closeSync(fd);
  return buf.toString('latin1');
}

test('dispersion tool: refuses bad arguments and reports before populate', async () => {
  const bad = await stowage(['dispersion', 'report', '--coverage', '0', '--config', cluster.configPath]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--coverage/);
  const early = await stowage(['dispersion', 'report', '--config', cluster.configPath, '--auth-url', `${cluster.url}/auth/v1.0`]);
  assert.equal(early.status, 1);
  assert.match(early.stderr, /populate/);
});

test('a fifth node joins under load: no request fails, objects move to their new primaries, bytes within 1.2x ideal, dispersion 100%', async () => {
  const populated = (await dispersion('populate', ['--coverage', '100']));
  assert.equal(populated.objects, 64);
  const before = (await dispersion('report')) as unknown as Dispersion;
  assert.equal(before.object.percent, 100);
  assert.equal(before.container.percent, 100);

  const names = Array.from({ length: 300 }, (_, i) => `d-${i}`);
  await forEachLimited(names, 8, async (name) => {
    assert.equal((await session.request('PUT', `/data/${name}`, { body: Buffer.alloc(8192, name) })).status, 201);
  });

  // Steady load: reads of known objects and new writes, until told to stop.
  const failures: string[] = [];
  let requests = 0;
  let stop = false;
  const written: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const read = names[(i * 7 + w) % names.length]!;
      const got = await session.request('GET', `/data/${read}`);
      requests++;
      if (got.status !== 200 || got.body.length !== 8192) failures.push(`GET ${read}: ${got.status}`);
      const name = `load-${w}-${i}`;
      const put = await session.request('PUT', `/data/${name}`, { body: `load ${name}` });
      requests++;
      if (put.status !== 201) failures.push(`PUT ${name}: ${put.status}`);
      else written.push(name);
    }
  };
  const load = Promise.all([0, 1, 2].map(worker));

  const newIndex = await cluster.addNode(['object']);
  const ringWrittenAt = Date.now();
  const ring = await cluster.ring('object');
  assert.equal(ring.devices.filter(Boolean).length, 5);
  const during = (await dispersion('report')) as unknown as Dispersion;
  assert.ok(during.object.percent < 100, `right after the ring changed, copies are not yet where it says (${during.object.percent}%)`);

  const rounds: ReplicatorFigures[] = [];
  try {
    rounds.push(...(await replicateUntilQuiet(cluster, 4).catch(() => [])));
    // The proxy picks up the new ring within its reload interval; let it, then stop the load.
    await new Promise((r) => setTimeout(r, Math.max(0, 16_000 - (Date.now() - ringWrittenAt))));
  } finally {
    stop = true;
    await load;
  }
  rounds.push(...(await replicateUntilQuiet(cluster)));
  assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed during the rebalance`);
  assert.ok(requests > 50, `the load ran (${requests} requests)`);

  assert.deepEqual(misplacedCopies(cluster, ring), [], 'no copy left off its primaries');
  await forEachLimited([...names, ...written], 8, async (name) => {
    const replicas = await headReplicas(ring, session.account, 'data', name);
    assert.deepEqual(replicas.map((r) => r.status), [200, 200, 200], `${name}: ${JSON.stringify(replicas)}`);
  });

  const moved = rounds.reduce((n, r) => n + r.bytesMoved, 0);
  const allNames = new Set([...names, ...written, ...Array.from({ length: 64 * 200 }, (_, i) => `dispersion_${i}`)]);
  const ideal = bytesOfObjects(cluster.nodes[newIndex - 1]!.devicesDir, session.account, allNames);
  assert.ok(ideal > 0);
  assert.ok(moved <= 1.2 * ideal, `moved ${moved} bytes; ideal ${ideal} (ratio ${(moved / ideal).toFixed(3)})`);
  process.stdout.write(`# rebalance: moved ${moved} bytes, ideal ${ideal}, ratio ${(moved / ideal).toFixed(3)}\n`);

  const final = (await dispersion('report')) as unknown as Dispersion;
  assert.equal(final.object.percent, 100, JSON.stringify(final.object.missing));
  assert.equal(final.container.percent, 100);
});
