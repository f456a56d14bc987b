// Container and account replication, run once per node as an operator would: a replica
// that missed writes while its node was down catches up (rows, deletions, metadata), a
// database written to a handoff is pushed to its primary and removed, and listings and
// account stats converge after a container server was unreachable (issue 4, point 4).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, runEverywhere, runOnce } from './db-helpers.js';
import { Session, TestCluster } from '../proxy/harness.js';

let cluster: TestCluster;
let session: Session;
const MAX_PASSES = 3;

before(async () => {
  cluster = await TestCluster.start();
  session = await Session.login(cluster);
});

after(async () => {
  await cluster?.stop();
});

type Row = { name: string; bytes: number; hash: string };

async function containerReplicas(container: string) {
  const ring = await cluster.ring('container');
  const { part, nodes } = ring.getNodes(session.account, container);
  return { part, indexes: nodes.map((d) => cluster.nodeOf(d)) };
}

/** Every primary's listing of `container` (names and bytes), by node index. */
async function listings(container: string): Promise<Map<number, Row[]>> {
  const { part, indexes } = await containerReplicas(container);
  const out = new Map<number, Row[]>();
  for (const i of indexes) {
    const res = await backend(cluster, i, 'container', part, [session.account, container]);
    out.set(i, res.status === 200 ? (res.json as Row[]).map(({ name, bytes, hash }) => ({ name, bytes, hash })) : []);
  }
  return out;
}

test('replicas that took the same writes exchange no rows: their rows hashes match', async () => {
  assert.equal((await session.request('PUT', '/steady')).status, 201);
  for (let i = 0; i < 20; i++) assert.equal((await session.request('PUT', `/steady/o${i}`, { body: `body ${i}` })).status, 201);
  await runEverywhere(cluster, 'updater'); // updates that timed out on a busy machine land first
  const stats = await runEverywhere(cluster, 'container-replicator');
  assert.equal(stats.failures, 0);
  assert.equal(stats.rowsPushed, 0, JSON.stringify(stats));
  assert.ok(stats.inSync >= 6, 'each of 3 replicas found its 2 peers in sync');
});

test('a replica that missed rows, deletions and metadata while down catches up', async () => {
  assert.equal((await session.request('PUT', '/albums', { headers: { 'x-container-meta-color': 'red' } })).status, 201);
  for (let i = 0; i < 10; i++) assert.equal((await session.request('PUT', `/albums/old-${i}`, { body: `old ${i}` })).status, 201);
  const { part, indexes } = await containerReplicas('albums');
  const down = indexes[0]!;
  await cluster.stopNode(down);

  for (let i = 0; i < 20; i++) assert.equal((await session.request('PUT', `/albums/new-${i}`, { body: `new body ${i}` })).status, 201);
  for (let i = 0; i < 5; i++) assert.equal((await session.request('DELETE', `/albums/old-${i}`)).status, 204);
  assert.equal((await session.request('POST', '/albums', { headers: { 'x-container-meta-color': 'blue' } })).status, 204);

  await cluster.startNode(down);
  const stale = await backend(cluster, down, 'container', part, [session.account, 'albums']);
  assert.equal((stale.json as Row[]).length, 10, 'the restarted replica still has the old listing (no updater ran)');
  assert.equal(stale.headers.get('x-container-meta-color'), 'red');

  let passes = 0;
  for (; passes < MAX_PASSES; passes++) {
    const stats = await runEverywhere(cluster, 'container-replicator');
    assert.equal(stats.failures, 0);
    const all = [...(await listings('albums')).values()];
    if (all.every((l) => JSON.stringify(l) === JSON.stringify(all[0]))) break;
  }
  assert.ok(passes < MAX_PASSES, 'replicas converged');
  console.log(`replicas converged after ${passes + 1} container-replicator pass(es)`);
  const expected = [...Array.from({ length: 5 }, (_, i) => `old-${i + 5}`), ...Array.from({ length: 20 }, (_, i) => `new-${i}`)].sort();
  for (const [index, rows] of await listings('albums')) {
    assert.deepEqual(rows.map((r) => r.name), expected, `node ${index} lists the newest state`);
    const head = await backend(cluster, index, 'container', part, [session.account, 'albums'], 'HEAD');
    assert.equal(head.headers.get('x-container-meta-color'), 'blue', `node ${index} has the newest metadata`);
    assert.equal(head.headers.get('x-container-object-count'), '25');
  }

  // Nothing differs any more: the next pass sends no rows.
  const quiet = await runEverywhere(cluster, 'container-replicator');
  assert.equal(quiet.rowsPushed, 0);
  assert.equal(quiet.shipped, 0);
});

