// The container server: containers, their metadata and stats, the object rows object
// servers send, and listings with Swift's parameters.
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
const containerUrl = (name = `c${++counter}`) => `${node.urls.container}${backendPath('sdb1', 3, 'AUTH_test', name)}`;
const rowUrl = (container: string, object: string) => `${container}/${object.split('/').map(encodeURIComponent).join('/')}`;

async function createContainer(headers: Record<string, string> = {}): Promise<string> {
  const url = containerUrl();
  const res = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, ...headers });
  assert.equal(res.status, 201);
  return url;
}

async function putRow(container: string, name: string, size = 1, extra: Record<string, string> = {}) {
  const res = await call('PUT', rowUrl(container, name), {
    'X-Timestamp': nextTimestamp().internal,
    'X-Size': size,
    'X-Content-Type': 'text/plain',
    'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e',
    ...extra,
  });
  assert.equal(res.status, 201, `row ${name}`);
}

const listNames = async (url: string, query: string) => {
  const res = await call('GET', `${url}?format=json&${query}`);
  assert.equal(res.status, 200, `${query}: ${res.text}`);
  return (JSON.parse(res.text) as Array<{ name?: string; subdir?: string }>).map((e) => e.name ?? `subdir:${e.subdir}`);
};

describe('containers', () => {
  test('PUT creates (201), PUT again updates (202); HEAD shows stats and metadata', async () => {
    const url = containerUrl();
    const created = nextTimestamp();
    assert.equal((await call('PUT', url, { 'X-Timestamp': created.internal, 'X-Container-Meta-Color': 'red', 'X-Container-Read': '.r:*' })).status, 201);
    const updated = nextTimestamp();
    assert.equal((await call('PUT', url, { 'X-Timestamp': updated.internal, 'X-Container-Sysmeta-Versions': 'v' })).status, 202);

    const head = await call('HEAD', url);
    assert.equal(head.status, 204);
    assert.equal(head.headers['x-container-object-count'], '0');
    assert.equal(head.headers['x-container-bytes-used'], '0');
    assert.equal(head.headers['x-container-meta-color'], 'red');
    assert.equal(head.headers['x-container-read'], '.r:*');
    assert.equal(head.headers['x-container-sysmeta-versions'], 'v');
    assert.equal(head.headers['x-put-timestamp'], updated.normal);
    assert.ok(head.headers['x-timestamp'], 'X-Timestamp (creation time)');
  });

  test('POST updates metadata (204); a newer value wins per key; empty removes', async () => {
    const url = await createContainer({ 'X-Container-Meta-A': '1', 'X-Container-Meta-B': '1' });
    const older = nextTimestamp();
    const newer = nextTimestamp();
    assert.equal((await call('POST', url, { 'X-Timestamp': newer.internal, 'X-Container-Meta-A': '2', 'X-Container-Meta-B': '' })).status, 204);
    assert.equal((await call('POST', url, { 'X-Timestamp': older.internal, 'X-Container-Meta-A': 'stale' })).status, 204);
    const head = await call('HEAD', url);
    assert.equal(head.headers['x-container-meta-a'], '2');
    assert.equal(head.headers['x-container-meta-b'], undefined);
    assert.equal((await call('POST', containerUrl('never-made'), { 'X-Timestamp': nextTimestamp().internal })).status, 404);
  });

  test('object rows make the stats; newest timestamp wins; deleted rows are not listed', async () => {
    const url = await createContainer();
    await putRow(url, 'a', 10);
    await putRow(url, 'b', 20);
    const older = nextTimestamp();
    const newer = nextTimestamp();
    const row = (ts: string, size: number, etag: string) => ({ 'X-Timestamp': ts, 'X-Size': size, 'X-Content-Type': 'text/plain', 'X-Etag': etag });
    assert.equal((await call('PUT', rowUrl(url, 'c'), row(newer.internal, 30, 'new'))).status, 201);
    assert.equal((await call('PUT', rowUrl(url, 'c'), row(older.internal, 99, 'old'))).status, 201, 'an older update is accepted but ignored');

    let head = await call('HEAD', url);
    assert.equal(head.headers['x-container-object-count'], '3');
    assert.equal(head.headers['x-container-bytes-used'], '60');
    const listing = JSON.parse((await call('GET', `${url}?format=json`)).text) as Array<Record<string, unknown>>;
    assert.deepEqual(listing.find((e) => e.name === 'c'), {
      name: 'c',
      hash: 'new',
      bytes: 30,
      content_type: 'text/plain',
      last_modified: isoformat(newer.ticks),
    });

    const deleteTs = nextTimestamp();
    assert.equal((await call('DELETE', rowUrl(url, 'a'), { 'X-Timestamp': deleteTs.internal })).status, 204);
    assert.equal((await call('PUT', rowUrl(url, 'a'), row(older.internal, 10, 'x'))).status, 201);
    head = await call('HEAD', url);
    assert.equal(head.headers['x-container-object-count'], '2', 'an older PUT does not bring a deleted row back');
    assert.equal(head.headers['x-container-bytes-used'], '50');
    assert.deepEqual(await listNames(url, ''), ['b', 'c']);
  });

  test('many concurrent object rows for one container are all counted', async () => {
    const url = await createContainer();
    await Promise.all(Array.from({ length: 60 }, (_, i) => putRow(url, `parallel-${String(i).padStart(2, '0')}`, i)));
    const head = await call('HEAD', url);
    assert.equal(head.headers['x-container-object-count'], '60');
    assert.equal(head.headers['x-container-bytes-used'], String((59 * 60) / 2));
    assert.equal((await listNames(url, 'limit=10000')).length, 60);
  });

  test('an object row for a container that does not exist is 404', async () => {
    const res = await call('PUT', rowUrl(containerUrl('nothing-here'), 'o'), {
      'X-Timestamp': nextTimestamp().internal,
      'X-Size': 1,
      'X-Content-Type': 'text/plain',
      'X-Etag': 'x',
    });
    assert.equal(res.status, 404);
    assert.equal((await call('PUT', rowUrl(containerUrl(), 'o'), { 'X-Timestamp': nextTimestamp().internal })).status, 400, 'row without X-Size');
  });

  test('DELETE: 409 while objects remain, 204 when empty, then 404; a stale PUT does not revive it', async () => {
    const url = await createContainer({ 'X-Container-Meta-Gone': 'soon' });
    await putRow(url, 'obj');
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal })).status, 409);
    const stalePut = nextTimestamp();
    assert.equal((await call('DELETE', rowUrl(url, 'obj'), { 'X-Timestamp': nextTimestamp().internal })).status, 204);
    const deleteTs = nextTimestamp();
    assert.equal((await call('DELETE', url, { 'X-Timestamp': deleteTs.internal })).status, 204);

    const head = await call('HEAD', url);
    assert.equal(head.status, 404);
    assert.equal(head.headers['x-backend-delete-timestamp'], deleteTs.internal);
    assert.equal((await call('GET', url)).status, 404);
    assert.equal((await call('DELETE', url, { 'X-Timestamp': nextTimestamp().internal })).status, 404);
    assert.equal((await call('PUT', url, { 'X-Timestamp': stalePut.internal })).status, 409, 'a PUT older than the delete');

    assert.equal((await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal })).status, 201, 'recreated');
    const again = await call('HEAD', url);
    assert.equal(again.status, 204);
    assert.equal(again.headers['x-container-meta-gone'], undefined, 'a deleted container forgets its metadata');
    assert.equal((await call('DELETE', containerUrl('never-was'), { 'X-Timestamp': nextTimestamp().internal })).status, 404);
  });

  test('POST changing only the content type shows in the listing; size and etag stay', async () => {
    const url = await createContainer();
    const data = nextTimestamp();
    await call('PUT', rowUrl(url, 'o'), { 'X-Timestamp': data.internal, 'X-Size': 5, 'X-Content-Type': 'text/plain', 'X-Etag': 'e1' });
    const meta = nextTimestamp();
    await call('PUT', rowUrl(url, 'o'), {
      'X-Timestamp': data.internal,
      'X-Size': 5,
      'X-Content-Type': 'image/png',
      'X-Content-Type-Timestamp': meta.internal,
      'X-Meta-Timestamp': meta.internal,
      'X-Etag': 'e1',
    });
    const [entry] = JSON.parse((await call('GET', `${url}?format=json`)).text) as Array<Record<string, unknown>>;
    assert.equal(entry!.content_type, 'image/png');
    assert.equal(entry!.bytes, 5);
    assert.equal(entry!.last_modified, isoformat(meta.ticks));
  });

  test('an SLO manifest lists with the size in its swift_bytes', async () => {
    const url = await createContainer();
    await putRow(url, 'manifest', 300, { 'X-Content-Type': 'application/octet-stream;swift_bytes=1048576' });
    const [entry] = JSON.parse((await call('GET', `${url}?format=json`)).text) as Array<Record<string, unknown>>;
    assert.equal(entry!.bytes, 1048576);
    assert.equal(entry!.content_type, 'application/octet-stream');
    assert.equal((await call('HEAD', url)).headers['x-container-bytes-used'], '300');
  });
});

