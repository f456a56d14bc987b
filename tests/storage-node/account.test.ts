// The account server: accounts, their metadata, the container rows container servers
// report, stats and listings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backendPath, call, nextTimestamp, startNode, type StorageNodeProcess } from './harness.js';

let node: StorageNodeProcess;
before(async () => {
  node = await startNode();
});
after(async () => {
  await node.destroy();
});

let counter = 0;
const accountUrl = (name = `AUTH_acct${++counter}`) => `${node.urls.account}${backendPath('sdb1', 5, name)}`;

async function reportContainer(account: string, name: string, row: { put?: string; del?: string; count?: number; bytes?: number; ts?: string }) {
  return call('PUT', `${account}/${encodeURIComponent(name)}`, {
    'X-Put-Timestamp': row.put ?? nextTimestamp().internal,
    'X-Delete-Timestamp': row.del ?? '0',
    'X-Object-Count': row.count ?? 0,
    'X-Bytes-Used': row.bytes ?? 0,
    'X-Timestamp': row.ts ?? nextTimestamp().internal,
  });
}

describe('accounts', () => {
  test('PUT creates (201) then updates (202); HEAD shows metadata; POST changes it', async () => {
    const url = accountUrl();
    assert.equal((await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Account-Meta-Owner': 'alice' })).status, 201);
    assert.equal((await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal })).status, 202);
    assert.equal((await call('POST', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Account-Sysmeta-Core-Access-Control': '{}' })).status, 204);
    const head = await call('HEAD', url);
    assert.equal(head.status, 204);
    assert.equal(head.headers['x-account-meta-owner'], 'alice');
    assert.equal(head.headers['x-account-sysmeta-core-access-control'], '{}');
    assert.equal(head.headers['x-account-container-count'], '0');
    assert.equal((await call('HEAD', accountUrl('AUTH_nobody'))).status, 404);
  });

  test('container rows make the listing and the stats; newest counts win', async () => {
    const url = accountUrl();
    await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal });
    const put = nextTimestamp();
    const olderReport = nextTimestamp();
    assert.equal((await reportContainer(url, 'photos', { put: put.internal, count: 3, bytes: 300 })).status, 201);
    assert.equal((await reportContainer(url, 'docs', { count: 1, bytes: 10 })).status, 201);
    assert.equal((await reportContainer(url, 'photos', { put: put.internal, count: 1, bytes: 1, ts: olderReport.internal })).status, 201);

    const head = await call('HEAD', url);
    assert.equal(head.headers['x-account-container-count'], '2');
    assert.equal(head.headers['x-account-object-count'], '4', 'the older report of photos is ignored');
    assert.equal(head.headers['x-account-bytes-used'], '310');

    const listing = JSON.parse((await call('GET', `${url}?format=json`)).text) as Array<Record<string, unknown>>;
    assert.deepEqual(listing.map((e) => e.name), ['docs', 'photos']);
    const photos = listing[1]!;
    assert.equal(photos.count, 3);
    assert.equal(photos.bytes, 300);
    assert.match(String(photos.last_modified), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal((await call('GET', url)).text, 'docs\nphotos\n');
    assert.deepEqual(
      (JSON.parse((await call('GET', `${url}?format=json&prefix=p`)).text) as Array<{ name: string }>).map((e) => e.name),
      ['photos'],
    );
  });

  test('a deleted container leaves the listing and the stats', async () => {
    const url = accountUrl();
    const put = nextTimestamp();
    await reportContainer(url, 'temp', { put: put.internal, count: 0 });
    await reportContainer(url, 'kept', { count: 2, bytes: 20 });
    const gone = await reportContainer(url, 'temp', { put: put.internal, del: nextTimestamp().internal });
    assert.equal(gone.status, 204);
    assert.equal((await call('GET', url)).text, 'kept\n');
    assert.equal((await call('HEAD', url)).headers['x-account-container-count'], '1');
  });

  test('a container row creates its account when missing (account autocreate)', async () => {
    const url = accountUrl();
    assert.equal((await call('HEAD', url)).status, 404);
    assert.equal((await reportContainer(url, 'first', { count: 1, bytes: 5 })).status, 201);
    const head = await call('HEAD', url);
    assert.equal(head.status, 204);
    assert.equal(head.headers['x-account-container-count'], '1');
  });

  test('DELETE marks the account deleted: 404 with X-Account-Status, no recreation yet', async () => {
    const url = accountUrl();
    await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Account-Meta-A': '1' });
    const deleted = await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal });
    assert.equal(deleted.status, 204);
    const head = await call('HEAD', url);
    assert.equal(head.status, 404);
    assert.equal(head.headers['x-account-status'], 'Deleted');
    assert.equal((await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal })).status, 403);
    assert.equal((await reportContainer(url, 'late', {})).status, 404);
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal })).status, 404);
  });

  test('bad requests: row without counts 400, limit > 10000 412, empty JSON listing []', async () => {
    const url = accountUrl();
    await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal });
    assert.equal((await call('PUT', `${url}/c`, { 'X-Put-Timestamp': nextTimestamp().internal })).status, 400);
    assert.equal((await call('GET', `${url}?limit=20000`)).status, 412);
    assert.equal((await call('GET', url)).status, 204);
    assert.equal((await call('GET', `${url}?format=json`)).text, '[]');
    assert.equal((await call('PUT', url)).status, 400, 'no X-Timestamp');
    assert.equal((await call('DELETE', `${url}/c`, { 'X-Timestamp': nextTimestamp().internal })).status, 400);
  });
});