test('a container deletion and account metadata missed by a down replica reach it', async () => {
  assert.equal((await session.request('PUT', '/ephemeral')).status, 201);
  const { part, indexes } = await containerReplicas('ephemeral');
  const accountRing = await cluster.ring('account');
  const account = accountRing.getNodes(session.account);
  // A node that is a primary of both the container and the account, else the container's first.
  const down = indexes.find((i) => account.nodes.some((d) => cluster.nodeOf(d) === i)) ?? indexes[0]!;
  await cluster.stopNode(down);
  assert.equal((await session.request('DELETE', '/ephemeral')).status, 204);
  assert.equal((await session.request('POST', '', { headers: { 'x-account-meta-owner': 'ops team' } })).status, 204);
  await cluster.startNode(down);
  assert.equal((await backend(cluster, down, 'container', part, [session.account, 'ephemeral'], 'HEAD')).status, 204, 'stale: still there');

  await runEverywhere(cluster, 'container-replicator');
  await runEverywhere(cluster, 'account-replicator');
  for (const i of indexes) {
    assert.equal((await backend(cluster, i, 'container', part, [session.account, 'ephemeral'], 'HEAD')).status, 404, `deleted on node ${i}`);
  }
  for (const d of account.nodes) {
    const head = await backend(cluster, cluster.nodeOf(d), 'account', account.part, [session.account], 'HEAD');
    assert.equal(head.headers.get('x-account-meta-owner'), 'ops team', `account metadata on node ${cluster.nodeOf(d)}`);
  }
});

test('a container created on a handoff is pushed to its primary and removed there', async () => {
  const { part, indexes } = await containerReplicas('handoff-test');
  const down = indexes[0]!;
  await cluster.stopNode(down);
  assert.equal((await session.request('PUT', '/handoff-test', { headers: { 'x-container-meta-kind': 'handoff' } })).status, 201);
  for (let i = 0; i < 5; i++) assert.equal((await session.request('PUT', `/handoff-test/o${i}`, { body: 'x' })).status, 201);
  const handoff = cluster.nodes.map((n) => n.index).find((i) => !indexes.includes(i))!;
  const onHandoff = await backend(cluster, handoff, 'container', part, [session.account, 'handoff-test']);
  assert.equal(onHandoff.status, 200, 'the proxy wrote the container to the handoff node');
  await cluster.startNode(down);

  const stats = await runOnce(cluster, 'container-replicator', handoff);
  assert.equal(stats.failures, 0);
  assert.ok(stats.handoffsRemoved >= 1, JSON.stringify(stats));
  assert.equal((await backend(cluster, handoff, 'container', part, [session.account, 'handoff-test'])).status, 404, 'handoff copy removed');
  const primary = await backend(cluster, down, 'container', part, [session.account, 'handoff-test']);
  assert.equal(primary.status, 200);
  assert.deepEqual(primary.json, onHandoff.json, 'the primary holds what the handoff held');
  assert.equal(primary.headers.get('x-container-meta-kind'), 'handoff');
  // The rows the other primaries took while it was down reach it too (the updater first
  // delivers any container update that timed out on a loaded machine).
  await runEverywhere(cluster, 'updater');
  await runEverywhere(cluster, 'container-replicator');
  const caughtUp = await backend(cluster, down, 'container', part, [session.account, 'handoff-test']);
  const everywhere = await Promise.all(cluster.nodes.map((n) => backend(cluster, n.index, 'container', part, [session.account, 'handoff-test'])));
  assert.deepEqual((caughtUp.json as Row[]).map((r) => r.name), ['o0', 'o1', 'o2', 'o3', 'o4'], JSON.stringify({ indexes, handoff, onHandoff: onHandoff.json, everywhere: everywhere.map((e) => [e.status, e.json]) }));
});

