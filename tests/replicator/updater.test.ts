// The updater, run once as operators run it: container updates that failed while a node
// was down are delivered when it is back, and the async pendings disappear.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ring } from '../../ring-builder/index.js';
import { Session, TestCluster } from '../proxy/harness.js';

const STOWAGE = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));
let cluster: TestCluster;
let session: Session;

function pendingFiles(devicesDir: string): string[] {
  const out: string[] = [];
  for (const device of readdirSync(devicesDir)) {
    const root = join(devicesDir, device, 'async_pending');
    if (!existsSync(root)) continue;
    for (const suffix of readdirSync(root)) for (const f of readdirSync(join(root, suffix))) out.push(join(root, suffix, f));
  }
  return out;
}

function runUpdater(devicesDir: string) {
  const r = spawnSync(process.execPath, [STOWAGE, 'updater', '--once', '--config', cluster.configPath, '--devices', devicesDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { found: number; delivered: number; stillPending: number; unreadable: number };
}

before(async () => {
  cluster = await TestCluster.start();
  session = await Session.login(cluster);
  assert.equal((await session.request('PUT', '/docs')).status, 201);
});

after(async () => {
  await cluster?.stop();
});

test('updates missed by a stopped container server are delivered by the updater', async () => {
  const secrets = JSON.parse(readFileSync(cluster.configPath, 'utf8'));
  const containerRing = await Ring.load(join(cluster.ringDir, 'container.ring'), {
    hashPrefix: secrets.hash_path_prefix,
    hashSuffix: secrets.hash_path_suffix,
  });
  const { part, nodes } = containerRing.getNodes(session.account, 'docs');
  const down = cluster.nodes.find((n) => n.ip === nodes[0]!.ip)!;
  await cluster.stopNode(down.index);
  for (let i = 0; i < 20; i++) {
    assert.equal((await session.request('PUT', `/docs/file-${i}`, { body: `body ${i}` })).status, 201);
  }
  const before = cluster.nodes.flatMap((n) => pendingFiles(n.devicesDir));
  assert.ok(before.length > 0, 'the object servers saved the failed container updates');

  await cluster.startNode(down.index);
  let delivered = 0;
  for (const node of cluster.nodes) delivered += runUpdater(node.devicesDir).delivered;
  assert.equal(delivered, before.length);
  assert.deepEqual(cluster.nodes.flatMap((n) => pendingFiles(n.devicesDir)), []);

  // The container server that was down now lists every object.
  const res = await fetch(`http://${down.ip}:${down.ports.container}/${down.device}/${part}/${session.account}/docs?format=json`);
  const rows = (await res.json()) as Array<{ name: string }>;
  assert.equal(rows.length, 20);
});

test('a damaged async pending is moved aside, not retried forever', () => {
  const node = cluster.nodes[0]!;
  const dir = join(node.devicesDir, node.device, 'async_pending', 'abc');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '0123456789abcabc-1700000000.00000'), '{not json');
  const stats = runUpdater(node.devicesDir);
  assert.equal(stats.unreadable, 1);
  assert.deepEqual(pendingFiles(node.devicesDir), []);
  assert.ok(existsSync(join(node.devicesDir, node.device, 'quarantined', 'async_pending', '0123456789abcabc-1700000000.00000')));
});
