// Accounts, containers and objects through the Swift API: create, read, update metadata,
// delete, server-side copy and expiry, and the limits Swift puts on names and metadata.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, TestCluster } from './harness.js';

let cluster: TestCluster;
let s: Session;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

before(async () => {
  cluster = await TestCluster.start();
  s = await Session.login(cluster);
});

after(() => cluster?.stop());

describe('accounts', () => {
  test('an account nobody wrote to yet reads as empty (account autocreate)', async () => {
    const fresh = await Session.login(cluster, 'test5:tester5', 'testing5');
    const head = await fresh.request('HEAD', '');
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('x-account-container-count'), '0');
    assert.equal(head.headers.get('x-account-object-count'), '0');
    assert.equal(head.headers.get('x-account-bytes-used'), '0');
    const list = await fresh.request('GET', '?format=json');
    assert.equal(list.status, 200);
    assert.equal(list.text, '[]');
  });

  test('metadata: POST sets it, X-Remove-Account-Meta-* removes it; the first write creates the account', async () => {
    const test2 = await Session.login(cluster, 'test2:tester2', 'testing2');
    const set = await test2.request('POST', '', { headers: { 'x-account-meta-color': 'red', 'x-account-meta-size': 'L' } });
    assert.equal(set.status, 204);
    let head = await test2.request('HEAD', '');
    assert.equal(head.headers.get('x-account-meta-color'), 'red');
    assert.equal(head.headers.get('x-account-meta-size'), 'L');
    assert.equal((await test2.request('POST', '', { headers: { 'x-remove-account-meta-color': 'x' } })).status, 204);
    head = await test2.request('HEAD', '');
    assert.equal(head.headers.get('x-account-meta-color'), null);
    assert.equal(head.headers.get('x-account-meta-size'), 'L');
  });

  test('account PUT and DELETE are not allowed', async () => {
    for (const method of ['PUT', 'DELETE']) {
      const res = await s.request(method, '');
      assert.equal(res.status, 405);
      assert.match(res.headers.get('allow') ?? '', /GET/);
    }
  });
});

describe('containers', () => {
  test('PUT creates (201), again accepts (202), HEAD shows metadata and stats', async () => {
    assert.equal((await s.request('PUT', '/box', { headers: { 'x-container-meta-owner': 'alice' } })).status, 201);
    assert.equal((await s.request('PUT', '/box')).status, 202);
    const head = await s.request('HEAD', '/box');
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('x-container-meta-owner'), 'alice');
    assert.equal(head.headers.get('x-container-object-count'), '0');
    assert.equal(head.headers.get('x-container-bytes-used'), '0');
    assert.ok(head.headers.get('x-timestamp'));
    const account = await s.request('GET', '');
    assert.match(account.text, /^box$/m);
  });

  test('POST changes and removes metadata', async () => {
    await s.request('PUT', '/meta-box');
    assert.equal((await s.request('POST', '/meta-box', { headers: { 'x-container-meta-a': '1', 'x-container-meta-b': '2' } })).status, 204);
    assert.equal((await s.request('POST', '/meta-box', { headers: { 'x-remove-container-meta-a': 'yes' } })).status, 204);
    const head = await s.request('HEAD', '/meta-box');
    assert.equal(head.headers.get('x-container-meta-a'), null);
    assert.equal(head.headers.get('x-container-meta-b'), '2');
    assert.equal((await s.request('POST', '/no-such-box', { headers: { 'x-container-meta-a': '1' } })).status, 404);
  });

  test('DELETE: 409 while objects remain, 204 once empty, then 404', async () => {
    await s.request('PUT', '/doomed');
    await s.request('PUT', '/doomed/o', { body: 'x' });
    assert.equal((await s.request('DELETE', '/doomed')).status, 409);
    assert.equal((await s.request('DELETE', '/doomed/o')).status, 204);
    assert.equal((await s.request('DELETE', '/doomed')).status, 204);
    assert.equal((await s.request('HEAD', '/doomed')).status, 404);
    assert.equal((await s.request('GET', '/doomed')).status, 404);
    assert.equal((await s.request('DELETE', '/doomed')).status, 404);
  });
});

