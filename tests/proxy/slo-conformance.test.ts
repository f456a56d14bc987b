// Static large objects as Swift 2.30's slo middleware answers: inline data segments mixed
// with object segments (PUT, GET with ranges, ETag, size, manifest, raw format, delete),
// every manifest error with Swift's exact status and text, heartbeat PUTs, bulk-style
// delete reports, X-Manifest-Etag, conditional requests, and UTF-8 names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Session, TestCluster, type Response } from './harness.js';

let cluster: TestCluster;
let s: Session;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64');
/** A header value as fetch must send it (its UTF-8 bytes as a ByteString). */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

const A = 'aaaaa';
const B = 'bbbbbbb';
const UTF8_CONTAINER = '日本';
const UTF8_SEGMENT = '段😀';
const U = 'uuu';

before(async () => {
  cluster = await TestCluster.start({ proxy: { slo_yield_frequency_ms: 1 } });
  s = await Session.login(cluster);
  for (const c of ['segs', 'slo', enc(UTF8_CONTAINER)]) assert.equal((await s.request('PUT', `/${c}`)).status, 201);
  assert.equal((await s.request('PUT', '/segs/a', { body: A })).status, 201);
  assert.equal((await s.request('PUT', '/segs/b', { body: B })).status, 201);
  assert.equal((await s.request('PUT', `/${enc(UTF8_CONTAINER)}/${enc(UTF8_SEGMENT)}`, { body: U })).status, 201);
});

after(() => cluster?.stop());

const putManifest = (name: string, manifest: unknown, headers: Record<string, string> = {}, query = '') =>
  s.request('PUT', `/slo/${name}?multipart-manifest=put${query}`, {
    body: typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
    headers,
  });

/** The parts of a multipart/byteranges body: each part's Content-Range and bytes. */
function byteranges(res: Response): { range: string; body: string }[] {
  const boundary = /boundary=(\w+)/.exec(res.headers.get('content-type') ?? '')![1]!;
  const text = res.text;
  assert.ok(text.endsWith(`--${boundary}--`), 'closing boundary');
  return text
    .slice(0, -`--${boundary}--`.length)
    .split(`--${boundary}\r\n`)
    .slice(1)
    .map((part) => {
      const [head, body] = part.split('\r\n\r\n');
      return { range: /Content-Range: (.*)/.exec(head!)![1]!, body: body!.slice(0, -2) };
    });
}

