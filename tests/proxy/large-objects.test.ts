// Static and dynamic large objects: uploading manifests, reading the whole and ranges that
// cross segment boundaries, getting the manifest itself, deleting, and the errors a bad
// SLO manifest gets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Session, TestCluster } from './harness.js';

let cluster: TestCluster;
let s: Session;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
const SEGMENTS = ['aaaaa', 'bbbbbbb', 'ccc']; // 5 + 7 + 3 bytes
const WHOLE = SEGMENTS.join('');

before(async () => {
  cluster = await TestCluster.start();
  s = await Session.login(cluster);
  for (const c of ['segs', 'big']) assert.equal((await s.request('PUT', `/${c}`)).status, 201);
  for (const [i, data] of SEGMENTS.entries()) {
    assert.equal((await s.request('PUT', `/segs/part/${i}`, { body: data })).status, 201);
  }
});

after(() => cluster?.stop());

const manifest = (extra: Record<string, unknown>[] = []) =>
  JSON.stringify([
    ...SEGMENTS.map((data, i) => ({ path: `/segs/part/${i}`, etag: md5(data), size_bytes: data.length })),
    ...extra,
  ]);

describe('static large objects', () => {
  before(async () => {
    const res = await s.request('PUT', '/big/slo?multipart-manifest=put', { body: manifest(), headers: { 'content-type': 'text/x-slo' } });
    assert.equal(res.status, 201, res.text);
  });

  test('PUT answers with the SLO etag: the quoted MD5 of the segment ETags', async () => {
    const res = await s.request('PUT', '/big/slo2?multipart-manifest=put', { body: manifest() });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('etag'), `"${md5(SEGMENTS.map(md5).join(''))}"`);
  });

  test('GET and HEAD give the concatenated segments, total length and SLO etag', async () => {
    const get = await s.request('GET', '/big/slo');
    assert.equal(get.status, 200);
    assert.equal(get.text, WHOLE);
    assert.equal(get.headers.get('content-length'), String(WHOLE.length));
    assert.equal(get.headers.get('content-type'), 'text/x-slo');
    assert.equal(get.headers.get('etag'), `"${md5(SEGMENTS.map(md5).join(''))}"`);
    assert.equal(get.headers.get('x-static-large-object'), 'True');
    const head = await s.request('HEAD', '/big/slo');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(WHOLE.length));
    assert.equal(head.headers.get('etag'), get.headers.get('etag'));
  });

  test('Range requests cross segment boundaries', async () => {
    for (const [range, first, last] of [
      ['bytes=3-9', 3, 9],
      ['bytes=0-4', 0, 4],
      ['bytes=5-5', 5, 5],
      ['bytes=10-', 10, 14],
      ['bytes=-4', 11, 14],
      ['bytes=2-100', 2, 14],
    ] as const) {
      const res = await s.request('GET', '/big/slo', { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.text, WHOLE.slice(first, last + 1), range);
      assert.equal(res.headers.get('content-range'), `bytes ${first}-${last}/${WHOLE.length}`, range);
    }
    const unsatisfiable = await s.request('GET', '/big/slo', { headers: { range: 'bytes=15-20' } });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers.get('content-range'), `bytes */${WHOLE.length}`);
  });

  test('conditional GETs compare the SLO etag', async () => {
    const sloEtag = `"${md5(SEGMENTS.map(md5).join(''))}"`;
    const notModified = await s.request('GET', '/big/slo', { headers: { 'if-none-match': sloEtag } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('etag'), sloEtag);
    assert.equal((await s.request('GET', '/big/slo', { headers: { 'if-match': sloEtag } })).text, WHOLE);
    assert.equal((await s.request('GET', '/big/slo', { headers: { 'if-match': '"nope"' } })).status, 412);
  });

  test('?multipart-manifest=get returns the manifest; format=raw in the PUT format', async () => {
    const res = await s.request('GET', '/big/slo?multipart-manifest=get');
    assert.equal(res.status, 200);
    const entries = JSON.parse(res.text) as { name: string; bytes: number; hash: string }[];
    assert.deepEqual(
      entries.map((e) => [e.name, e.bytes, e.hash]),
      SEGMENTS.map((data, i) => [`/segs/part/${i}`, data.length, md5(data)]),
    );
    const raw = JSON.parse((await s.request('GET', '/big/slo?multipart-manifest=get&format=raw')).text);
    assert.deepEqual(raw, JSON.parse(manifest()));
  });

  test('the container listing shows the total size of the large object', async () => {
    const rows = JSON.parse((await s.request('GET', '/big?format=json&prefix=slo')).text) as Record<string, unknown>[];
    const slo = rows.find((r) => r.name === 'slo')!;
    assert.equal(slo.bytes, WHOLE.length);
    assert.equal(slo.content_type, 'text/x-slo');
  });

  test('segments may use a byte range of their object', async () => {
    const body = JSON.stringify([
      { path: '/segs/part/1', etag: null, size_bytes: null, range: '1-3' },
      { path: '/segs/part/0', etag: null, size_bytes: null, range: '-2' },
    ]);
    assert.equal((await s.request('PUT', '/big/ranged?multipart-manifest=put', { body })).status, 201);
    const get = await s.request('GET', '/big/ranged');
    assert.equal(get.text, 'bbbaa');
    assert.equal((await s.request('GET', '/big/ranged', { headers: { range: 'bytes=2-3' } })).text, 'ba');
  });

  test('an SLO can be a segment of another SLO', async () => {
    const body = JSON.stringify([
      { path: '/big/slo', etag: null, size_bytes: null },
      { path: '/segs/part/2', etag: md5('ccc'), size_bytes: 3 },
    ]);
    assert.equal((await s.request('PUT', '/big/nested?multipart-manifest=put', { body })).status, 201);
    const get = await s.request('GET', '/big/nested');
    assert.equal(get.text, `${WHOLE}ccc`);
    assert.equal((await s.request('GET', '/big/nested', { headers: { range: 'bytes=13-16' } })).text, 'ccccc'.slice(0, 4));
  });

  test('manifest errors: each bad segment is named with its reason, nothing is stored', async () => {
    const body = JSON.stringify([
      { path: '/segs/part/0', etag: md5('wrong'), size_bytes: 5 },
      { path: '/segs/part/1', etag: null, size_bytes: 99 },
      { path: '/segs/missing', etag: null, size_bytes: null },
      { path: '/segs/part/2', etag: null, size_bytes: null, range: '10-20' },
    ]);
    const res = await s.request('PUT', '/big/bad?multipart-manifest=put', { body });
    assert.equal(res.status, 400);
    assert.match(res.text, /^Errors:\n/);
    assert.match(res.text, /\/segs\/part\/0, Etag Mismatch\n/);
    assert.match(res.text, /\/segs\/part\/1, Size Mismatch\n/);
    assert.match(res.text, /\/segs\/missing, 404 Not Found\n/);
    assert.match(res.text, /\/segs\/part\/2, Unsatisfiable Range\n/);
    assert.equal((await s.request('HEAD', '/big/bad')).status, 404);
    const asJson = await s.request('PUT', '/big/bad?multipart-manifest=put', { body, headers: { accept: 'application/json' } });
    assert.equal((JSON.parse(asJson.text) as { Errors: unknown[] }).Errors.length, 4);
  });

  test('malformed manifests are 400, a wrong ETag 422, too many segments 413', async () => {
    // ("[]" is not among them: Swift 2.30 stores an empty manifest, see slo-conformance.test.ts.)
    for (const body of ['not json', '{}', JSON.stringify([{ path: 'nocontainer' }]), JSON.stringify([{ path: '/segs/part/0', bogus: 1 }])]) {
      const res = await s.request('PUT', '/big/bad?multipart-manifest=put', { body });
      assert.equal(res.status, 400, body);
    }
    const wrongEtag = await s.request('PUT', '/big/bad?multipart-manifest=put', { body: manifest(), headers: { etag: md5('nope') } });
    assert.equal(wrongEtag.status, 422);
    const many = JSON.stringify(Array.from({ length: 1001 }, () => ({ path: '/segs/part/0' })));
    assert.equal((await s.request('PUT', '/big/bad?multipart-manifest=put', { body: many })).status, 413);
    assert.equal((await s.request('HEAD', '/big/bad')).status, 404);
  });

  test('copying an SLO makes a plain object of its bytes; with multipart-manifest=get, a new manifest', async () => {
    assert.equal((await s.request('COPY', '/big/slo', { headers: { destination: '/big/slo-flat' } })).status, 201);
    const flat = await s.request('GET', '/big/slo-flat');
    assert.equal(flat.text, WHOLE);
    assert.equal(flat.headers.get('x-static-large-object'), null);
    assert.equal(flat.headers.get('etag'), md5(WHOLE));
    const copy = await s.request('COPY', '/big/slo?multipart-manifest=get', { headers: { destination: '/big/slo-copy' } });
    assert.equal(copy.status, 201);
    const again = await s.request('GET', '/big/slo-copy');
    assert.equal(again.text, WHOLE);
    assert.equal(again.headers.get('x-static-large-object'), 'True');
  });

  test('?multipart-manifest=delete removes the segments and the manifest', async () => {
    for (const [i, data] of ['xx', 'yy'].entries()) await s.request('PUT', `/segs/del/${i}`, { body: data });
    const body = JSON.stringify([{ path: '/segs/del/0' }, { path: '/segs/del/1' }]);
    assert.equal((await s.request('PUT', '/big/todelete?multipart-manifest=put', { body })).status, 201);
    const res = await s.request('DELETE', '/big/todelete?multipart-manifest=delete');
    assert.equal(res.status, 200);
    assert.match(res.text, /Number Deleted: 3\n/);
    assert.match(res.text, /Response Status: 200 OK\n/);
    for (const path of ['/big/todelete', '/segs/del/0', '/segs/del/1']) assert.equal((await s.request('HEAD', path)).status, 404, path);
  });

  test('a missing first segment makes the GET a 409', async () => {
    await s.request('PUT', '/segs/fragile', { body: 'fragile' });
    const body = JSON.stringify([{ path: '/segs/fragile' }, { path: '/segs/part/0' }]);
    assert.equal((await s.request('PUT', '/big/fragile?multipart-manifest=put', { body })).status, 201);
    await s.request('DELETE', '/segs/fragile');
    assert.equal((await s.request('GET', '/big/fragile')).status, 409);
  });
});