test('listings and account stats converge after a container server was unreachable during writes (point 4)', async () => {
  assert.equal((await session.request('PUT', '/stats')).status, 201);
  const { part, indexes } = await containerReplicas('stats');
  const down = indexes[1]!;
  await cluster.stopNode(down);
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const body = `object number ${i} `.repeat(i + 1);
    bytes += Buffer.byteLength(body);
    assert.equal((await session.request('PUT', `/stats/o${i}`, { body })).status, 201);
  }
  for (let i = 0; i < 5; i++) {
    bytes -= Buffer.byteLength(`object number ${i} `.repeat(i + 1));
    assert.equal((await session.request('DELETE', `/stats/o${i}`)).status, 204);
  }
  await cluster.startNode(down);

  const accountRing = await cluster.ring('account');
  const account = accountRing.getNodes(session.account);
  const accountStats = async () => {
    const out: string[] = [];
    for (const d of account.nodes) {
      const head = await backend(cluster, cluster.nodeOf(d), 'account', account.part, [session.account], 'HEAD');
      const rows = (await backend(cluster, cluster.nodeOf(d), 'account', account.part, [session.account])).json as Array<{ name: string; count: number; bytes: number }>;
      const row = rows.find((r) => r.name === 'stats');
      out.push(`${head.headers.get('x-account-container-count')}/${row?.count}/${row?.bytes}`);
    }
    return out;
  };

  let passes = 0;
  for (; passes < MAX_PASSES; passes++) {
    await runEverywhere(cluster, 'updater');
    await runEverywhere(cluster, 'container-replicator');
    await runEverywhere(cluster, 'account-replicator');
    await runEverywhere(cluster, 'updater');
    const all = [...(await listings('stats')).values()];
    const stats = await accountStats();
    if (all.every((l) => l.length === 25) && stats.every((s) => s === `${stats[0]}` && s.endsWith(`/25/${bytes}`))) break;
  }
  assert.ok(passes < MAX_PASSES, `converged: ${JSON.stringify(await accountStats())}`);
  console.log(`point 4: converged after ${passes + 1} round(s) of updater + replicators`);
  for (const rows of (await listings('stats')).values()) assert.equal(rows.length, 25);

  // What a user sees through the proxy.
  const head = await session.request('HEAD', '/stats');
  assert.equal(head.headers.get('x-container-object-count'), '25');
  assert.equal(head.headers.get('x-container-bytes-used'), String(bytes));
  const acct = await session.request('GET', '?format=json');
  const rows = JSON.parse(acct.text) as Array<{ name: string; count: number; bytes: number }>;
  const row = rows.find((r) => r.name === 'stats');
  assert.deepEqual(row && { count: row.count, bytes: row.bytes }, { count: 25, bytes });
  assert.equal(acct.headers.get('x-account-container-count'), String(rows.length));
  assert.equal(acct.headers.get('x-account-object-count'), String(rows.reduce((n, r) => n + r.count, 0)));
  assert.equal(acct.headers.get('x-account-bytes-used'), String(rows.reduce((n, r) => n + r.bytes, 0)));
  for (const i of indexes) assert.equal((await backend(cluster, i, 'container', part, [session.account, 'stats'], 'HEAD')).headers.get('x-container-bytes-used'), String(bytes));
});

