// The background daemons with two storage policies: objects of a container in policy 1
// live in objects-1/ on the primaries of the object-1 ring, and the replicator (handoffs
// included), the updater (async_pending-1/), the auditor (quarantined/objects-1/) and the
// expirer each handle them there, with that ring, never mixing them with policy 0's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPathHasher, type PathHasher } from '../../common/path-hash.js';
import type { Ring } from '../../ring-builder/index.js';
import { HASH_SECRETS, Session, TestCluster } from '../proxy/harness.js';
import { runEverywhere } from './db-helpers.js';
import { replicateUntilQuiet, runOnce } from './helpers.js';

let cluster: TestCluster;
let session: Session;
let hasher: PathHasher;
let ring1: Ring;

before(async () => {
  cluster = await TestCluster.start({ policies: [{ index: 0, name: 'gold', default: true }, { index: 1, name: 'silver' }] });
  session = await Session.login(cluster);
  hasher = await createPathHasher(HASH_SECRETS);
  ring1 = await cluster.ring('object-1');
  assert.equal((await session.request('PUT', '/silver', { headers: { 'x-storage-policy': 'silver' } })).status, 201);
});

after(async () => {
  await cluster?.stop();
});

/** The hash directory of an object of /silver on one node, in one of the policy directories. */
function hashDir(nodeIndex: number, dir: 'objects' | 'objects-1', object: string): string {
  const node = cluster.nodes[nodeIndex - 1]!;
  const { part } = ring1.getNodes(session.account, 'silver', object);
  const hash = hasher.hashHex({ account: session.account, container: 'silver', object });
  return join(node.devicesDir, node.device, dir, String(part), hash.slice(-3), hash);
}

/** The nodes (1-based) holding a .data of the object in `dir`. */
function holders(dir: 'objects' | 'objects-1', object: string): number[] {
  return cluster.nodes
    .filter((n) => existsSync(hashDir(n.index, dir, object)) && readdirSync(hashDir(n.index, dir, object)).some((f) => f.endsWith('.data')))
    .map((n) => n.index);
}

const primariesOf = (object: string) => ring1.getNodes(session.account, 'silver', object).nodes.map((d) => cluster.nodeOf(d)).sort();

/** The async pending files of a node in `dirName` (async_pending or async_pending-1). */
function pendings(nodeIndex: number, dirName: string): string[] {
  const node = cluster.nodes[nodeIndex - 1]!;
  const root = join(node.devicesDir, node.device, dirName);
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((suffix) => readdirSync(join(root, suffix)).map((f) => join(root, suffix, f)));
}

async function until(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return check();
}

test('replicator: a policy-1 object written to a handoff ends on the object-1 primaries, in objects-1/ only', async () => {
  const object = 'handed-off';
  const primaries = primariesOf(object);
  await cluster.stopNode(primaries[0]!);
  assert.equal((await session.request('PUT', `/silver/${object}`, { body: 'policy one' })).status, 201);
  await cluster.startNode(primaries[0]!);
  await cluster.restartProxy(); // it error-limited the stopped node; the next tests write to every primary
  const handoffs = holders('objects-1', object).filter((n) => !primaries.includes(n));
  assert.equal(handoffs.length, 1, 'a handoff node took the missing primary\'s copy, in objects-1/');
  assert.deepEqual(holders('objects', object), [], 'nothing in policy 0\'s directory');

  await replicateUntilQuiet(cluster);
  assert.deepEqual(holders('objects-1', object), primaries, 'every primary of object-1 has it, the handoff gave its copy up');
  assert.deepEqual(holders('objects', object), []);
  assert.equal((await session.request('GET', `/silver/${object}`)).text, 'policy one');
});