describe('dynamic large objects', () => {
  before(async () => {
    await s.request('PUT', '/dlo-segs');
    for (const [i, data] of SEGMENTS.entries()) await s.request('PUT', `/dlo-segs/v1/${String(i).padStart(3, '0')}`, { body: data });
    const res = await s.request('PUT', '/big/dlo', { body: Buffer.alloc(0), headers: { 'x-object-manifest': 'dlo-segs/v1/', 'content-type': 'text/x-dlo' } });
    assert.equal(res.status, 201);
  });

  test('GET and HEAD concatenate the objects under the prefix, in name order', async () => {
    const get = await s.request('GET', '/big/dlo');
    assert.equal(get.status, 200);
    assert.equal(get.text, WHOLE);
    assert.equal(get.headers.get('content-type'), 'text/x-dlo');
    assert.equal(get.headers.get('etag'), `"${md5(SEGMENTS.map(md5).join(''))}"`);
    assert.equal(get.headers.get('x-object-manifest'), 'dlo-segs/v1/');
    const head = await s.request('HEAD', '/big/dlo');
    assert.equal(head.headers.get('content-length'), String(WHOLE.length));
  });

  test('Range requests cross segment boundaries', async () => {
    const res = await s.request('GET', '/big/dlo', { headers: { range: 'bytes=4-12' } });
    assert.equal(res.status, 206);
    assert.equal(res.text, WHOLE.slice(4, 13));
    assert.equal(res.headers.get('content-range'), `bytes 4-12/${WHOLE.length}`);
    assert.equal((await s.request('GET', '/big/dlo', { headers: { range: 'bytes=99-' } })).status, 416);
  });

  test('new segments show up in the next read; multipart-manifest=get returns the manifest object', async () => {
    await s.request('PUT', '/dlo-segs/v1/003', { body: 'dd' });
    assert.equal((await s.request('GET', '/big/dlo')).text, `${WHOLE}dd`);
    const manifestObject = await s.request('GET', '/big/dlo?multipart-manifest=get');
    assert.equal(manifestObject.status, 200);
    assert.equal(manifestObject.text, '');
    assert.equal(manifestObject.headers.get('x-object-manifest'), 'dlo-segs/v1/');
  });

  test('a malformed X-Object-Manifest is 400', async () => {
    for (const value of ['no-slash', '/leading', 'c/']) {
      const res = await s.request('PUT', '/big/bad-dlo', { body: Buffer.alloc(0), headers: { 'x-object-manifest': value } });
      assert.equal(res.status, 400, value);
    }
  });
});
