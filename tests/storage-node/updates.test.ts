// Listing updates between the servers: object server → container server after each
// object write, container server → account server after each container change, and the
// async pendings saved when the receiving server cannot be reached.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listAsyncPendings, readAsyncPending, type AsyncPending } from '../../storage-node/index.js';
import { backendPath, call, nextTimestamp, startNode, waitFor, type StorageNodeProcess } from './harness.js';

const UPDATE_TIMEOUT_MS = 500;
let node: StorageNodeProcess;
let silent: Server;
let silentHost: string;
let closedHost: string;

before(async () => {
  node = await startNode({ deviceNames: ['sdb1', 'sdb2'], env: { STOWAGE_STORAGE_UPDATE_TIMEOUT_MS: String(UPDATE_TIMEOUT_MS) } });
  // A server that accepts connections and never answers, and a port nobody listens on.
  silent = createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((r) => silent.once('listening', r));
  silentHost = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  const closed = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => closed.once('listening', r));
  closedHost = `127.0.0.1:${(closed.address() as { port: number }).port}`;
  await new Promise((r) => closed.close(r));
});
after(async () => {
  await node.destroy();
  silent.close();
});

const host = (url: string) => new URL(url).host;
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function pendings(device: string): Promise<Array<{ path: string; pending: AsyncPending }>> {
  const found = [];
  for await (const path of listAsyncPendings(join(node.devices, device))) found.push({ path, pending: await readAsyncPending(path) });
  return found;
}

async function createContainer(account: string, container: string, device = 'sdb1', headers: Record<string, string> = {}) {
  const res = await call('PUT', `${node.urls.container}${backendPath(device, 4, account, container)}`, { 'X-Timestamp': nextTimestamp().internal, ...headers });
  assert.equal(res.status, 201);
}

const listing = async (account: string, container: string, device = 'sdb1') =>
  JSON.parse((await call('GET', `${node.urls.container}${backendPath(device, 4, account, container)}?format=json`)).text) as Array<Record<string, unknown>>;

const containerHeaders = (hosts: string, devices = 'sdb1') => ({
  'X-Container-Host': hosts,
  'X-Container-Device': devices,
  'X-Container-Partition': '4',
});

