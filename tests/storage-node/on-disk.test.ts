// The object server's files on disk: hash directories named by the 128-bit naming hash,
// the stored name checked on every read and write (a hash collision is refused, never
// served as another object), and files only the storage node's user can read.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashConfig } from '../../common/config.js';
import { createPathHasher, type PathHasher } from '../../common/path-hash.js';
import { backendPath, call, nextTimestamp, startNode, type StorageNodeProcess } from './harness.js';

let node: StorageNodeProcess;
let hasher: PathHasher;
before(async () => {
  node = await startNode();
  hasher = await createPathHasher(hashConfig({}));
});
after(async () => {
  assert.equal(await node.stop(), 0);
  await node.destroy();
});

const PART = 7;
const urlOf = (object: string) => `${node.urls.object}${backendPath('sdb1', PART, 'AUTH_test', 'c', object)}`;
const partDir = () => join(node.devices, 'sdb1', 'objects', String(PART));
function hashDirOf(object: string): string {
  const hash = hasher.hashHex({ account: 'AUTH_test', container: 'c', object });
  return join(partDir(), hash.slice(-3), hash);
}

describe('hash directories', () => {
  test('are named by the 32-hex-digit MD5 naming hash, under its last 3 digits', async () => {
    const put = await call('PUT', urlOf('named'), { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'n');
    assert.equal(put.status, 201);
    const dir = hashDirOf('named');
    assert.match(dir, /\/([0-9a-f]{3})\/[0-9a-f]{29}\1$/);
    assert.equal(readdirSync(dir).length, 1);
  });
});

describe('a hash collision: the directory of name Y holds the files of name X', () => {
  /** Makes X's files sit where Y's would be, as if X and Y had the same naming hash. */
  async function collide(x: string, y: string, body: string): Promise<void> {
    const put = await call('PUT', urlOf(x), { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', 'X-Object-Meta-Owner': 'x' }, body);
    assert.equal(put.status, 201);
    mkdirSync(join(hashDirOf(y), '..'), { recursive: true });
    renameSync(hashDirOf(x), hashDirOf(y));
  }

  test('GET, HEAD, POST, DELETE and PUT of Y are 403 and never serve or replace X', async () => {
    await collide('x-object', 'y-object', 'the bytes of X');
    const before = readdirSync(hashDirOf('y-object'));
    const dataFile = join(hashDirOf('y-object'), before[0]!);
    const stored = readFileSync(dataFile);

    const get = await call('GET', urlOf('y-object'));
    assert.equal(get.status, 403);
    assert.ok(!get.text.includes('the bytes of X'), 'X is not served as Y');
    assert.equal(get.headers['x-object-meta-owner'], undefined);
    assert.equal((await call('HEAD', urlOf('y-object'))).status, 403);
    assert.equal((await call('POST', urlOf('y-object'), { 'X-Timestamp': nextTimestamp().internal, 'X-Object-Meta-Owner': 'y' })).status, 403);
    assert.equal((await call('DELETE', urlOf('y-object'), { 'X-Timestamp': nextTimestamp().internal })).status, 403);
    const put = await call('PUT', urlOf('y-object'), { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'the bytes of Y');
    assert.equal(put.status, 403);

    assert.deepEqual(readdirSync(hashDirOf('y-object')), before, 'nothing written into the directory');
    assert.deepEqual(readFileSync(dataFile), stored, 'X is intact');
    // Put back where it belongs, X is served again.
    renameSync(hashDirOf('y-object'), hashDirOf('x-object'));
    const x = await call('GET', urlOf('x-object'));
    assert.equal(x.status, 200);
    assert.equal(x.text, 'the bytes of X');
  });

  test('a replicated file pushed for Y is refused too', async () => {
    await collide('x-pushed', 'y-pushed', 'x');
    const ts = nextTimestamp().internal;
    const push = await call('PUT', urlOf('y-pushed'), { 'X-Timestamp': ts, 'X-Backend-Replication-File': `${ts}.ts`, 'Content-Length': 0 });
    assert.equal(push.status, 403);
    assert.equal(readdirSync(hashDirOf('y-pushed')).length, 1);
  });

  test("X's tombstone in Y's directory refuses Y as well", async () => {
    await collide('x-deleted', 'y-deleted', 'x');
    renameSync(hashDirOf('y-deleted'), hashDirOf('x-deleted'));
    assert.equal((await call('DELETE', urlOf('x-deleted'), { 'X-Timestamp': nextTimestamp().internal })).status, 204);
    renameSync(hashDirOf('x-deleted'), hashDirOf('y-deleted'));
    assert.equal((await call('GET', urlOf('y-deleted'))).status, 403);
    assert.equal((await call('PUT', urlOf('y-deleted'), { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'y')).status, 403);
  });
});

describe('file modes', () => {
  test('a PUT leaves its .data 0600 and every directory it made 0700', async () => {
    const put = await call('PUT', urlOf('private'), { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'secret');
    assert.equal(put.status, 201);
    const dir = hashDirOf('private');
    const [data] = readdirSync(dir);
    assert.match(data!, /\.data$/);
    const mode = (path: string) => statSync(path).mode & 0o777;
    assert.equal(mode(join(dir, data!)), 0o600);
    for (const made of [dir, join(dir, '..'), partDir(), join(node.devices, 'sdb1', 'objects'), join(node.devices, 'sdb1', 'tmp')]) {
      assert.equal(mode(made), 0o700, made);
    }
  });

  test('tombstones, metadata updates and the suffix hashes are 0600 too', async () => {
    const url = urlOf('marked');
    await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, 'm');
    assert.equal((await call('POST', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Object-Meta-K': 'v' })).status, 202);
    const meta = readdirSync(hashDirOf('marked')).find((n) => n.endsWith('.meta'))!;
    assert.equal(statSync(join(hashDirOf('marked'), meta)).mode & 0o777, 0o600);
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal })).status, 204);
    const ts = readdirSync(hashDirOf('marked')).find((n) => n.endsWith('.ts'))!;
    assert.equal(statSync(join(hashDirOf('marked'), ts)).mode & 0o777, 0o600);
    assert.equal((await call('POST', `${node.urls.object}/sdb1/${PART}/REPLICATE`)).status, 200);
    for (const name of readdirSync(partDir()).filter((n) => n.startsWith('hashes.'))) {
      assert.equal(statSync(join(partDir(), name)).mode & 0o777, 0o600, name);
    }
  });
});
