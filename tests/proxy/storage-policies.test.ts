// Storage policies through the Swift API, as Swift 2.30 has them: X-Storage-Policy on
// container PUT (name or alias, any case; 400 for an unknown or deprecated one; 409 when
// an existing container has another policy), the policy name on container HEAD/GET, the
// policy list in /info, per-policy account stats headers, and objects really stored with
// their container's policy's ring, in objects-N/ directories.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPathHasher } from '../../common/path-hash.js';
import { HASH_SECRETS, Session, TestCluster, type Response } from './harness.js';

/** Retries `read` until `done` holds (account stats follow object writes asynchronously); the last answer. */
async function settled(read: () => Promise<Response>, done: (res: Response) => boolean, tries = 100): Promise<Response> {
  let res = await read();
  for (let i = 0; i < tries && !done(res); i++) {
    await sleep(50);
    res = await read();
  }
  return res;
}

/** The account headers starting with X-Account-Storage-Policy-, lower-cased names. */
function policyHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith('x-account-storage-policy-')) out[name] = value;
  });
  return out;
}

/** Storage nodes' hash directories of one object under a device's `dir` (objects, objects-1...). */
function copiesIn(cluster: TestCluster, dir: string, part: number, hash: string): string[] {
  const found: string[] = [];
  for (const node of cluster.nodes) {
    const path = join(node.devicesDir, node.device, dir, String(part), hash.slice(-3), hash);
    if (existsSync(path) && readdirSync(path).some((f) => f.endsWith('.data'))) found.push(node.device);
  }
  return found.sort();
}

describe('a cluster without configured policies: Policy-0 alone', () => {
  let cluster: TestCluster;
  let s: Session;
  before(async () => {
    cluster = await TestCluster.start();
    s = await Session.login(cluster);
  });
  after(() => cluster?.stop());

  test('/info lists Policy-0 as Swift publishes it: name, aliases, default', async () => {
    const info = JSON.parse((await cluster.request('GET', '/info')).text) as { swift: { policies: unknown } };
    assert.deepEqual(info.swift.policies, [{ name: 'Policy-0', aliases: 'Policy-0', default: true }]);
  });

  test('containers show X-Storage-Policy: Policy-0 on HEAD and GET, and no backend header', async () => {
    assert.equal((await s.request('PUT', '/plain')).status, 201);
    for (const method of ['HEAD', 'GET']) {
      const res = await s.request(method, '/plain');
      assert.ok(res.status >= 200 && res.status < 300, `${method}: ${res.status}`);
      assert.equal(res.headers.get('x-storage-policy'), 'Policy-0', method);
      assert.equal(res.headers.get('x-backend-storage-policy-index'), null, method);
    }
  });

  test('X-Storage-Policy names the policy case-insensitively: policy-0 on a new container, then again (202)', async () => {
    assert.equal((await s.request('PUT', '/named', { headers: { 'x-storage-policy': 'policy-0' } })).status, 201);
    assert.equal((await s.request('PUT', '/named', { headers: { 'x-storage-policy': 'POLICY-0' } })).status, 202);
    assert.equal((await s.request('HEAD', '/named')).headers.get('x-storage-policy'), 'Policy-0');
  });

  test('an unknown policy name is a 400 with Swift\'s text/plain body, and creates nothing', async () => {
    const res = await s.request('PUT', '/nope', { headers: { 'x-storage-policy': 'gold' } });
    assert.equal(res.status, 400);
    assert.equal(res.text, "Invalid X-Storage-Policy 'gold'");
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal((await s.request('HEAD', '/nope')).status, 404);
  });

  test('a UTF-8 policy name comes back in the 400 text as UTF-8 (Swift 2.30 double-encodes it: a deliberate difference)', async () => {
    const wire = Buffer.from('göld-🪙', 'utf8').toString('latin1');
    const res = await s.request('PUT', '/utf8-policy', { headers: { 'x-storage-policy': wire } });
    assert.equal(res.status, 400);
    assert.equal(res.text, "Invalid X-Storage-Policy 'göld-🪙'");
  });

  test('an empty X-Storage-Policy counts as none (Swift: "if not policy_name")', async () => {
    assert.equal((await s.request('PUT', '/empty-policy', { headers: { 'x-storage-policy': '' } })).status, 201);
    assert.equal((await s.request('HEAD', '/empty-policy')).headers.get('x-storage-policy'), 'Policy-0');
  });

  test('account HEAD/GET carry X-Account-Storage-Policy-Policy-0-* stats once a container exists', async () => {
    const fresh = await Session.login(cluster, 'test2:tester2', 'testing2');
    const empty = await fresh.request('HEAD', '');
    assert.deepEqual(policyHeaders(empty), {}, 'an account without containers has no policy stats');
    assert.equal((await fresh.request('PUT', '/c')).status, 201);
    assert.equal((await fresh.request('PUT', '/c/o', { body: 'hello' })).status, 201);
    const head = await settled(
      () => fresh.request('HEAD', ''),
      (r) => r.headers.get('x-account-storage-policy-policy-0-bytes-used') === '5',
    );
    assert.deepEqual(policyHeaders(head), {
      'x-account-storage-policy-policy-0-container-count': '1',
      'x-account-storage-policy-policy-0-object-count': '1',
      'x-account-storage-policy-policy-0-bytes-used': '5',
    });
    const get = await fresh.request('GET', '?format=json');
    assert.equal(get.status, 200);
    assert.deepEqual(policyHeaders(get), policyHeaders(head));
  });
});