describe('inline data segments', () => {
  const HEAD_DATA = 'head-';
  const TAIL_DATA = '-tail';
  const WHOLE = HEAD_DATA + A + TAIL_DATA + B;
  const sloEtag = md5(md5(HEAD_DATA) + md5(A) + md5(TAIL_DATA) + md5(B));
  const manifest = [
    { data: b64(HEAD_DATA) },
    { path: '/segs/a', etag: md5(A), size_bytes: A.length },
    { data: b64(TAIL_DATA) },
    { path: 'segs/b' },
  ];

  before(async () => {
    const res = await putManifest('mixed', manifest, { 'content-type': 'text/x-mixed' });
    assert.equal(res.status, 201, res.text);
  });

  test('PUT answers 201 with the quoted SLO ETag: data segments count as the MD5 of their bytes', async () => {
    const res = await putManifest('mixed2', manifest);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('etag'), `"${sloEtag}"`);
  });

  test('GET and HEAD: the bytes in order, the total size, the SLO ETag, X-Static-Large-Object and X-Manifest-Etag', async () => {
    const get = await s.request('GET', '/slo/mixed');
    assert.equal(get.status, 200);
    assert.equal(get.text, WHOLE);
    assert.equal(get.headers.get('content-length'), String(WHOLE.length));
    assert.equal(get.headers.get('content-type'), 'text/x-mixed');
    assert.equal(get.headers.get('etag'), `"${sloEtag}"`);
    assert.equal(get.headers.get('x-static-large-object'), 'True');
    assert.equal(get.headers.get('accept-ranges'), 'bytes');
    const stored = await s.request('GET', '/slo/mixed?multipart-manifest=get');
    assert.equal(get.headers.get('x-manifest-etag'), md5(stored.body));
    const head = await s.request('HEAD', '/slo/mixed');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(WHOLE.length));
    assert.equal(head.headers.get('etag'), `"${sloEtag}"`);
    assert.equal(head.headers.get('x-manifest-etag'), md5(stored.body));
    assert.equal(head.body.length, 0);
  });

  test('one range crosses data and object segments; the ranged answer keeps the SLO ETag', async () => {
    for (const [range, first, last] of [
      ['bytes=3-7', 3, 7],
      ['bytes=0-0', 0, 0],
      ['bytes=10-12', 10, 12],
      ['bytes=-9', WHOLE.length - 9, WHOLE.length - 1],
      ['bytes=14-', 14, WHOLE.length - 1],
    ] as const) {
      const res = await s.request('GET', '/slo/mixed', { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.text, WHOLE.slice(first, last + 1), range);
      assert.equal(res.headers.get('content-range'), `bytes ${first}-${last}/${WHOLE.length}`, range);
      assert.equal(res.headers.get('etag'), `"${sloEtag}"`, range);
    }
  });

  test('several ranges are one multipart/byteranges answer, each part under the SLO Content-Type', async () => {
    const res = await s.request('GET', '/slo/mixed', { headers: { range: 'bytes=0-2,8-12,-2' } });
    assert.equal(res.status, 206);
    assert.match(res.headers.get('content-type')!, /^multipart\/byteranges;boundary=[0-9a-f]{32}$/);
    assert.equal(res.headers.get('etag'), `"${sloEtag}"`);
    assert.equal(res.headers.get('content-length'), String(res.body.length));
    const parts = byteranges(res);
    const n = WHOLE.length;
    assert.deepEqual(parts, [
      { range: `bytes 0-2/${n}`, body: WHOLE.slice(0, 3) },
      { range: `bytes 8-12/${n}`, body: WHOLE.slice(8, 13) },
      { range: `bytes ${n - 2}-${n - 1}/${n}`, body: WHOLE.slice(-2) },
    ]);
    assert.match(res.text, /Content-Type: text\/x-mixed\r\n/);
  });

  test('a range past the end is 416 with Content-Range: bytes */<SLO size>; HEAD ignores Range', async () => {
    const res = await s.request('GET', '/slo/mixed', { headers: { range: `bytes=${WHOLE.length}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${WHOLE.length}`);
    assert.equal(res.text, '<html><h1>Requested Range Not Satisfiable</h1><p>The Range requested is not available.</p></html>');
    const head = await s.request('HEAD', '/slo/mixed', { headers: { range: 'bytes=0-1' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(WHOLE.length));
  });

  test('?multipart-manifest=get: the stored manifest as Python writes it, data entries as given', async () => {
    const res = await s.request('GET', '/slo/mixed?multipart-manifest=get');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('x-static-large-object'), 'True');
    assert.equal(res.headers.get('etag'), md5(res.body));
    assert.match(
      res.text,
      new RegExp(
        `^\\[\\{"data": "${b64(HEAD_DATA)}"\\}, \\{"name": "/segs/a", "bytes": 5, "hash": "${md5(A)}", ` +
          `"content_type": "text/plain", "last_modified": "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000000"\\}, ` +
          `\\{"data": "${b64(TAIL_DATA)}"\\}, \\{"name": "/segs/b", "bytes": 7, "hash": "${md5(B)}", `,
      ),
    );
  });

  test('?format=raw: the PUT format (keys sorted) under the SLO Content-Type, and it can be PUT back as it is', async () => {
    const res = await s.request('GET', '/slo/mixed?multipart-manifest=get&format=raw');
    assert.equal(res.status, 200);
    assert.equal(
      res.text,
      `[{"data": "${b64(HEAD_DATA)}"}, {"etag": "${md5(A)}", "path": "/segs/a", "size_bytes": 5}, ` +
        `{"data": "${b64(TAIL_DATA)}"}, {"etag": "${md5(B)}", "path": "/segs/b", "size_bytes": 7}]`,
    );
    assert.equal(res.headers.get('content-type'), 'text/x-mixed');
    assert.equal(res.headers.get('etag'), md5(res.body));
    assert.equal(res.headers.get('content-length'), String(res.body.length));
    const again = await putManifest('from-raw', res.text);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('etag'), `"${sloEtag}"`);
  });

  test('COPY ?multipart-manifest=get copies the manifest, inline data included: the same SLO', async () => {
    const res = await s.request('COPY', '/slo/mixed?multipart-manifest=get', { headers: { destination: '/slo/mixed-copy' } });
    assert.equal(res.status, 201);
    const get = await s.request('GET', '/slo/mixed-copy');
    assert.equal(get.text, WHOLE);
    assert.equal(get.headers.get('etag'), `"${sloEtag}"`);
    assert.equal(get.headers.get('content-type'), 'text/x-mixed');
    const flat = await s.request('COPY', '/slo/mixed', { headers: { destination: '/slo/mixed-flat', range: 'bytes=3-7' } });
    assert.equal(flat.status, 201);
    const flatGet = await s.request('GET', '/slo/mixed-flat');
    assert.equal(flatGet.text, WHOLE.slice(3, 8));
    assert.equal(flatGet.headers.get('x-static-large-object'), null);
    assert.equal(flatGet.headers.get('etag'), md5(WHOLE.slice(3, 8)));
  });

  test('data is stored with standard padding; padding beyond it is accepted', async () => {
    const res = await putManifest('padded', [{ path: '/segs/a' }, { data: 'eA===' }]);
    assert.equal(res.status, 201, res.text);
    const raw = await s.request('GET', '/slo/padded?multipart-manifest=get&format=raw');
    assert.match(raw.text, /\{"data": "eA=="\}\]$/);
    assert.equal((await s.request('GET', '/slo/padded')).text, `${A}x`);
  });

  test('the container listing shows the SLO size', async () => {
    const rows = JSON.parse((await s.request('GET', '/slo?format=json&prefix=mixed')).text) as { name: string; bytes: number }[];
    assert.equal(rows.find((r) => r.name === 'mixed')!.bytes, WHOLE.length);
  });

  test('?multipart-manifest=delete deletes the object segments and the manifest; data has nothing to delete', async () => {
    assert.equal((await s.request('PUT', '/segs/d1', { body: 'd1d1' })).status, 201);
    assert.equal((await putManifest('to-delete', [{ data: b64('x') }, { path: '/segs/d1' }, { data: b64('y') }])).status, 201);
    const res = await s.request('DELETE', '/slo/to-delete?multipart-manifest=delete');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(res.text, 'Number Deleted: 2\nNumber Not Found: 0\nResponse Body: \nResponse Status: 200 OK\nErrors:\n');
    assert.equal((await s.request('HEAD', '/segs/d1')).status, 404);
    assert.equal((await s.request('HEAD', '/slo/to-delete')).status, 404);
  });
});

