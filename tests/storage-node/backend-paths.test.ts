// Every backend route (object, container, account, REPLICATE, the databases' replication
// verb, replicated-file pushes) parses /<device>/<partition>/... the same way: a device or
// partition that would lead outside the devices directory is refused before any file is
// touched.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Devices } from '../../storage-node/devices.js';
import { HttpError } from '../../storage-node/errors.js';
import { backendPath, call, nextTimestamp, rawCall, startNode, type StorageNodeProcess } from './harness.js';

let base: string;
let node: StorageNodeProcess;
/** Directories beside and above the devices root, each laid out like a device. */
let outsiders: string[];
const ANCIENT_TOMBSTONE = '0000000001.00000.ts';
const HASH = 'd41d8cd98f00b204e9800998ecf8427e';

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'stowage-paths-'));
  const devices = join(base, 'devices');
  mkdirSync(join(devices, 'sdb1'), { recursive: true });
  // What a REPLICATE on these would delete: a tombstone far older than reclaim_age.
  outsiders = [join(base, 'outside'), base];
  for (const root of outsiders) {
    const hashDir = join(root, 'objects', '7', HASH.slice(-3), HASH);
    mkdirSync(hashDir, { recursive: true });
    writeFileSync(join(hashDir, ANCIENT_TOMBSTONE), '');
    writeFileSync(join(root, 'sentinel'), 'must survive');
  }
  node = await startNode({ devices });
});

after(async () => {
  await node.stop();
  rmSync(base, { recursive: true, force: true });
});

/** Raw request targets naming a device outside the devices root, encoded every way. */
const hostileDevices = () => [
  '..%2Foutside',
  '%2e%2e',
  '%2E%2E%2Foutside',
  '.',
  '%2e',
  `${encodeURIComponent(join(base, 'outside'))}`,
  `%2F${encodeURIComponent(base.slice(1))}`,
];

function assertNothingOutsideTouched(): void {
  for (const root of outsiders) {
    const hashDir = join(root, 'objects', '7', HASH.slice(-3), HASH);
    assert.ok(existsSync(join(hashDir, ANCIENT_TOMBSTONE)), `${hashDir} still holds its tombstone`);
    assert.ok(existsSync(join(root, 'sentinel')), `${root}/sentinel still exists`);
    assert.deepEqual(readdirSync(join(root, 'objects', '7')).sort(), [HASH.slice(-3)], 'no hashes.json or hashes.invalid written there');
    assert.ok(!existsSync(join(root, 'containers')) && !existsSync(join(root, 'accounts')), 'no database opened there');
    assert.ok(!existsSync(join(root, 'tmp')) && !existsSync(join(root, 'async_pending')), 'no tmp or async pending written there');
  }
}

test('REPLICATE with a device outside the devices root is 400 and deletes nothing there', async () => {
  for (const device of hostileDevices()) {
    const res = await rawCall('POST', node.urls.object, `/${device}/7/REPLICATE`);
    assert.equal(res.status, 400, `${device}: ${res.text}`);
    assert.match(res.text, /Invalid device/);
  }
  assertNothingOutsideTouched();
});

test('an encoded NUL in the device is refused (412, as Swift answers any path holding one)', async () => {
  for (const [base, target] of [[node.urls.object, '/sdb1%00/7/REPLICATE'], [node.urls.object, '/..%00/7/a/c/o'], [node.urls.container, '/%00/7/a/c']] as const) {
    const res = await rawCall('POST', base, target, { 'X-Timestamp': nextTimestamp().internal });
    assert.equal(res.status, 412, target);
  }
  assertNothingOutsideTouched();
});

test('a partition that is not a plain number below 2^32 is 400 on REPLICATE', async () => {
  for (const partition of ['..', '..%2F..%2Foutside%2Fobjects%2F7', '-1', '4294967296', '7.0', '', '%2e']) {
    const res = await rawCall('POST', node.urls.object, `/sdb1/${partition}/REPLICATE`);
    assert.equal(res.status, 400, `${partition}: ${res.text}`);
  }
  assertNothingOutsideTouched();
});

test('object, container, account, database replication and replicated-file routes refuse the same devices', async () => {
  for (const device of hostileDevices()) {
    const ts = nextTimestamp().internal;
    const attempts: Array<[string, string, string, Record<string, string>]> = [
      ['DELETE', node.urls.object, `/${device}/7/a/c/o`, { 'X-Timestamp': ts }],
      ['PUT', node.urls.object, `/${device}/7/a/c/o`, { 'X-Timestamp': ts, 'Content-Type': 'text/plain' }],
      ['PUT', node.urls.object, `/${device}/7/a/c/o`, { 'X-Timestamp': ts, 'X-Backend-Replication-File': `${ts}.ts` }],
      ['GET', node.urls.object, `/${device}/7/a/c/o`, {}],
      ['PUT', node.urls.container, `/${device}/7/a/c`, { 'X-Timestamp': ts }],
      ['POST', node.urls.container, `/${device}/7/a/c`, { 'X-Backend-Replicate': 'audit' }],
      ['PUT', node.urls.account, `/${device}/7/a`, { 'X-Timestamp': ts }],
      ['POST', node.urls.account, `/${device}/7/a`, { 'X-Backend-Replicate': 'list' }],
    ];
    for (const [method, url, target, headers] of attempts) {
      const res = await rawCall(method, url, target, headers);
      assert.equal(res.status, 400, `${method} ${url}${target}: ${res.text}`);
    }
  }
  assertNothingOutsideTouched();
});

test('the legitimate REPLICATE still answers the partition suffix hashes', async () => {
  const put = await call('PUT', `${node.urls.object}${backendPath('sdb1', 7, 'AUTH_test', 'c', 'o')}`, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'x');
  assert.equal(put.status, 201);
  const res = await call('POST', `${node.urls.object}/sdb1/7/REPLICATE`, { 'Content-Type': 'application/json' }, '{}');
  assert.equal(res.status, 200, res.text);
  const { hashes } = JSON.parse(res.text) as { hashes: Record<string, string> };
  assert.equal(Object.keys(hashes).length, 1);
  const trailing = await rawCall('POST', node.urls.object, '/sdb1/7/REPLICATE/');
  assert.equal(trailing.status, 200);
  assert.deepEqual(JSON.parse(trailing.text), { hashes });
  // REPLICATE is a verb of the object server only: on the account server it is an account name.
  assert.equal((await call('POST', `${node.urls.account}/sdb1/7/REPLICATE`, { 'X-Timestamp': nextTimestamp().internal })).status, 404);
  assertNothingOutsideTouched();
});

test('Devices.get refuses a name that is not one path segment, whoever calls it', async () => {
  const devices = new Devices(join(base, 'devices'));
  try {
    for (const name of ['..', '.', '', '../outside', 'sdb1/../..', 'a\0b']) {
      await assert.rejects(devices.get(name), (err: unknown) => err instanceof HttpError && err.status === 400, JSON.stringify(name));
    }
    assert.equal((await devices.get('sdb1')).name, 'sdb1');
  } finally {
    await devices.close();
  }
});
