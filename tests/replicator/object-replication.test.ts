// Object replication as an operator sees it: writes made while a node was down reach it
// once it is back and the replicator ran (`stowage replicator --once` on every node),
// deletes stay deleted, handoff copies go away; racing writers through two proxies end
// with one newest version on every replica.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ring } from '../../ring-builder/index.js';
import { Session, TestCluster } from '../proxy/harness.js';
import { forEachLimited, headReplicas, misplacedCopies, replicateUntilQuiet, runOnce } from './helpers.js';

let cluster: TestCluster;
let session: Session;
let ring: Ring;

before(async () => {
  cluster = await TestCluster.start({ nodes: 4, partPower: 6 });
  session = await Session.login(cluster);
  ring = await cluster.ring('object');
  assert.equal((await session.request('PUT', '/c')).status, 201);
});

after(async () => {
  await cluster?.stop();
});

const names = Array.from({ length: 1000 }, (_, i) => `obj-${String(i).padStart(4, '0')}`);

test('a node down during 1,000 writes, 100 overwrites and 100 deletes converges after replication', async () => {
  await cluster.stopNode(2);
  await forEachLimited(names, 8, async (name) => {
    const res = await session.request('PUT', `/c/${name}`, { body: `v1 of ${name}` });
    assert.equal(res.status, 201, `PUT ${name}: ${res.text}`);
  });
  await forEachLimited(names.slice(0, 100), 8, async (name) => {
    assert.equal((await session.request('PUT', `/c/${name}`, { body: `v2 of ${name}, longer` })).status, 201);
  });
  await forEachLimited(names.slice(100, 200), 8, async (name) => {
    assert.equal((await session.request('DELETE', `/c/${name}`)).status, 204);
  });
  assert.ok(misplacedCopies(cluster, ring).length > 0, 'handoffs took the writes meant for the stopped node');
  await cluster.startNode(2);

  const rounds = await replicateUntilQuiet(cluster);
  assert.ok(rounds[0]!.objectsPushed > 0, `the first round pushed what node 2 missed: ${JSON.stringify(rounds)}`);
  assert.ok(rounds[0]!.handoffsRemoved > 0);

  // Every primary holds the newest version; deleted objects are tombstones everywhere.
  await forEachLimited(names, 8, async (name) => {
    const i = Number(name.slice(4));
    const replicas = await headReplicas(ring, session.account, 'c', name);
    const timestamps = new Set(replicas.map((r) => r.timestamp));
    assert.equal(timestamps.size, 1, `${name}: replicas disagree: ${JSON.stringify(replicas)}`);
    if (i >= 100 && i < 200) {
      assert.deepEqual(replicas.map((r) => r.status), [404, 404, 404], `${name} was deleted`);
      assert.notEqual(replicas[0]!.timestamp, null, `${name}: a tombstone, not nothing`);
    } else {
      assert.deepEqual(replicas.map((r) => r.status), [200, 200, 200], name);
    }
  });
  for (const name of names.slice(0, 300)) {
    const i = Number(name.slice(4));
    const res = await session.request('GET', `/c/${name}`);
    if (i < 100) assert.equal(res.text, `v2 of ${name}, longer`);
    else if (i < 200) assert.equal(res.status, 404, `${name} must stay deleted`);
    else assert.equal(res.text, `v1 of ${name}`);
  }
  assert.deepEqual(misplacedCopies(cluster, ring), [], 'no handoff copy is left');
});