describe('manifest checks: Swift’s statuses and texts', () => {
  test('every bad entry is one "Index N:" line of one text/plain 400', async () => {
    const body = [
      { data: '!!!!' },
      { data: '' },
      { data: 'YQ' },
      { path: '/segs/a', data: 'YQ==' },
      { path: 'nocontainer' },
      { path: '/segs/a', range: '1-2,3-4' },
      { path: '/segs/a', size_bytes: 'x' },
      { path: '/segs/a', size_bytes: 0 },
      { path: 5 },
      { path: '/segs/a', etag: 5 },
      { path: '/segs/a', range: '9-', size_bytes: 5 },
      'a string',
      {},
      { path: '/segs/a', zzz: 1, alpha: 2 },
      { path: '/slo/self' },
      { path: '/segs/a', range: 'abc' },
      { path: '/segs/a' },
    ];
    const res = await putManifest('self', body);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(
      res.text,
      [
        'Index 0: data must be valid base64',
        'Index 1: too small; each segment must be at least 1 byte.',
        'Index 2: data must be valid base64',
        'Index 3: extraneous keys "path"',
        'Index 4: path does not refer to an object. Path must be of the form /container/object.',
        'Index 5: multiple ranges (only one allowed)',
        'Index 6: invalid size_bytes',
        'Index 7: too small; each segment must be at least 1 byte.',
        'Index 8: "path" must be a string',
        'Index 9: "etag" must be a string or null (if provided)',
        'Index 10: unsatisfiable range',
        'Index 11: not a JSON object',
        "Index 12: expected keys to include one of 'data' or 'path'",
        'Index 13: extraneous keys "alpha", "zzz"',
        'Index 14: manifest must not include itself as a segment',
        'Index 15: invalid range',
        '',
      ].join('\n'),
    );
    assert.equal((await s.request('HEAD', '/slo/self')).status, 404);
  });

  test('only inline data, not JSON, not a list: 400 with Swift’s texts', async () => {
    const onlyData = await putManifest('bad', [{ data: b64('x') }, { data: b64('y') }]);
    assert.equal(onlyData.status, 400);
    assert.equal(onlyData.text, 'Inline data segments require at least one object-backed segment.\n');
    const notJson = await putManifest('bad', '{"nope"');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.text, 'Manifest must be valid JSON.\n');
    assert.equal(notJson.headers.get('content-type'), 'text/html; charset=UTF-8');
    const notList = await putManifest('bad', '{"path": "/segs/a"}');
    assert.equal(notList.status, 400);
    assert.equal(notList.text, 'Manifest must be a list.\n');
  });

  test('an empty manifest is stored: an empty object with the MD5 of nothing as ETag', async () => {
    const res = await putManifest('empty', []);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('etag'), `"${md5('')}"`);
    const get = await s.request('GET', '/slo/empty');
    assert.equal(get.status, 200);
    assert.equal(get.text, '');
    assert.equal(get.headers.get('x-static-large-object'), 'True');
  });

  test('segment problems are listed by quoted name, in text/plain or as JSON by Accept; nothing is stored', async () => {
    const body = [
      { path: '/segs/a', etag: 'not-the-etag', size_bytes: 99 },
      { path: '/segs/missing' },
      { path: `/segs/${UTF8_SEGMENT}` },
      { path: '/segs/b', range: '20-30' },
    ];
    const text = await putManifest('problems', body);
    assert.equal(text.status, 400);
    assert.equal(text.headers.get('content-type'), 'text/plain');
    const quoted = '/segs/%E6%AE%B5%F0%9F%98%80';
    assert.equal(
      text.text,
      `Errors:\n/segs/a, Size Mismatch\n/segs/a, Etag Mismatch\n/segs/missing, 404 Not Found\n${quoted}, 404 Not Found\n/segs/b, Unsatisfiable Range\n`,
    );
    const json = await putManifest('problems', body, { accept: 'application/json' });
    assert.equal(json.status, 400);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.equal(
      json.text,
      `{"Errors": [["/segs/a", "Size Mismatch"], ["/segs/a", "Etag Mismatch"], ["/segs/missing", "404 Not Found"], ` +
        `["${quoted}", "404 Not Found"], ["/segs/b", "Unsatisfiable Range"]]}`,
    );
    assert.equal((await s.request('HEAD', '/slo/problems')).status, 404);
  });

  test('an ETag that is not the SLO ETag is 422; too many segments 413; X-Static-Large-Object without multipart-manifest=put 400', async () => {
    const wrong = await putManifest('bad', [{ path: '/segs/a' }], { etag: md5('nope') });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.text, '<html><h1>Unprocessable Entity</h1><p>Unable to process the contained instructions</p></html>');
    const right = await putManifest('good-etag', [{ path: '/segs/a' }], { etag: `"${md5(md5(A))}"` });
    assert.equal(right.status, 201);
    const many = JSON.stringify(Array.from({ length: 1001 }, () => ({ path: '/segs/a' })));
    const tooMany = await putManifest('bad', many);
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.text, 'Number of object-backed segments must be <= 1000');
    const reserved = 'X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.';
    const res = await s.request('PUT', '/slo/plain', { body: 'x', headers: { 'x-static-large-object': 'true' } });
    assert.equal(res.status, 400);
    assert.equal(res.text, reserved);
  });
});