describe('object server → container server', () => {
  test('PUT, POST and DELETE of an object update the listing', async () => {
    const container = unique('c');
    await createContainer('AUTH_u', container);
    const objectUrl = `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', container, 'dir/report.pdf')}`;
    const put = await call('PUT', objectUrl, {
      'X-Timestamp': nextTimestamp().internal,
      'Content-Type': 'application/pdf',
      ...containerHeaders(host(node.urls.container)),
    }, 'pdf bytes');
    assert.equal(put.status, 201);
    let [row] = await listing('AUTH_u', container);
    assert.equal(row!.name, 'dir/report.pdf');
    assert.equal(row!.bytes, 9);
    assert.equal(row!.content_type, 'application/pdf');
    assert.equal(`"${row!.hash}"`, put.headers.etag);

    const post = await call('POST', objectUrl, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'application/x-pdf', ...containerHeaders(host(node.urls.container)) });
    assert.equal(post.status, 202);
    [row] = await listing('AUTH_u', container);
    assert.equal(row!.content_type, 'application/x-pdf');
    assert.equal(row!.bytes, 9);

    const del = await call('DELETE', objectUrl, { 'X-Timestamp': nextTimestamp().internal, ...containerHeaders(host(node.urls.container)) });
    assert.equal(del.status, 204);
    assert.deepEqual(await listing('AUTH_u', container), []);
  });

  test('every container replica named in the comma-separated headers gets the update', async () => {
    const container = unique('replicated');
    await createContainer('AUTH_u', container, 'sdb1');
    await createContainer('AUTH_u', container, 'sdb2');
    const here = host(node.urls.container);
    const res = await call('PUT', `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', container, 'o')}`, {
      'X-Timestamp': nextTimestamp().internal,
      'Content-Type': 'text/plain',
      ...containerHeaders(`${here}, ${here}`, 'sdb1, sdb2'),
    }, 'x');
    assert.equal(res.status, 201);
    assert.equal((await listing('AUTH_u', container, 'sdb1')).length, 1);
    assert.equal((await listing('AUTH_u', container, 'sdb2')).length, 1);
  });

  test('SLO-style overrides change what the listing shows', async () => {
    const container = unique('slo');
    await createContainer('AUTH_u', container);
    await call('PUT', `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', container, 'manifest')}`, {
      'X-Timestamp': nextTimestamp().internal,
      'Content-Type': 'application/json',
      'X-Object-Sysmeta-Container-Update-Override-Etag': 'slo-etag',
      'X-Backend-Container-Update-Override-Content-Type': 'text/plain;swift_bytes=1000',
      ...containerHeaders(host(node.urls.container)),
    }, '[]');
    const [row] = await listing('AUTH_u', container);
    assert.equal(row!.hash, 'slo-etag');
    assert.equal(row!.bytes, 1000);
    assert.equal(row!.content_type, 'text/plain');
  });

  test('a container server on a closed port: 201 anyway, and an async pending is saved', async () => {
    const container = unique('unreachable');
    const ts = nextTimestamp();
    const res = await call('PUT', `${node.urls.object}${backendPath('sdb2', 9, 'AUTH_u', container, 'a/b')}`, {
      'X-Timestamp': ts.internal,
      'Content-Type': 'text/plain',
      ...containerHeaders(closedHost, 'sdb7'),
    }, 'hello');
    assert.equal(res.status, 201);
    const found = (await pendings('sdb2')).filter((p) => p.pending.container === container);
    assert.equal(found.length, 1);
    const { path, pending } = found[0]!;
    assert.match(path, new RegExp(`async_pending/[0-9a-f]{3}/[0-9a-f]{32}-${ts.internal.replace('.', '\\.')}$`));
    assert.equal(path.split('/').at(-2), path.split('/').at(-1)!.slice(29, 32), 'suffix = last 3 hex digits of the hash');
    assert.equal(statSync(path).mode & 0o777, 0o600, 'only the storage node user reads an async pending');
    assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
    assert.equal(pending.method, 'PUT');
    assert.equal(pending.account, 'AUTH_u');
    assert.equal(pending.object, 'a/b');
    assert.deepEqual(pending.targets, [{ host: closedHost, device: 'sdb7', partition: '4' }]);
    assert.equal(pending.headers['X-Timestamp'], ts.internal);
    assert.equal(pending.headers['X-Size'], '5');
    assert.equal(pending.headers['X-Etag'], '5d41402abc4b2a76b9719d911017c592');
    assert.equal(pending.headers['X-Content-Type'], 'text/plain');
    assert.equal((await call('GET', `${node.urls.object}${backendPath('sdb2', 9, 'AUTH_u', container, 'a/b')}`)).text, 'hello');
  });

  test('a container server that never answers does not hold the client past the update timeout', async () => {
    const container = unique('silent');
    await createContainer('AUTH_u', container);
    const ts = nextTimestamp();
    const started = Date.now();
    const res = await call('DELETE', `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', container, 'o')}`, {
      'X-Timestamp': ts.internal,
      ...containerHeaders(`${silentHost},${host(node.urls.container)}`, 'sdb1,sdb1'),
    });
    const waited = Date.now() - started;
    assert.equal(res.status, 404);
    assert.ok(waited < UPDATE_TIMEOUT_MS + 1500, `answered after ${waited} ms`);
    const [found] = (await pendings('sdb1')).filter((p) => p.pending.container === container);
    assert.equal(found?.pending.method, 'DELETE');
    assert.deepEqual(found?.pending.targets.map((t) => t.host), [silentHost], 'only the target that failed');
  });

  test('an object with X-Delete-At gets a row in the expirer queue container', async () => {
    const container = unique('expiring');
    const deleteAt = String(Math.floor(Date.now() / 1000) + 86_400);
    const queue = String(Math.floor(Number(deleteAt) / 86_400) * 86_400);
    const queueHeaders = { 'X-Delete-At-Host': host(node.urls.container), 'X-Delete-At-Device': 'sdb1', 'X-Delete-At-Partition': '6', 'X-Delete-At-Container': queue };
    const url = `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', container, 'o')}`;
    const put = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', 'X-Delete-At': deleteAt, ...queueHeaders }, 'x');
    assert.equal(put.status, 201);
    const queueUrl = `${node.urls.container}${backendPath('sdb1', 6, '.expiring_objects', queue)}`;
    const rows = (JSON.parse((await call('GET', `${queueUrl}?format=json`)).text) as Array<{ name: string }>).map((r) => r.name);
    assert.ok(rows.includes(`${deleteAt}-AUTH_u/${container}/o`), `queue rows: ${rows.join(', ')}`);

    const later = String(Number(deleteAt) + 60);
    assert.equal((await call('POST', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Delete-At': later, ...queueHeaders })).status, 202);
    const after = (JSON.parse((await call('GET', `${queueUrl}?format=json`)).text) as Array<{ name: string }>).map((r) => r.name);
    assert.ok(after.includes(`${later}-AUTH_u/${container}/o`), 'a POST moving X-Delete-At queues the new time');

    const { 'X-Delete-At-Container': _, ...noContainer } = queueHeaders;
    const incomplete = await call('PUT', `${url}2`, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', 'X-Delete-At': deleteAt, ...noContainer }, 'x');
    assert.equal(incomplete.status, 400);
  });

  test('mismatched or malformed container headers are 400 and store nothing', async () => {
    const url = `${node.urls.object}${backendPath('sdb1', 9, 'AUTH_u', unique('c'), 'o')}`;
    const mismatched = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', ...containerHeaders('127.0.0.1:1,127.0.0.1:2', 'sdb1') }, 'x');
    assert.equal(mismatched.status, 400);
    const malformed = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', ...containerHeaders('no-port', 'sdb1') }, 'x');
    assert.equal(malformed.status, 400);
    assert.equal((await call('GET', url)).status, 404);
  });
});

describe('container server → account server', () => {
  const accountHeaders = (hostPort: string) => ({ 'X-Account-Host': hostPort, 'X-Account-Device': 'sdb1', 'X-Account-Partition': '2' });
  const accountUrl = (account: string) => `${node.urls.account}${backendPath('sdb1', 2, account)}`;

  test('the account lists the container and follows its object count and bytes', async () => {
    const account = unique('AUTH_stats');
    const container = 'photos';
    await createContainer(account, container, 'sdb1', accountHeaders(host(node.urls.account)));
    const listed = JSON.parse((await call('GET', `${accountUrl(account)}?format=json`)).text) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.map((e) => [e.name, e.count, e.bytes]), [['photos', 0, 0]]);

    for (const [i, body] of ['one', 'three', 'seven'].entries()) {
      const res = await call('PUT', `${node.urls.object}${backendPath('sdb1', 9, account, container, `o${i}`)}`, {
        'X-Timestamp': nextTimestamp().internal,
        'Content-Type': 'text/plain',
        ...containerHeaders(host(node.urls.container)),
      }, body);
      assert.equal(res.status, 201);
    }
    const head = await waitFor('the account stats', async () => {
      const h = await call('HEAD', accountUrl(account));
      return h.headers['x-account-bytes-used'] === '13' ? h : undefined;
    });
    assert.equal(head.headers['x-account-object-count'], '3');
    assert.equal(head.headers['x-account-container-count'], '1');
  });

  test('deleting the container removes it from the account', async () => {
    const account = unique('AUTH_del');
    await createContainer(account, 'temp', 'sdb1', accountHeaders(host(node.urls.account)));
    const url = `${node.urls.container}${backendPath('sdb1', 4, account, 'temp')}`;
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal, ...accountHeaders(host(node.urls.account)) })).status, 204);
    assert.equal((await call('GET', accountUrl(account))).status, 204, 'empty listing');
    assert.equal((await call('HEAD', accountUrl(account))).headers['x-account-container-count'], '0');
  });

  test('a container PUT into a deleted account is 404, as every account server said', async () => {
    const account = unique('AUTH_gone');
    await call('PUT', accountUrl(account), { 'X-Timestamp': nextTimestamp().internal });
    await call('DELETE', accountUrl(account), { 'X-Timestamp': nextTimestamp().internal });
    const res = await call('PUT', `${node.urls.container}${backendPath('sdb1', 4, account, 'c')}`, {
      'X-Timestamp': nextTimestamp().internal,
      ...accountHeaders(host(node.urls.account)),
    });
    assert.equal(res.status, 404);
  });

  test('an unreachable account server leaves an async pending with the container stats', async () => {
    const account = unique('AUTH_offline');
    await createContainer(account, 'c', 'sdb2', accountHeaders(closedHost));
    const [found] = (await pendings('sdb2')).filter((p) => p.pending.account === account);
    assert.ok(found, 'an async pending for the account update');
    assert.equal(found.pending.object, undefined);
    assert.equal(found.pending.container, 'c');
    assert.equal(found.pending.headers['X-Object-Count'], '0');
    assert.ok(found.pending.headers['X-Put-Timestamp']);
    assert.deepEqual(JSON.parse(readFileSync(found.path, 'utf8')).targets, [{ host: closedHost, device: 'sdb1', partition: '2' }]);
  });
});