test('tombstones older than reclaim_age are reclaimed; stale tmp files are removed', async () => {
  // A pass with reclaim_age 1 s (environment override, as an operator could) drops the tombstones.
  await new Promise((r) => setTimeout(r, 1100));
  const node = cluster.nodes[0]!;
  const tmpDir = join(node.devicesDir, node.device, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  writeFileSync(join(tmpDir, 'left-by-a-crash'), 'partial body');
  utimesSync(join(tmpDir, 'left-by-a-crash'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const before = await headReplicas(ring, session.account, 'c', names[150]!);
  assert.ok(before.every((r) => r.status === 404 && r.timestamp !== null));
  for (const n of cluster.nodes) {
    process.env.STOWAGE_STORAGE_RECLAIM_AGE = '1';
    try {
      await runOnce(cluster, n.index, 'replicator');
    } finally {
      delete process.env.STOWAGE_STORAGE_RECLAIM_AGE;
    }
  }
  const afterReclaim = await headReplicas(ring, session.account, 'c', names[150]!);
  assert.deepEqual(afterReclaim.map((r) => [r.status, r.timestamp]), [[404, null], [404, null], [404, null]]);
  assert.equal(existsSync(join(tmpDir, 'left-by-a-crash')), false);
});

test('two writers racing through two proxies leave every replica with the same newest timestamp', async () => {
  const other = await cluster.startExtraProxy();
  try {
    const { part, nodes } = ring.getNodes(session.account, 'c', 'raced');
    assert.ok(part >= 0);
    // One primary misses the first half of the race, so the replicas really diverge.
    const late = cluster.nodeOf(nodes[0]!);
    await cluster.stopNode(late);
    const put = (url: string, body: string) =>
      fetch(`${url}/v1/${session.account}/c/raced`, { method: 'PUT', headers: { 'x-auth-token': session.token }, body });
    const race = async (rounds: number, tag: string) => {
      for (let i = 0; i < rounds; i++) {
        const [a, b] = await Promise.all([put(cluster.url, `A${tag}${i}`), put(other.url, `B${tag}${i}`)]);
        assert.ok([201, 202].includes(a.status) || a.status === 409, `A: ${a.status}`);
        assert.ok([201, 202].includes(b.status) || b.status === 409, `B: ${b.status}`);
      }
    };
    await race(10, 'x');
    await cluster.startNode(late);
    await race(10, 'y');
    await replicateUntilQuiet(cluster);
    const replicas = await headReplicas(ring, session.account, 'c', 'raced');
    assert.deepEqual(replicas.map((r) => r.status), [200, 200, 200]);
    assert.equal(new Set(replicas.map((r) => r.timestamp)).size, 1, JSON.stringify(replicas));
    const newest = await session.request('GET', '/c/raced', { headers: { 'x-newest': 'true' } });
    assert.match(newest.text, /^[AB]y\d$/);
    assert.equal(newest.headers.get('x-timestamp')?.replace('.', ''), replicas[0]!.timestamp!.replace('.', ''));
  } finally {
    await other.stop();
  }
});

test('REPLICATE answers suffix hashes and refuses bad input', async () => {
  const node = cluster.nodes[0]!;
  const base = `http://${node.ip}:${node.ports.object}/${node.device}`;
  const part = ring.getPart(session.account, 'c', names[300]!);
  const res = await fetch(`${base}/${part}/REPLICATE`, { method: 'POST' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { hashes: Record<string, string> };
  assert.equal(typeof body.hashes, 'object');
  for (const [suffix, hash] of Object.entries(body.hashes)) {
    assert.match(suffix, /^[0-9a-f]{3}$/);
    assert.match(hash, /^[0-9a-f]{32}$/);
  }
  const bad = await fetch(`${base}/${part}/REPLICATE`, { method: 'POST', body: '{"list": ["zz"]}' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /suffixes/);
  const noDevice = await fetch(`http://${node.ip}:${node.ports.object}/nosuchdev/${part}/REPLICATE`, { method: 'POST' });
  assert.equal(noDevice.status, 507);
  // A replicated file whose body does not match its metadata is refused.
  const forged = await fetch(`${base}/${part}/${session.account}/c/forged`, {
    method: 'PUT',
    headers: { 'x-backend-replication-file': '1700000000.00000.data', 'x-backend-replication-body-length': '3', 'x-timestamp': '1700000000.00000' },
    body: 'abc',
  });
  assert.equal(forged.status, 422);
});
