// Storage policies on a storage node, as Swift's servers have them: the container server
// keeps each container's policy (X-Backend-Storage-Policy-Index; 409 when a PUT names
// another, 400 for an index no policy has), the account server keeps stats per policy,
// and the object server keeps policy N's objects in objects-N/ (503 for an unknown index).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPathHasher } from '../../common/path-hash.js';
import { hashConfig } from '../../common/config.js';
import { backendPath, call, nextTimestamp, startNode, type StorageNodeProcess } from './harness.js';

let node: StorageNodeProcess;
let configDir: string;
const POLICY = 'X-Backend-Storage-Policy-Index';

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'stowage-sp-'));
  const config = join(configDir, 'cluster.json');
  writeFileSync(config, JSON.stringify({ storage_policies: [{ index: 0, name: 'gold', default: true }, { index: 1, name: 'Silver' }] }));
  node = await startNode({ args: ['--config', config] });
});
after(async () => {
  await node?.destroy();
  rmSync(configDir, { recursive: true, force: true });
});

let counter = 0;
const containerUrl = () => `${node.urls.container}${backendPath('sdb1', 3, 'AUTH_sp', `c${++counter}`)}`;
const putContainer = (url: string, headers: Record<string, string> = {}) => call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, ...headers });

describe('container server', () => {
  test('a new container takes the index it is given, and answers it on PUT, HEAD and GET', async () => {
    const url = containerUrl();
    const put = await putContainer(url, { [POLICY]: '1' });
    assert.equal(put.status, 201);
    assert.equal(put.headers['x-backend-storage-policy-index'], '1');
    assert.equal((await call('HEAD', url)).headers['x-backend-storage-policy-index'], '1');
    assert.equal((await call('GET', `${url}?format=json`)).headers['x-backend-storage-policy-index'], '1');
  });

  test('without an index a new container takes X-Backend-Storage-Policy-Default, else the node\'s default', async () => {
    const withDefault = containerUrl();
    assert.equal((await putContainer(withDefault, { 'X-Backend-Storage-Policy-Default': '1' })).status, 201);
    assert.equal((await call('HEAD', withDefault)).headers['x-backend-storage-policy-index'], '1');
    const plain = containerUrl();
    assert.equal((await putContainer(plain)).status, 201);
    assert.equal((await call('HEAD', plain)).headers['x-backend-storage-policy-index'], '0');
  });

  test('an existing container keeps its policy: same index 202, another 409 naming its own, none 202', async () => {
    const url = containerUrl();
    assert.equal((await putContainer(url, { [POLICY]: '1' })).status, 201);
    assert.equal((await putContainer(url, { [POLICY]: '1' })).status, 202);
    const conflict = await putContainer(url, { [POLICY]: '0', 'X-Container-Meta-Tried': 'yes' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.headers['x-backend-storage-policy-index'], '1');
    const accepted = await putContainer(url, { 'X-Backend-Storage-Policy-Default': '0' });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers['x-backend-storage-policy-index'], '1');
    const head = await call('HEAD', url);
    assert.equal(head.headers['x-backend-storage-policy-index'], '1');
    assert.equal(head.headers['x-container-meta-tried'], undefined);
  });

  test('a deleted container is created again with the policy the new PUT asks for', async () => {
    const url = containerUrl();
    assert.equal((await putContainer(url, { [POLICY]: '1' })).status, 201);
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal })).status, 204);
    assert.equal((await putContainer(url, { [POLICY]: '0' })).status, 201);
    assert.equal((await call('HEAD', url)).headers['x-backend-storage-policy-index'], '0');
  });

  test('an index no policy has is a 400 with Swift\'s text, and creates nothing', async () => {
    for (const [value, text] of [
      ['7', 'Invalid X-Backend-Storage-Policy-Index 7'],
      ['x1', "Invalid X-Backend-Storage-Policy-Index 'x1'"],
    ]) {
      const url = containerUrl();
      const res = await putContainer(url, { [POLICY]: value! });
      assert.equal(res.status, 400);
      assert.equal(res.text, text);
      assert.equal((await call('HEAD', url)).status, 404);
    }
  });
});

