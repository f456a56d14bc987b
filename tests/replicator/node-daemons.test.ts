// The daemons a storage node runs by itself (storage.daemon_interval): with nobody running
// `stowage … --once`, a node that missed writes while it was down catches up, and a
// corrupted copy is quarantined and restored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../ring-builder/index.js';
import { Session, TestCluster } from '../proxy/harness.js';
import { headReplicas, misplacedCopies } from './helpers.js';

let cluster: TestCluster;
let session: Session;
let ring: Ring;

before(async () => {
  cluster = await TestCluster.start({ nodes: 4, partPower: 4, storage: { daemon_interval: 1 } });
  session = await Session.login(cluster);
  ring = await cluster.ring('object');
  assert.equal((await session.request('PUT', '/c')).status, 201);
});

after(async () => {
  await cluster?.stop();
});

/** Polls `check` (bounded) while the nodes' own daemons work. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms\n${cluster.logs().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('storage nodes replicate on their own: a node that was down catches up, handoffs drain', async () => {
  await cluster.stopNode(3);
  const names = Array.from({ length: 30 }, (_, i) => `auto-${i}`);
  for (const name of names) assert.equal((await session.request('PUT', `/c/${name}`, { body: name })).status, 201);
  await cluster.startNode(3);
  await eventually('every primary holds every object', async () => {
    for (const name of names) {
      const replicas = await headReplicas(ring, session.account, 'c', name);
      if (replicas.some((r) => r.status !== 200)) return false;
    }
    return true;
  });
  await eventually('no handoff copy left', async () => misplacedCopies(cluster, ring).length === 0);
});