test('updater: container updates missed for policy-1 objects wait in async_pending-1/ and are delivered from there', async () => {
  assert.equal((await session.request('PUT', '/silver-updates', { headers: { 'x-storage-policy': 'silver' } })).status, 201);
  const containerRing = await cluster.ring('container');
  const { part, nodes } = containerRing.getNodes(session.account, 'silver-updates');
  const down = cluster.nodeOf(nodes[0]!);
  await cluster.stopNode(down);
  for (let i = 0; i < 6; i++) assert.equal((await session.request('PUT', `/silver-updates/o${i}`, { body: `body ${i}` })).status, 201);
  const waiting = cluster.nodes.flatMap((n) => pendings(n.index, 'async_pending-1'));
  assert.ok(waiting.length > 0, 'the object servers saved the failed updates in async_pending-1/');
  assert.deepEqual(cluster.nodes.flatMap((n) => pendings(n.index, 'async_pending')), [], 'none in policy 0\'s async_pending/');

  await cluster.startNode(down);
  await cluster.restartProxy();
  const stats = await runEverywhere(cluster, 'updater');
  assert.equal(stats.delivered, waiting.length);
  assert.deepEqual(cluster.nodes.flatMap((n) => pendings(n.index, 'async_pending-1')), []);
  const node = cluster.nodes[down - 1]!;
  const res = await fetch(`http://${node.ip}:${node.ports.container}/${node.device}/${part}/${session.account}/silver-updates?format=json`);
  assert.equal(((await res.json()) as unknown[]).length, 6, 'the container server that was down lists every object');
});

test('auditor: a corrupt policy-1 copy goes to quarantined/objects-1/, and replication restores it', async () => {
  const object = 'audited';
  assert.equal((await session.request('PUT', `/silver/${object}`, { body: 'x'.repeat(4096) })).status, 201);
  const victim = primariesOf(object)[0]!;
  const dir = hashDir(victim, 'objects-1', object);
  const data = join(dir, readdirSync(dir).find((f) => f.endsWith('.data'))!);
  const bytes = readFileSync(data);
  bytes.fill(0x79, 100, 200); // same size, wrong content
  writeFileSync(data, bytes);

  const stats = await runOnce(cluster, victim, 'auditor');
  assert.equal(stats.quarantined, 1);
  const node = cluster.nodes[victim - 1]!;
  assert.equal(readdirSync(join(node.devicesDir, node.device, 'quarantined', 'objects-1')).length, 1);
  assert.ok(!existsSync(join(node.devicesDir, node.device, 'quarantined', 'objects')), 'nothing quarantined as policy 0');
  assert.deepEqual(holders('objects-1', object), primariesOf(object).filter((n) => n !== victim));

  await replicateUntilQuiet(cluster);
  assert.deepEqual(holders('objects-1', object), primariesOf(object));
  assert.equal((await runOnce(cluster, victim, 'auditor')).quarantined, 0, 'the restored copy is good');
});

test('expirer: a policy-1 object whose X-Delete-At passed is deleted in objects-1/ and leaves the listing', async () => {
  const object = 'short-lived';
  assert.equal((await session.request('PUT', `/silver/${object}`, { body: 'bye', headers: { 'x-delete-after': '1' } })).status, 201);
  assert.ok(await until(async () => (await session.request('GET', `/silver/${object}`)).status === 404, 10_000));
  await runEverywhere(cluster, 'updater');
  const stats = await runEverywhere(cluster, 'expirer');
  assert.equal(stats.expired, 1, JSON.stringify(stats));
  assert.equal(stats.failures, 0);
  for (const n of primariesOf(object)) {
    assert.ok(readdirSync(hashDir(n, 'objects-1', object)).some((f) => f.endsWith('.ts')), `node ${n}: a tombstone in objects-1/`);
  }
  const listing = JSON.parse((await session.request('GET', '/silver?format=json')).text) as Array<{ name: string }>;
  assert.ok(!listing.some((o) => o.name === object));
});

test('container replicator: a container replica made by replication has the container\'s policy', async () => {
  const containerRing = await cluster.ring('container');
  const { part, nodes } = containerRing.getNodes(session.account, 'silver-replicated');
  const late = cluster.nodeOf(nodes[0]!);
  await cluster.stopNode(late);
  assert.equal((await session.request('PUT', '/silver-replicated', { headers: { 'x-storage-policy': 'silver' } })).status, 201);
  await cluster.startNode(late);
  await cluster.restartProxy();
  const node = cluster.nodes[late - 1]!;
  const url = `http://${node.ip}:${node.ports.container}/${node.device}/${part}/${session.account}/silver-replicated`;
  assert.equal((await fetch(url, { method: 'HEAD' })).status, 404, 'the replica that was down has no copy yet');
  await runEverywhere(cluster, 'container-replicator');
  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 204);
  assert.equal(head.headers.get('x-backend-storage-policy-index'), '1');
});
