// The database auditor: a container database whose counts disagree with its rows, and an
// account LevelDB that no longer opens, are quarantined, and replication restores them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { backend, runEverywhere, runOnce } from './db-helpers.js';
import { Session, TestCluster } from '../proxy/harness.js';

let cluster: TestCluster;
let session: Session;

before(async () => {
  cluster = await TestCluster.start();
  session = await Session.login(cluster);
});

after(async () => {
  await cluster?.stop();
});

test('a container database that fails its checks is quarantined and restored by replication', async () => {
  assert.equal((await session.request('PUT', '/audited')).status, 201);
  for (let i = 0; i < 5; i++) assert.equal((await session.request('PUT', `/audited/o${i}`, { body: `body ${i}` })).status, 201);
  await runEverywhere(cluster, 'updater'); // rows whose update timed out on a busy machine
  const { part, nodes } = (await cluster.ring('container')).getNodes(session.account, 'audited');
  const victim = cluster.nodeOf(nodes[0]!);
  const node = cluster.nodes[victim - 1]!;

  // A sound node passes.
  const clean = await runOnce(cluster, 'db-auditor', victim);
  assert.equal(clean.quarantined, 0);
  assert.ok(clean.checked >= 1);

  // Damage the info record on disk: it now claims 99 objects.
  await cluster.stopNode(victim);
  const store = new Level<string, Record<string, unknown>>(join(node.devicesDir, node.device, 'containers', 'db'), { valueEncoding: 'json' });
  let damaged = 0;
  for await (const [key, value] of store.iterator()) {
    if (key.endsWith('\0i') && value.container === 'audited') {
      await store.put(key, { ...value, object_count: 99 });
      damaged++;
    }
  }
  await store.close();
  assert.equal(damaged, 1);
  await cluster.startNode(victim);

  const stats = await runOnce(cluster, 'db-auditor', victim);
  assert.equal(stats.quarantined, 1, JSON.stringify(stats));
  const aside = join(node.devicesDir, node.device, 'quarantined', 'containers');
  assert.equal(readdirSync(aside).filter((f) => f.startsWith(`${part}-`)).length, 1, 'a copy is kept for a human');
  assert.equal((await backend(cluster, victim, 'container', part, [session.account, 'audited'])).status, 404);

  await runEverywhere(cluster, 'container-replicator');
  const restored = await backend(cluster, victim, 'container', part, [session.account, 'audited']);
  assert.equal(restored.status, 200);
  assert.equal((restored.json as unknown[]).length, 5);
  assert.equal(restored.headers.get('x-container-object-count'), '5');
  assert.equal((await runOnce(cluster, 'db-auditor', victim)).quarantined, 0, 'the restored copy is sound');
});

test('an account store that no longer opens is moved aside and refilled by replication', async () => {
  const { part, nodes } = (await cluster.ring('account')).getNodes(session.account);
  const victim = cluster.nodeOf(nodes[0]!);
  const node = cluster.nodes[victim - 1]!;
  const dbDir = join(node.devicesDir, node.device, 'accounts', 'db');
  await cluster.stopNode(victim);
  writeFileSync(join(dbDir, 'CURRENT'), 'garbage without a newline');
  await cluster.startNode(victim);

  const stats = await runOnce(cluster, 'db-auditor', victim);
  assert.equal(stats.unopenable, 1, JSON.stringify(stats));
  const aside = join(node.devicesDir, node.device, 'quarantined', 'accounts');
  assert.ok(existsSync(aside) && readdirSync(aside).some((f) => f.startsWith('db-')));

  await runEverywhere(cluster, 'account-replicator');
  const head = await backend(cluster, victim, 'account', part, [session.account], 'HEAD');
  assert.equal(head.status, 204, 'the account is back on the node');
  assert.equal(head.headers.get('x-account-container-count'), '1');
});