describe('heartbeat PUTs', () => {
  test('?heartbeat=on answers 202 at once, sends spaces, then the result in text/plain', async () => {
    const res = await putManifest('beat', [{ path: '/segs/a' }, { data: b64('!') }, { path: '/segs/b' }], {}, '&heartbeat=on');
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    const m = /^( +)\r\n\r\nEtag: "([0-9a-f]{32})"\nLast Modified: (.+)\nResponse Body: \nResponse Status: 201 Created\nErrors:\n$/.exec(res.text);
    assert.ok(m, JSON.stringify(res.text));
    assert.equal(m[2], md5(md5(A) + md5('!') + md5(B)));
    const head = await s.request('HEAD', '/slo/beat');
    assert.equal(head.headers.get('etag'), `"${m[2]}"`);
    assert.equal(head.headers.get('last-modified'), m[3]);
  });

  test('segment problems come as the JSON result with Swift’s fields', async () => {
    const res = await putManifest('beat-bad', [{ path: '/segs/a', size_bytes: 1 }, { path: '/segs/gone' }], { accept: 'application/json' }, '&heartbeat=on');
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const m = /^ +\r\n\r\n(.*)$/s.exec(res.text);
    assert.ok(m, JSON.stringify(res.text));
    assert.equal(
      m[1],
      '{"Response Status": "400 Bad Request", "Response Body": "Bad Request\\nThe server could not comply with the request ' +
        'since it is either malformed or otherwise incorrect.", "Errors": [["/segs/a", "Size Mismatch"], ["/segs/gone", "404 Not Found"]]}',
    );
    assert.equal((await s.request('HEAD', '/slo/beat-bad')).status, 404);
  });

  test('a wrong ETag is reported as 422 in the result', async () => {
    const res = await putManifest('beat-etag', [{ path: '/segs/a' }], { etag: md5('x') }, '&heartbeat=on');
    assert.equal(res.status, 202);
    assert.match(
      res.text,
      /^ +\r\n\r\nResponse Body: Unprocessable Entity\nUnable to process the contained instructions\nResponse Status: 422 Unprocessable Entity\nErrors:\n$/,
    );
  });
});