describe('account server', () => {
  test('stats per policy, named as configured; an index no policy has is left out', async () => {
    const account = `${node.urls.account}${backendPath('sdb1', 4, 'AUTH_stats')}`;
    assert.equal((await call('PUT', account, { 'X-Timestamp': nextTimestamp().internal })).status, 201);
    assert.equal(Object.keys((await call('HEAD', account)).headers).filter((h) => h.startsWith('x-account-storage-policy-')).length, 0);
    const report = (name: string, index: string, count: number, bytes: number) =>
      call('PUT', `${account}/${name}`, {
        'X-Put-Timestamp': nextTimestamp().internal,
        'X-Delete-Timestamp': '0',
        'X-Object-Count': count,
        'X-Bytes-Used': bytes,
        'X-Timestamp': nextTimestamp().internal,
        [POLICY]: index,
      });
    assert.equal((await report('a', '1', 2, 10)).status, 201);
    assert.equal((await report('b', '1', 1, 5)).status, 201);
    assert.equal((await report('c', '0', 3, 7)).status, 201);
    assert.equal((await report('d', '9', 1, 1)).status, 201);
    const head = await call('HEAD', account);
    const stats = Object.fromEntries(Object.entries(head.headers).filter(([h]) => h.startsWith('x-account-storage-policy-')));
    assert.deepEqual(stats, {
      'x-account-storage-policy-gold-container-count': '1',
      'x-account-storage-policy-gold-object-count': '3',
      'x-account-storage-policy-gold-bytes-used': '7',
      'x-account-storage-policy-silver-container-count': '2',
      'x-account-storage-policy-silver-object-count': '3',
      'x-account-storage-policy-silver-bytes-used': '15',
    });
    assert.equal(head.headers['x-account-container-count'], '4', 'the totals count every container');
    // A container that moves to another policy (deleted, then created again) moves its stats.
    assert.equal((await report('a', '0', 0, 0)).status, 201);
    const moved = await call('HEAD', account);
    assert.equal(moved.headers['x-account-storage-policy-gold-container-count'], '2');
    assert.equal(moved.headers['x-account-storage-policy-silver-container-count'], '1');
    assert.equal(moved.headers['x-account-storage-policy-silver-bytes-used'], '5');
  });
});

describe('object server', () => {
  test('policy N\'s objects are kept in objects-N/ and found only with that index', async () => {
    const hasher = await createPathHasher(hashConfig({}));
    const name = 'policy-one';
    const url = `${node.urls.object}${backendPath('sdb1', 7, 'AUTH_sp', 'c', name)}`;
    const put = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', [POLICY]: '1' }, 'one');
    assert.equal(put.status, 201);
    const hash = hasher.hashHex({ account: 'AUTH_sp', container: 'c', object: name });
    const dir = (base: string) => join(node.devices, 'sdb1', base, '7', hash.slice(-3), hash);
    assert.equal(readdirSync(dir('objects-1')).filter((f) => f.endsWith('.data')).length, 1);
    assert.ok(!existsSync(dir('objects')));
    assert.equal((await call('GET', url, { [POLICY]: '1' })).text, 'one');
    assert.equal((await call('GET', url)).status, 404, 'policy 0 has no such object');
    const del = await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal, [POLICY]: '1' });
    assert.equal(del.status, 204);
    assert.ok(readdirSync(dir('objects-1')).some((f) => f.endsWith('.ts')));
  });

  test('an index no policy has is a 503 "No policy with index N", for objects and REPLICATE', async () => {
    const url = `${node.urls.object}${backendPath('sdb1', 7, 'AUTH_sp', 'c', 'o')}`;
    const res = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', [POLICY]: '5' }, 'x');
    assert.equal(res.status, 503);
    assert.equal(res.text, 'No policy with index 5');
    const replicate = await call('POST', `${node.urls.object}/sdb1/7/REPLICATE`, { [POLICY]: '5' }, '{}');
    assert.equal(replicate.status, 503);
    assert.ok(!existsSync(join(node.devices, 'sdb1', 'objects-5')));
  });
});