describe('a cluster with three policies: gold (0), silver (1, default), bronze (2, deprecated)', () => {
  let cluster: TestCluster;
  let s: Session;
  before(async () => {
    cluster = await TestCluster.start({
      policies: [
        { index: 0, name: 'gold', aliases: 'yellow, orange' },
        { index: 1, name: 'silver', default: true },
        { index: 2, name: 'bronze', deprecated: true },
      ],
    });
    s = await Session.login(cluster);
  });
  after(() => cluster?.stop());

  test('/info lists the policies not deprecated, in configuration order, with their aliases', async () => {
    const info = JSON.parse((await cluster.request('GET', '/info')).text) as { swift: { policies: unknown } };
    assert.deepEqual(info.swift.policies, [
      { name: 'gold', aliases: 'gold, yellow, orange' },
      { name: 'silver', aliases: 'silver', default: true },
    ]);
  });

  test('a container PUT without X-Storage-Policy gets the default policy', async () => {
    assert.equal((await s.request('PUT', '/default')).status, 201);
    assert.equal((await s.request('HEAD', '/default')).headers.get('x-storage-policy'), 'silver');
  });

  test('an alias, in any case, names its policy; HEAD shows the primary name', async () => {
    assert.equal((await s.request('PUT', '/aliased', { headers: { 'x-storage-policy': 'ORANGE' } })).status, 201);
    assert.equal((await s.request('HEAD', '/aliased')).headers.get('x-storage-policy'), 'gold');
    assert.equal((await s.request('GET', '/aliased')).headers.get('x-storage-policy'), 'gold');
  });

  test('a deprecated policy is refused for a new container: 400 "Storage Policy \'bronze\' is deprecated"', async () => {
    const res = await s.request('PUT', '/old', { headers: { 'x-storage-policy': 'Bronze' } });
    assert.equal(res.status, 400);
    assert.equal(res.text, "Storage Policy 'bronze' is deprecated");
    assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.equal((await s.request('HEAD', '/old')).status, 404);
  });

  test('PUT naming the container\'s own policy is a 202; another policy is a 409 and changes nothing', async () => {
    assert.equal((await s.request('PUT', '/fixed', { headers: { 'x-storage-policy': 'gold' } })).status, 201);
    assert.equal((await s.request('PUT', '/fixed', { headers: { 'x-storage-policy': 'yellow' } })).status, 202);
    const conflict = await s.request('PUT', '/fixed', { headers: { 'x-storage-policy': 'silver', 'x-container-meta-try': 'x' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.text, '<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>');
    assert.equal(conflict.headers.get('x-backend-storage-policy-index'), null, 'the backend header stays inside');
    // Without X-Storage-Policy a PUT of an existing container keeps its policy (202).
    assert.equal((await s.request('PUT', '/fixed')).status, 202);
    const head = await s.request('HEAD', '/fixed');
    assert.equal(head.headers.get('x-storage-policy'), 'gold');
    assert.equal(head.headers.get('x-container-meta-try'), null, 'the refused PUT set no metadata');
  });

  test('POST cannot change the policy: X-Storage-Policy is ignored (204), even a name no policy has', async () => {
    assert.equal((await s.request('PUT', '/posted', { headers: { 'x-storage-policy': 'gold' } })).status, 201);
    assert.equal((await s.request('POST', '/posted', { headers: { 'x-storage-policy': 'silver' } })).status, 204);
    assert.equal((await s.request('POST', '/posted', { headers: { 'x-storage-policy': 'nope' } })).status, 204);
    assert.equal((await s.request('HEAD', '/posted')).headers.get('x-storage-policy'), 'gold');
  });

  test('a deleted container may be created again with another policy', async () => {
    assert.equal((await s.request('PUT', '/reborn', { headers: { 'x-storage-policy': 'gold' } })).status, 201);
    assert.equal((await s.request('DELETE', '/reborn')).status, 204);
    assert.equal((await s.request('PUT', '/reborn', { headers: { 'x-storage-policy': 'silver' } })).status, 201);
    assert.equal((await s.request('HEAD', '/reborn')).headers.get('x-storage-policy'), 'silver');
  });

  test('a client cannot pick the backend index itself: X-Backend-Storage-Policy-Index is dropped at the door', async () => {
    assert.equal((await s.request('PUT', '/sneaky', { headers: { 'x-backend-storage-policy-index': '0' } })).status, 201);
    assert.equal((await s.request('HEAD', '/sneaky')).headers.get('x-storage-policy'), 'silver');
  });

  test('objects go to their container\'s policy ring and directories: objects/ for gold, objects-1/ for silver', async () => {
    assert.equal((await s.request('PUT', '/in-gold', { headers: { 'x-storage-policy': 'gold' } })).status, 201);
    assert.equal((await s.request('PUT', '/in-silver', { headers: { 'x-storage-policy': 'silver' } })).status, 201);
    const ring0 = await cluster.ring('object');
    const ring1 = await cluster.ring('object-1');
    const hasher = await createPathHasher(HASH_SECRETS);
    for (const [container, dir, ring, otherDir] of [
      ['in-gold', 'objects', ring0, 'objects-1'],
      ['in-silver', 'objects-1', ring1, 'objects'],
    ] as const) {
      assert.equal((await s.request('PUT', `/${container}/thing`, { body: `stored in ${container}` })).status, 201);
      const { part, nodes } = ring.getNodes(s.account, container, 'thing');
      const hash = hasher.hashHex({ account: s.account, container, object: 'thing' });
      assert.deepEqual(copiesIn(cluster, dir, part, hash), nodes.map((n) => n.device).sort(), `${container}: one copy on each primary of its policy's ring`);
      for (const node of cluster.nodes) {
        assert.ok(!existsSync(join(node.devicesDir, node.device, otherDir, String(part), hash.slice(-3), hash)), `${container}: nothing in ${otherDir}`);
      }
      const get = await s.request('GET', `/${container}/thing`);
      assert.equal(get.status, 200);
      assert.equal(get.text, `stored in ${container}`);
      const head = await s.request('HEAD', `/${container}/thing`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(`stored in ${container}`.length));
    }
  });

  test('POST, DELETE and listings of objects in a non-zero policy', async () => {
    assert.equal((await s.request('PUT', '/silver-ops')).status, 201);
    assert.equal((await s.request('PUT', '/silver-ops/a', { body: 'abc' })).status, 201);
    assert.equal((await s.request('POST', '/silver-ops/a', { headers: { 'x-object-meta-k': 'v' } })).status, 202);
    assert.equal((await s.request('HEAD', '/silver-ops/a')).headers.get('x-object-meta-k'), 'v');
    const listing = await s.request('GET', '/silver-ops?format=json');
    assert.deepEqual((JSON.parse(listing.text) as Array<{ name: string; bytes: number }>).map((o) => [o.name, o.bytes]), [['a', 3]]);
    assert.equal((await s.request('DELETE', '/silver-ops/a')).status, 204);
    assert.equal((await s.request('GET', '/silver-ops/a')).status, 404);
    assert.equal((await s.request('DELETE', '/silver-ops')).status, 204);
  });

  test('account stats per policy: the name as configured in the header, each policy its own counts', async () => {
    const acct = await Session.login(cluster, 'test2:tester2', 'testing2');
    assert.equal((await acct.request('PUT', '/g', { headers: { 'x-storage-policy': 'gold' } })).status, 201);
    assert.equal((await acct.request('PUT', '/s1')).status, 201);
    assert.equal((await acct.request('PUT', '/s2')).status, 201);
    assert.equal((await acct.request('PUT', '/g/o', { body: '1234567' })).status, 201);
    assert.equal((await acct.request('PUT', '/s1/o', { body: '12' })).status, 201);
    assert.equal((await acct.request('PUT', '/s2/o', { body: '123' })).status, 201);
    const expected = {
      'x-account-storage-policy-gold-container-count': '1',
      'x-account-storage-policy-gold-object-count': '1',
      'x-account-storage-policy-gold-bytes-used': '7',
      'x-account-storage-policy-silver-container-count': '2',
      'x-account-storage-policy-silver-object-count': '2',
      'x-account-storage-policy-silver-bytes-used': '5',
    };
    const head = await settled(
      () => acct.request('HEAD', ''),
      (r) => JSON.stringify(policyHeaders(r)) === JSON.stringify(expected),
    );
    assert.deepEqual(policyHeaders(head), expected);
    assert.equal(head.headers.get('x-account-bytes-used'), '12');
    // A policy that had a container keeps its (zero) stats after the container goes, as Swift's policy_stat.
    assert.equal((await acct.request('DELETE', '/g/o')).status, 204);
    const emptied = await settled(
      () => acct.request('HEAD', ''),
      (r) => r.headers.get('x-account-storage-policy-gold-object-count') === '0',
    );
    assert.equal(emptied.headers.get('x-account-storage-policy-gold-bytes-used'), '0');
    assert.equal((await acct.request('DELETE', '/g')).status, 204);
    const gone = await settled(
      () => acct.request('HEAD', ''),
      (r) => r.headers.get('x-account-storage-policy-gold-container-count') === '0',
    );
    assert.equal(gone.headers.get('x-account-storage-policy-gold-container-count'), '0');
    assert.equal(gone.headers.get('x-account-storage-policy-gold-object-count'), '0');
    assert.equal(gone.headers.get('x-account-container-count'), '2');
  });
});