describe('conditional requests compare the SLO ETag', () => {
  const etag = md5(md5(A) + md5(B));
  before(async () => {
    assert.equal((await putManifest('cond', [{ path: '/segs/a' }, { path: '/segs/b' }])).status, 201);
  });

  test('If-None-Match: 304; If-Match mismatch: 412 — both with the SLO ETag and X-Manifest-Etag, no body', async () => {
    for (const [headers, status] of [
      [{ 'if-none-match': `"${etag}"` }, 304],
      [{ 'if-none-match': etag }, 304],
      [{ 'if-match': '"other"' }, 412],
    ] as const) {
      for (const method of ['GET', 'HEAD']) {
        const res = await s.request(method, '/slo/cond', { headers });
        assert.equal(res.status, status, `${method} ${JSON.stringify(headers)}`);
        assert.equal(res.headers.get('etag'), `"${etag}"`);
        assert.match(res.headers.get('x-manifest-etag') ?? '', /^[0-9a-f]{32}$/);
        assert.equal(res.body.length, 0);
      }
    }
  });

  test('If-Match with the SLO ETag serves it, with a Range too; dates compare the manifest’s Last-Modified', async () => {
    const res = await s.request('GET', '/slo/cond', { headers: { 'if-match': `"${etag}"`, range: 'bytes=4-5' } });
    assert.equal(res.status, 206);
    assert.equal(res.text, 'ab');
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = 'Mon, 01 Jan 2001 00:00:00 GMT';
    assert.equal((await s.request('GET', '/slo/cond', { headers: { 'if-modified-since': future } })).status, 304);
    assert.equal((await s.request('GET', '/slo/cond', { headers: { 'if-modified-since': past } })).text, A + B);
    assert.equal((await s.request('GET', '/slo/cond', { headers: { 'if-unmodified-since': past } })).status, 412);
  });
});

