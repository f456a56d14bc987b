// The expirer (issue 4, point 7): an object written with X-Delete-After is gone from GET
// as soon as its time passes, and from listings once the expirer has run — which every
// node may do at once, each object being deleted exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runEverywhere } from './db-helpers.js';
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

const names = async (container: string) => {
  const res = await session.request('GET', `/${container}?format=json`);
  assert.equal(res.status, 200);
  return (JSON.parse(res.text) as Array<{ name: string }>).map((r) => r.name);
};

/** Polls until `check` holds (at most `limitMs`): the only waiting here is for the clock to pass X-Delete-At. */
async function until(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return check();
}

test('X-Delete-After: gone from GET at once, from listings after the expirer, deleted once cluster-wide', async () => {
  assert.equal((await session.request('PUT', '/tmp')).status, 201);
  // Expiry removed by a POST without X-Delete-At: its queue row (due first) becomes stale.
  assert.equal((await session.request('PUT', '/tmp/reprieved', { body: 'saved', headers: { 'x-delete-after': '5' } })).status, 201);
  assert.equal((await session.request('POST', '/tmp/reprieved', { headers: { 'x-object-meta-saved': 'yes' } })).status, 202);
  const expiring = Array.from({ length: 6 }, (_, i) => `short-lived-${i}`);
  for (const name of expiring) {
    assert.equal((await session.request('PUT', `/tmp/${name}`, { body: name, headers: { 'x-delete-after': '5' } })).status, 201);
    assert.equal((await session.request('GET', `/tmp/${name}`)).status, 200, 'readable before its time');
  }
  assert.equal((await session.request('PUT', '/tmp/kept', { body: 'stays' })).status, 201);
  assert.equal((await session.request('PUT', '/tmp/later', { body: 'later', headers: { 'x-delete-after': '86400' } })).status, 201);

  const gone = await until(async () => (await session.request('GET', `/tmp/${expiring.at(-1)}`)).status === 404, 20_000);
  assert.ok(gone, 'GET answers 404 once X-Delete-At has passed, before any expirer ran');
  for (const name of expiring) {
    assert.equal((await session.request('GET', `/tmp/${name}`)).status, 404);
    assert.equal((await session.request('HEAD', `/tmp/${name}`)).status, 404);
  }
  assert.deepEqual((await names('tmp')).filter((n) => n.startsWith('short-lived-')), expiring, 'still listed until the expirer runs');

  // Queue rows whose update timed out on a loaded machine are async pendings until the updater runs.
  await runEverywhere(cluster, 'updater');
  const stats = await runEverywhere(cluster, 'expirer');
  assert.equal(stats.expired, expiring.length, `each object deleted exactly once across the cluster: ${JSON.stringify(stats)}`);
  assert.equal(stats.stale, 1, 'the reprieved object kept its data; its stale queue row is dropped');
  assert.equal(stats.failures, 0);
  assert.deepEqual(await names('tmp'), ['kept', 'later', 'reprieved']);
  const head = await session.request('HEAD', '/tmp');
  assert.equal(head.headers.get('x-container-object-count'), '3');
  assert.equal((await session.request('GET', '/tmp/reprieved')).text, 'saved');
  assert.equal((await session.request('GET', '/tmp/later')).status, 200, 'not yet due');

  // The queue is empty: another run on every node finds nothing to do.
  const again = await runEverywhere(cluster, 'expirer');
  assert.equal(again.due, 0);
  assert.equal(again.expired, 0);
});

test('an object written again after it expired is not deleted by its old queue row', async () => {
  assert.equal((await session.request('PUT', '/tmp2')).status, 201);
  assert.equal((await session.request('PUT', '/tmp2/phoenix', { body: 'first', headers: { 'x-delete-after': '1' } })).status, 201);
  assert.ok(await until(async () => (await session.request('GET', '/tmp2/phoenix')).status === 404, 10_000));
  assert.equal((await session.request('PUT', '/tmp2/phoenix', { body: 'second life' })).status, 201);
  await runEverywhere(cluster, 'updater');
  const stats = await runEverywhere(cluster, 'expirer');
  assert.equal(stats.expired, 0);
  assert.equal(stats.stale, 1);
  const res = await session.request('GET', '/tmp2/phoenix');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'second life');
  assert.deepEqual(await names('tmp2'), ['phoenix']);
});