describe('container listings', () => {
  let url: string;
  const names = ['a', 'b/1', 'b/2', 'b/3/x', 'c', 'c/d', 'd-é', 'e'];
  before(async () => {
    url = await createContainer();
    for (const name of [...names].reverse()) await putRow(url, name);
  });

  test('all names, sorted; plain text by default', async () => {
    assert.deepEqual(await listNames(url, ''), names);
    const plain = await call('GET', url);
    assert.equal(plain.status, 200);
    assert.match(plain.headers['content-type']!, /^text\/plain/);
    assert.equal(plain.text, `${names.join('\n')}\n`);
    const accept = await call('GET', url, { Accept: 'application/json' });
    assert.match(accept.headers['content-type']!, /^application\/json/);
  });

  test('limit, marker, end_marker, prefix, reverse', async () => {
    assert.deepEqual(await listNames(url, 'limit=2'), ['a', 'b/1']);
    assert.deepEqual(await listNames(url, 'marker=b%2F2'), ['b/3/x', 'c', 'c/d', 'd-é', 'e']);
    assert.deepEqual(await listNames(url, 'end_marker=b%2F3'), ['a', 'b/1', 'b/2']);
    assert.deepEqual(await listNames(url, 'prefix=b%2F'), ['b/1', 'b/2', 'b/3/x']);
    assert.deepEqual(await listNames(url, 'prefix=c&marker=c'), ['c/d']);
    assert.deepEqual(await listNames(url, 'reverse=true&limit=3'), ['e', 'd-é', 'c/d']);
    assert.deepEqual(await listNames(url, 'reverse=on&marker=c&end_marker=a'), ['b/3/x', 'b/2', 'b/1']);
    assert.deepEqual(await listNames(url, 'prefix=d-%C3%A9'), ['d-é']);
    assert.deepEqual(await listNames(url, 'limit=0'), []);
  });

  test('delimiter rolls names up into subdir entries', async () => {
    assert.deepEqual(await listNames(url, 'delimiter=%2F'), ['a', 'subdir:b/', 'c', 'subdir:c/', 'd-é', 'e']);
    assert.deepEqual(await listNames(url, 'delimiter=%2F&prefix=b%2F'), ['b/1', 'b/2', 'subdir:b/3/']);
    assert.deepEqual(await listNames(url, 'delimiter=%2F&marker=b%2F'), ['c', 'subdir:c/', 'd-é', 'e']);
    assert.deepEqual(await listNames(url, 'delimiter=%2F&reverse=yes'), ['e', 'd-é', 'subdir:c/', 'c', 'subdir:b/', 'a']);
    assert.deepEqual(await listNames(url, 'delimiter=%2F&limit=2'), ['a', 'subdir:b/']);
  });

  test('a delimiter of several characters (Swift >= 2.23), and path= for one pseudo-directory', async () => {
    assert.deepEqual(await listNames(url, 'delimiter=%2F3'), ['a', 'b/1', 'b/2', 'subdir:b/3', 'c', 'c/d', 'd-é', 'e']);
    assert.deepEqual(await listNames(url, 'delimiter=%2F3&reverse=true&limit=5'), ['e', 'd-é', 'c/d', 'c', 'subdir:b/3']);
    assert.deepEqual(await listNames(url, 'path=b'), ['b/1', 'b/2']);
    assert.deepEqual(await listNames(url, 'path=b%2F%2F&prefix=c&delimiter=-'), ['b/1', 'b/2']);
    assert.deepEqual(await listNames(url, 'path='), ['a', 'c', 'd-é', 'e']);
  });

  test('limit above 10000 is 412; XML is not offered (406)', async () => {
    const tooMany = await call('GET', `${url}?limit=10001`);
    assert.equal(tooMany.status, 412);
    assert.match(tooMany.text, /Maximum limit is 10000/);
    assert.equal((await call('GET', `${url}?format=xml`)).status, 406);
    assert.equal((await call('GET', `${url}?prefix=%FF`)).status, 400);
  });

  test('an empty listing: 204 in plain text, [] in JSON', async () => {
    const empty = await createContainer();
    const plain = await call('GET', empty);
    assert.equal(plain.status, 204);
    const json = await call('GET', `${empty}?format=json`);
    assert.equal(json.status, 200);
    assert.equal(json.text, '[]');
    assert.equal(json.headers['x-container-object-count'], '0');
  });
});

/** Swift's listing time format for a timestamp of `ticks` (10 µs units). */
function isoformat(ticks: number): string {
  const seconds = Math.floor(ticks / 100_000);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String((ticks % 100_000) * 10).padStart(6, '0')}`;
}