describe('multipart-manifest=delete reports', () => {
  test('JSON report, and a plain object is "Not an SLO manifest" (400 inside a 200)', async () => {
    assert.equal((await s.request('PUT', '/segs/d2', { body: 'd2' })).status, 201);
    assert.equal((await putManifest('del-json', [{ path: '/segs/d2' }, { path: '/segs/gone-already' }])).status, 400);
    assert.equal((await putManifest('del-json', [{ path: '/segs/d2' }])).status, 201);
    const json = await s.request('DELETE', '/slo/del-json?multipart-manifest=delete', { headers: { accept: 'application/json' } });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.equal(json.text, '{"Response Status": "200 OK", "Response Body": "", "Number Deleted": 2, "Number Not Found": 0, "Errors": []}');
    assert.equal((await s.request('PUT', '/slo/plain-object', { body: 'x' })).status, 201);
    const plain = await s.request('DELETE', '/slo/plain-object?multipart-manifest=delete');
    assert.equal(plain.status, 200);
    assert.equal(
      plain.text,
      'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/slo/plain-object, Not an SLO manifest\n',
    );
    assert.equal((await s.request('HEAD', '/slo/plain-object')).status, 200);
  });

  test('an Accept nothing matches: the report says 406 (in text), nothing is deleted', async () => {
    assert.equal((await putManifest('del-406', [{ path: '/segs/a' }])).status, 201);
    const res = await s.request('DELETE', '/slo/del-406?multipart-manifest=delete', { headers: { accept: 'image/png' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.equal(res.text, 'Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 406 Not Acceptable\nErrors:\n');
    assert.equal((await s.request('HEAD', '/slo/del-406')).status, 200);
  });

  test('a missing manifest counts as not found; a missing segment too', async () => {
    const missing = await s.request('DELETE', '/slo/never-was?multipart-manifest=delete');
    assert.equal(missing.status, 200);
    assert.equal(missing.text, 'Number Deleted: 0\nNumber Not Found: 1\nResponse Body: \nResponse Status: 200 OK\nErrors:\n');
    assert.equal((await s.request('PUT', '/segs/d3', { body: 'd3' })).status, 201);
    assert.equal((await putManifest('del-gone', [{ path: '/segs/d3' }, { path: '/segs/a' }])).status, 201);
    assert.equal((await s.request('DELETE', '/segs/d3')).status, 204);
    const res = await s.request('DELETE', '/slo/del-gone?multipart-manifest=delete', { headers: { accept: 'application/xml' } });
    assert.equal(res.headers.get('content-type'), 'application/xml');
    assert.equal(
      res.text,
      '<delete>\n<number_deleted>2</number_deleted>\n<number_not_found>1</number_not_found>\n<response_body></response_body>\n' +
        '<response_status>200 OK</response_status>\n<errors>\n</errors>\n</delete>\n',
    );
    // /segs/a went with it: put it back for the other tests.
    assert.equal((await s.request('PUT', '/segs/a', { body: A })).status, 201);
  });
});

describe('UTF-8 names', () => {
  test('an SLO named with 3- and 4-byte characters, its segment too: PUT, GET, manifest and raw', async () => {
    const name = `${UTF8_CONTAINER}/😀清单`;
    const body = JSON.stringify([{ path: `/${UTF8_CONTAINER}/${UTF8_SEGMENT}`, etag: md5(U) }, { data: b64('✓') }]);
    const put = await s.request('PUT', `/${enc(name)}?multipart-manifest=put`, { body, headers: { 'x-object-meta-note': wire('✓ 日本') } });
    assert.equal(put.status, 201, put.text);
    const get = await s.request('GET', `/${enc(name)}`);
    assert.equal(get.text, `${U}✓`);
    assert.equal(Buffer.from(get.headers.get('x-object-meta-note')!, 'latin1').toString('utf8'), '✓ 日本');
    assert.equal(get.headers.get('etag'), `"${md5(md5(U) + md5('✓'))}"`);
    const stored = await s.request('GET', `/${enc(name)}?multipart-manifest=get`);
    assert.match(stored.text, /^\[\{"name": "\/\\u65e5\\u672c\/\\u6bb5\\ud83d\\ude00", "bytes": 3,/);
    assert.equal((JSON.parse(stored.text) as { name: string }[])[0]!.name, `/${UTF8_CONTAINER}/${UTF8_SEGMENT}`);
    const raw = await s.request('GET', `/${enc(name)}?multipart-manifest=get&format=raw`);
    assert.equal(
      raw.text,
      `[{"etag": "${md5(U)}", "path": "/\\u65e5\\u672c/\\u6bb5\\ud83d\\ude00", "size_bytes": 3}, {"data": "${b64('✓')}"}]`,
    );
  });
});