test('the replication verb refuses bad requests with a clear 400', async () => {
  const node = cluster.nodes[0]!;
  const url = `http://${node.ip}:${node.ports.container}/${node.device}/0/a/c`;
  const unknown = await fetch(url, { method: 'POST', headers: { 'x-backend-replicate': 'explode' }, body: '{}' });
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /Unknown x-backend-replicate/);
  const badJson = await fetch(url, { method: 'POST', headers: { 'x-backend-replicate': 'merge' }, body: '{nope' });
  assert.equal(badJson.status, 400);
  const badRows = await fetch(url, { method: 'POST', headers: { 'x-backend-replicate': 'merge' }, body: JSON.stringify({ id: 'x', point: 1, rows: 'no' }) });
  assert.equal(badRows.status, 400);
  const badRow = { created_at: 'yesterday', ctype_timestamp: '1', meta_timestamp: '1', size: 1, content_type: 't', etag: 'e', deleted: false };
  const badField = await fetch(url, { method: 'POST', headers: { 'x-backend-replicate': 'merge' }, body: JSON.stringify({ id: 'x', point: 1, rows: [['o', badRow]] }) });
  assert.equal(badField.status, 400);
  assert.match(await badField.text(), /created_at is not a timestamp/);
  const missing = await fetch(url, { method: 'POST', headers: { 'x-backend-replicate': 'sync' }, body: JSON.stringify({ id: 'x', info: { account: 'a', created_at: '1', put_timestamp: '1', delete_timestamp: '0', metadata: {} } }) });
  assert.equal(missing.status, 404, 'no such database here');
});

test('deleted databases and deleted rows older than reclaim_age are reclaimed', async () => {
  const { part, indexes } = await containerReplicas('doomed');
  const tenDaysAgo = Date.now() / 1000 - 10 * 86400;
  const at = (s: number) => s.toFixed(5);
  const send = async (index: number, method: string, names: string[], headers: Record<string, string>) => {
    const node = cluster.nodes[index - 1]!;
    const path = names.map(encodeURIComponent).join('/');
    const res = await fetch(`http://${node.ip}:${node.ports.container}/${node.device}/${part}/${path}`, { method, headers });
    await res.arrayBuffer();
    return res.status;
  };
  for (const i of indexes) {
    // Written straight to the container servers, with timestamps from ten days ago.
    assert.equal(await send(i, 'PUT', [session.account, 'doomed'], { 'x-timestamp': at(tenDaysAgo) }), 201);
    assert.equal(await send(i, 'PUT', [session.account, 'doomed', 'gone'], { 'x-timestamp': at(tenDaysAgo + 1), 'x-size': '1', 'x-content-type': 'text/plain', 'x-etag': 'x' }), 201);
    assert.equal(await send(i, 'DELETE', [session.account, 'doomed', 'gone'], { 'x-timestamp': at(tenDaysAgo + 2) }), 204);
    assert.equal(await send(i, 'DELETE', [session.account, 'doomed'], { 'x-timestamp': at(tenDaysAgo + 3) }), 204);
    const head = await backend(cluster, i, 'container', part, [session.account, 'doomed'], 'HEAD');
    assert.equal(head.status, 404);
    assert.equal(head.headers.get('x-backend-delete-timestamp'), at(tenDaysAgo + 3), 'the deleted database is still there');
  }
  // A deleted row ten days old in a live container goes too.
  const albums = await containerReplicas('albums');
  for (const i of albums.indexes) {
    const node = cluster.nodes[i - 1]!;
    const url = `http://${node.ip}:${node.ports.container}/${node.device}/${albums.part}/${session.account}/albums/ancient`;
    assert.equal((await fetch(url, { method: 'DELETE', headers: { 'x-timestamp': at(tenDaysAgo) } })).status, 204);
  }

  const stats = await runEverywhere(cluster, 'container-replicator');
  assert.equal(stats.reclaimed, 3, JSON.stringify(stats));
  assert.ok(stats.rowsReclaimed >= 3, JSON.stringify(stats));
  for (const i of indexes) {
    const head = await backend(cluster, i, 'container', part, [session.account, 'doomed'], 'HEAD');
    assert.equal(head.headers.get('x-backend-delete-timestamp'), '0000000000.00000', 'nothing left of it');
  }
  const again = await runEverywhere(cluster, 'container-replicator');
  assert.equal(again.reclaimed, 0, 'no replica brought it back');
  assert.equal(again.rowsReclaimed, 0);
});