describe('objects', () => {
  before(async () => {
    await s.request('PUT', '/objs');
  });

  test('PUT, GET, HEAD with metadata; the ETag is the MD5 of the body', async () => {
    const body = 'the quick brown fox';
    const put = await s.request('PUT', '/objs/fox.txt', {
      body,
      headers: { 'content-type': 'text/x-fox', 'x-object-meta-animal': 'fox', 'content-disposition': 'inline' },
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('etag'), md5(body));
    assert.ok(put.headers.get('last-modified'));
    const get = await s.request('GET', '/objs/fox.txt');
    assert.equal(get.status, 200);
    assert.equal(get.text, body);
    assert.equal(get.headers.get('content-type'), 'text/x-fox');
    assert.equal(get.headers.get('etag'), md5(body));
    assert.equal(get.headers.get('x-object-meta-animal'), 'fox');
    assert.equal(get.headers.get('content-disposition'), 'inline');
    const head = await s.request('HEAD', '/objs/fox.txt');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(body.length));
    assert.equal(head.body.length, 0);
    const listing = await s.request('GET', '/objs?format=json');
    const entry = (JSON.parse(listing.text) as { name: string; bytes: number; hash: string }[]).find((o) => o.name === 'fox.txt');
    assert.deepEqual([entry?.bytes, entry?.hash], [body.length, md5(body)]);
  });

  test('POST replaces the metadata (202) and may change Content-Type', async () => {
    await s.request('PUT', '/objs/post.txt', { body: 'p', headers: { 'x-object-meta-one': '1', 'x-object-meta-two': '2' } });
    const post = await s.request('POST', '/objs/post.txt', { headers: { 'x-object-meta-three': '3', 'content-type': 'text/x-new' } });
    assert.equal(post.status, 202);
    const head = await s.request('HEAD', '/objs/post.txt');
    assert.equal(head.headers.get('x-object-meta-one'), null);
    assert.equal(head.headers.get('x-object-meta-three'), '3');
    assert.equal(head.headers.get('content-type'), 'text/x-new');
    assert.equal((await s.request('POST', '/objs/missing.txt', { headers: { 'x-object-meta-a': '1' } })).status, 404);
  });

  test('DELETE removes the object from reads and the listing', async () => {
    await s.request('PUT', '/objs/gone.txt', { body: 'bye' });
    assert.equal((await s.request('DELETE', '/objs/gone.txt')).status, 204);
    assert.equal((await s.request('GET', '/objs/gone.txt')).status, 404);
    assert.equal((await s.request('HEAD', '/objs/gone.txt')).status, 404);
    assert.doesNotMatch((await s.request('GET', '/objs')).text, /gone\.txt/);
    assert.equal((await s.request('DELETE', '/objs/gone.txt')).status, 404);
  });

  test('Content-Type is guessed from the name when absent, or on X-Detect-Content-Type', async () => {
    await s.request('PUT', '/objs/data.json', { body: Buffer.from('{}') });
    assert.equal((await s.request('HEAD', '/objs/data.json')).headers.get('content-type'), 'application/json');
    await s.request('PUT', '/objs/blob', { body: Buffer.from('??') });
    assert.equal((await s.request('HEAD', '/objs/blob')).headers.get('content-type'), 'application/octet-stream');
    await s.request('PUT', '/objs/pic.png', { body: 'png', headers: { 'content-type': 'text/plain', 'x-detect-content-type': 'true' } });
    assert.equal((await s.request('HEAD', '/objs/pic.png')).headers.get('content-type'), 'image/png');
  });

  test('names with slashes, spaces and non-ASCII round-trip', async () => {
    const name = 'dir/sub dir/naïve ☃.txt';
    const path = `/objs/${name.split('/').map(encodeURIComponent).join('/')}`;
    assert.equal((await s.request('PUT', path, { body: 'snow' })).status, 201);
    assert.equal((await s.request('GET', path)).text, 'snow');
    const listing = JSON.parse((await s.request('GET', '/objs?format=json&prefix=dir/')).text) as { name: string }[];
    assert.deepEqual(listing.map((o) => o.name), [name]);
  });

  test('Range: one range gives 206, an unsatisfiable one 416', async () => {
    await s.request('PUT', '/objs/digits', { body: '0123456789' });
    const part = await s.request('GET', '/objs/digits', { headers: { range: 'bytes=2-5' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, '2345');
    assert.equal(part.headers.get('content-range'), 'bytes 2-5/10');
    const suffix = await s.request('GET', '/objs/digits', { headers: { range: 'bytes=-3' } });
    assert.equal(suffix.text, '789');
    assert.equal((await s.request('GET', '/objs/digits', { headers: { range: 'bytes=20-30' } })).status, 416);
  });

  test('conditional requests: If-None-Match on PUT and GET, If-Match on GET', async () => {
    await s.request('PUT', '/objs/cond', { body: 'v1' });
    assert.equal((await s.request('PUT', '/objs/cond', { body: 'v2', headers: { 'if-none-match': '*' } })).status, 412);
    assert.equal((await s.request('GET', '/objs/cond')).text, 'v1');
    assert.equal((await s.request('GET', '/objs/cond', { headers: { 'if-none-match': md5('v1') } })).status, 304);
    assert.equal((await s.request('GET', '/objs/cond', { headers: { 'if-match': md5('other') } })).status, 412);
  });

  test('a PUT into a container that does not exist is 404', async () => {
    assert.equal((await s.request('PUT', '/nowhere/o', { body: 'x' })).status, 404);
  });

  test('X-Newest reads ask every replica and answer like a plain read', async () => {
    await s.request('PUT', '/objs/newest', { body: 'fresh' });
    const res = await s.request('GET', '/objs/newest', { headers: { 'x-newest': 'true' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'fresh');
    assert.equal((await s.request('HEAD', '/objs/never', { headers: { 'x-newest': 'true' } })).status, 404);
  });
});

describe('server-side copy', () => {
  before(async () => {
    await s.request('PUT', '/src');
    await s.request('PUT', '/dst');
    await s.request('PUT', '/src/orig.txt', {
      body: 'original',
      headers: { 'content-type': 'text/x-orig', 'x-object-meta-kept': 'yes' },
    });
  });

  test('COPY with Destination copies body, type and metadata; the request may add metadata', async () => {
    const res = await s.request('COPY', '/src/orig.txt', { headers: { destination: '/dst/copy.txt', 'x-object-meta-added': 'new' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-copied-from'), 'src/orig.txt');
    assert.equal(res.headers.get('x-copied-from-account'), 'AUTH_test');
    assert.ok(res.headers.get('x-copied-from-last-modified'));
    const get = await s.request('GET', '/dst/copy.txt');
    assert.equal(get.text, 'original');
    assert.equal(get.headers.get('content-type'), 'text/x-orig');
    assert.equal(get.headers.get('x-object-meta-kept'), 'yes');
    assert.equal(get.headers.get('x-object-meta-added'), 'new');
    assert.equal(get.headers.get('etag'), md5('original'));
  });

  test('PUT with X-Copy-From; X-Fresh-Metadata drops the source metadata', async () => {
    const res = await s.request('PUT', '/dst/fresh.txt', {
      headers: { 'x-copy-from': 'src/orig.txt', 'x-fresh-metadata': 'true', 'x-object-meta-only': 'me' },
    });
    assert.equal(res.status, 201);
    const head = await s.request('HEAD', '/dst/fresh.txt');
    assert.equal(head.headers.get('x-object-meta-kept'), null);
    assert.equal(head.headers.get('x-object-meta-only'), 'me');
    assert.equal((await s.request('GET', '/dst/fresh.txt')).text, 'original');
  });

  test('copy errors: missing source 404, missing Destination 412, a body on X-Copy-From 400', async () => {
    assert.equal((await s.request('COPY', '/src/none', { headers: { destination: 'dst/x' } })).status, 404);
    assert.equal((await s.request('COPY', '/src/orig.txt')).status, 412);
    assert.equal((await s.request('COPY', '/src/orig.txt', { headers: { destination: 'no-slash' } })).status, 412);
    assert.equal((await s.request('PUT', '/dst/bad', { body: 'data', headers: { 'x-copy-from': 'src/orig.txt' } })).status, 400);
    assert.equal((await s.request('HEAD', '/dst/bad')).status, 404);
  });
});

describe('expiry', () => {
  before(async () => {
    await s.request('PUT', '/exp');
  });

  test('X-Delete-After makes the object disappear once the time has passed', async () => {
    // The moment is checked on an object far from expiry: on a loaded machine a PUT can
    // take longer than a one-second X-Delete-After.
    assert.equal((await s.request('PUT', '/exp/hour', { body: 'long', headers: { 'x-delete-after': '3600' } })).status, 201);
    const head = await s.request('HEAD', '/exp/hour');
    assert.equal(head.status, 200);
    const deleteAt = Number(head.headers.get('x-delete-at'));
    assert.ok(Math.abs(deleteAt - (Date.now() / 1000 + 3600)) < 30, `X-Delete-At ${deleteAt}`);
    assert.equal((await s.request('PUT', '/exp/short', { body: 'brief', headers: { 'x-delete-after': '1' } })).status, 201);
    await sleep(2100);
    assert.equal((await s.request('GET', '/exp/short')).status, 404);
    assert.equal((await s.request('HEAD', '/exp/short')).status, 404);
  });

  test('X-Delete-At in the past or not an integer is 400; POST can set it', async () => {
    const past = String(Math.floor(Date.now() / 1000) - 10);
    const res = await s.request('PUT', '/exp/past', { body: 'x', headers: { 'x-delete-at': past } });
    assert.equal(res.status, 400);
    assert.match(res.text, /X-Delete-At in past/);
    assert.equal((await s.request('PUT', '/exp/nan', { body: 'x', headers: { 'x-delete-at': 'soon' } })).status, 400);
    assert.equal((await s.request('PUT', '/exp/neg', { body: 'x', headers: { 'x-delete-after': '-5' } })).status, 400);
    await s.request('PUT', '/exp/later', { body: 'x' });
    const at = String(Math.floor(Date.now() / 1000) + 3600);
    assert.equal((await s.request('POST', '/exp/later', { headers: { 'x-delete-at': at } })).status, 202);
    assert.equal((await s.request('HEAD', '/exp/later')).headers.get('x-delete-at'), at);
  });
});

describe('limits', () => {
  before(async () => {
    await s.request('PUT', '/lim');
  });

  test('metadata over Swift limits is 400 with the reason', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ [`x-object-meta-${'n'.repeat(129)}`]: 'v' }, /Metadata name too long/],
      [{ 'x-object-meta-big': 'v'.repeat(257) }, /Metadata value longer than 256/],
      [Object.fromEntries(Array.from({ length: 91 }, (_, i) => [`x-object-meta-m${i}`, 'v'])), /Too many metadata items; max 90/],
      [Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-object-meta-k${i}`, 'v'.repeat(250)])), /Total metadata too large; max 4096/],
    ];
    for (const [headers, reason] of cases) {
      const res = await s.request('PUT', '/lim/meta', { body: 'x', headers });
      assert.equal(res.status, 400);
      assert.match(res.text, reason);
    }
    const container = await s.request('POST', '/lim', { headers: { 'x-container-meta-big': 'v'.repeat(257) } });
    assert.equal(container.status, 400);
    assert.equal((await s.request('HEAD', '/lim/meta')).status, 404);
  });

  test('names over their length limits are 400; invalid UTF-8 in the path is 412', async () => {
    const longObject = await s.request('PUT', `/lim/${'o'.repeat(1025)}`, { body: 'x' });
    assert.equal(longObject.status, 400);
    assert.match(longObject.text, /Object name length of 1025 longer than 1024/);
    assert.equal((await s.request('PUT', `/lim/${'o'.repeat(1024)}`, { body: 'x' })).status, 201);
    assert.equal((await s.request('PUT', `/${'c'.repeat(257)}`)).status, 400);
    assert.equal((await s.request('GET', '/lim/%FF%FE')).status, 412);
    assert.equal((await s.request('PUT', '/lim/nul%00byte', { body: 'x' })).status, 412);
  });

  test('a wrong ETag is 422 and stores nothing', async () => {
    const res = await s.request('PUT', '/lim/etag', { body: 'content', headers: { etag: md5('other content') } });
    assert.equal(res.status, 422);
    assert.equal((await s.request('HEAD', '/lim/etag')).status, 404);
    assert.equal((await s.request('PUT', '/lim/etag', { body: 'content', headers: { etag: md5('content') } })).status, 201);
  });

  test('a client may not set reserved headers', async () => {
    const res = await s.request('PUT', '/lim/slo', { body: '[]', headers: { 'x-static-large-object': 'true' } });
    assert.equal(res.status, 400);
    await s.request('PUT', '/lim/sys', { body: 'x', headers: { 'x-object-sysmeta-secret': 'mine' } });
    assert.equal((await s.request('HEAD', '/lim/sys')).headers.get('x-object-sysmeta-secret'), null);
  });

  test('unknown methods are 405', async () => {
    assert.equal((await s.request('PATCH', '/lim/x')).status, 405);
  });
});
