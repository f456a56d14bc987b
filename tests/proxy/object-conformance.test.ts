// Object GET/HEAD/PUT/POST/COPY corners as Swift 2.30's proxy answers them: the headers
// every GET carries, ETags on ranged answers, 412 and 416 shapes, dynamic large objects
// (ranges, conditionals on the DLO ETag, POST with and without X-Object-Manifest, UTF-8
// prefixes), copy.py's header rules and ranged copies, and If-None-Match on PUT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TEST_USERS } from '../../proxy/config.js';
import { Session, TestCluster } from './harness.js';

let cluster: TestCluster;
let s: Session;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
/** A header value as fetch must send it (its UTF-8 bytes as a ByteString), and back. */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const unwire = (value: string | null) => (value === null ? null : Buffer.from(value, 'latin1').toString('utf8'));
const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

const DIGITS = '0123456789';
const SEGMENTS = ['one-', 'two--', 'three'];
const DLO_WHOLE = SEGMENTS.join('');
const DLO_ETAG = md5(SEGMENTS.map(md5).join(''));
const RANGE_416_PAGE = '<html><h1>Requested Range Not Satisfiable</h1><p>The Range requested is not available.</p></html>';

before(async () => {
  // A tempauth user whose account name is UTF-8 (AUTH_日本), for copies between accounts named so.
  cluster = await TestCluster.start({ proxy: { users: { ...TEST_USERS, '日本:😀': { key: 'ключ', groups: ['.admin'] } } } });
  s = await Session.login(cluster);
  for (const c of ['objs', 'dseg', 'dlo', enc('日本')]) assert.equal((await s.request('PUT', `/${c}`)).status, 201);
  assert.equal((await s.request('PUT', '/objs/digits', { body: DIGITS, headers: { 'content-type': 'text/x-digits' } })).status, 201);
  for (const [i, data] of SEGMENTS.entries()) assert.equal((await s.request('PUT', `/dseg/p-${i}`, { body: data })).status, 201);
  assert.equal((await s.request('PUT', '/dlo/m', { body: '', headers: { 'x-object-manifest': 'dseg/p-' } })).status, 201);
});

after(() => cluster?.stop());

describe('GET and HEAD headers', () => {
  test('every GET and HEAD carries Swift’s headers, large objects too', async () => {
    for (const path of ['/objs/digits', '/dlo/m']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await s.request(method, path);
        assert.equal(res.status, 200, `${method} ${path}`);
        assert.equal(res.headers.get('accept-ranges'), 'bytes');
        assert.match(res.headers.get('last-modified') ?? '', /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
        assert.match(res.headers.get('x-timestamp') ?? '', /^\d{10}\.\d{5}$/);
        assert.match(res.headers.get('x-trans-id') ?? '', /^tx/);
        assert.equal(res.headers.get('x-openstack-request-id'), res.headers.get('x-trans-id'));
        assert.ok(res.headers.get('content-type'));
        assert.ok(res.headers.get('etag'));
        assert.equal(res.headers.get('content-length'), String(path === '/dlo/m' ? DLO_WHOLE.length : DIGITS.length));
      }
    }
  });

  test('ranged and multi-range GETs of a plain object keep its (unquoted) ETag', async () => {
    const one = await s.request('GET', '/objs/digits', { headers: { range: 'bytes=2-4' } });
    assert.equal(one.status, 206);
    assert.equal(one.text, '234');
    assert.equal(one.headers.get('etag'), md5(DIGITS));
    const many = await s.request('GET', '/objs/digits', { headers: { range: 'bytes=0-1,-2' } });
    assert.equal(many.status, 206);
    assert.match(many.headers.get('content-type')!, /^multipart\/byteranges;boundary=/);
    assert.equal(many.headers.get('etag'), md5(DIGITS));
    assert.match(many.text, /Content-Type: text\/x-digits\r\nContent-Range: bytes 0-1\/10\r\n\r\n01\r\n/);
    assert.match(many.text, /Content-Range: bytes 8-9\/10\r\n\r\n89\r\n/);
  });

  test('a Range past the end is 416: swob’s page under the object’s headers, Content-Range with its size', async () => {
    const res = await s.request('GET', '/objs/digits', { headers: { range: 'bytes=10-' } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), 'bytes */10');
    assert.equal(res.headers.get('content-type'), 'text/x-digits');
    assert.equal(res.headers.get('etag'), md5(DIGITS));
    assert.equal(res.text, RANGE_416_PAGE);
    assert.equal((await s.request('HEAD', '/objs/digits', { headers: { range: 'bytes=10-' } })).status, 200);
  });

  test('If-Match that fails is an empty 412 carrying the object’s ETag', async () => {
    const res = await s.request('GET', '/objs/digits', { headers: { 'if-match': '"nope"' } });
    assert.equal(res.status, 412);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('etag'), md5(DIGITS));
    assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
  });
});

describe('PUT with If-None-Match', () => {
  test('anything but "*" is refused with Swift’s text; "*" in a list is honoured', async () => {
    for (const value of ['"abc"', md5('x'), '']) {
      const res = await s.request('PUT', '/objs/inm', { body: 'x', headers: { 'if-none-match': value } });
      assert.equal(res.status, 400, JSON.stringify(value));
      assert.equal(res.text, 'If-None-Match only supports *');
      assert.equal(res.headers.get('content-type'), 'text/plain');
    }
    assert.equal((await s.request('PUT', '/objs/inm', { body: 'x', headers: { 'if-none-match': '"abc", *' } })).status, 201);
    assert.equal((await s.request('PUT', '/objs/inm', { body: 'y', headers: { 'if-none-match': '*' } })).status, 412);
    assert.equal((await s.request('GET', '/objs/inm')).text, 'x');
  });
});

describe('dynamic large objects', () => {
  test('the ETag is the quoted MD5 of the segment ETags; one Range crosses segments with it', async () => {
    const get = await s.request('GET', '/dlo/m');
    assert.equal(get.text, DLO_WHOLE);
    assert.equal(get.headers.get('etag'), `"${DLO_ETAG}"`);
    assert.equal(get.headers.get('x-object-manifest'), 'dseg/p-');
    const ranged = await s.request('GET', '/dlo/m', { headers: { range: 'bytes=3-9' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.text, DLO_WHOLE.slice(3, 10));
    assert.equal(ranged.headers.get('content-range'), `bytes 3-9/${DLO_WHOLE.length}`);
    assert.equal(ranged.headers.get('etag'), `"${DLO_ETAG}"`);
    const suffix = await s.request('GET', '/dlo/m', { headers: { range: 'bytes=-7' } });
    assert.equal(suffix.text, DLO_WHOLE.slice(-7));
  });

  test('several ranges are answered with the whole object (200), as dlo.py does', async () => {
    const res = await s.request('GET', '/dlo/m', { headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, DLO_WHOLE);
    assert.equal(res.headers.get('content-range'), null);
  });

  test('a Range past the end is 416 naming the DLO’s real size', async () => {
    for (const range of [`bytes=${DLO_WHOLE.length}-`, 'bytes=100-200']) {
      const res = await s.request('GET', '/dlo/m', { headers: { range } });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers.get('content-range'), `bytes */${DLO_WHOLE.length}`);
      assert.equal(res.headers.get('accept-ranges'), 'bytes');
      assert.equal(res.text, RANGE_416_PAGE);
    }
  });

  test('conditional requests compare the DLO ETag, not the manifest’s own', async () => {
    for (const method of ['GET', 'HEAD']) {
      const notModified = await s.request(method, '/dlo/m', { headers: { 'if-none-match': `"${DLO_ETAG}"` } });
      assert.equal(notModified.status, 304, method);
      assert.equal(notModified.headers.get('etag'), `"${DLO_ETAG}"`);
      assert.equal((await s.request(method, '/dlo/m', { headers: { 'if-match': '"other"' } })).status, 412, method);
      assert.equal((await s.request(method, '/dlo/m', { headers: { 'if-match': DLO_ETAG } })).status, 200, method);
      // The manifest object's own ETag (of its 0 bytes) means nothing here.
      assert.equal((await s.request(method, '/dlo/m', { headers: { 'if-none-match': md5('') } })).status, 200, method);
      assert.equal((await s.request(method, '/dlo/m', { headers: { 'if-match': md5('') } })).status, 412, method);
    }
    const future = new Date(Date.now() + 3600_000).toUTCString();
    assert.equal((await s.request('GET', '/dlo/m', { headers: { 'if-modified-since': future } })).status, 304);
    assert.equal((await s.request('GET', '/dlo/m', { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } })).status, 412);
    const both = await s.request('GET', '/dlo/m', { headers: { 'if-match': `"${DLO_ETAG}"`, range: 'bytes=0-3' } });
    assert.equal(both.status, 206);
    assert.equal(both.text, 'one-');
  });

  test('a DLO whose segment container does not exist is 404 (the listing’s answer)', async () => {
    assert.equal((await s.request('PUT', '/dlo/orphan', { body: '', headers: { 'x-object-manifest': 'no-such-container/x' } })).status, 201);
    assert.equal((await s.request('GET', '/dlo/orphan')).status, 404);
    const manifest = await s.request('GET', '/dlo/orphan?multipart-manifest=get');
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('x-object-manifest'), 'no-such-container/x');
  });

  test('X-Object-Manifest is checked as sent: container/prefix, no query characters, no leading "/" in the prefix', async () => {
    for (const value of ['noslash', 'c/', '/p', 'c//p', 'c/p?x', 'c/p&x', 'dseg%2Fp-']) {
      const res = await s.request('PUT', '/dlo/bad', { body: '', headers: { 'x-object-manifest': value } });
      assert.equal(res.status, 400, value);
      assert.equal(res.text, 'X-Object-Manifest must be in the format container/prefix');
    }
  });

  test('POST without X-Object-Manifest makes the manifest a plain object; with one, it points elsewhere', async () => {
    assert.equal((await s.request('PUT', '/dlo/posted', { body: 'own', headers: { 'x-object-manifest': 'dseg/p-' } })).status, 201);
    assert.equal((await s.request('GET', '/dlo/posted')).text, DLO_WHOLE);
    assert.equal((await s.request('POST', '/dlo/posted', { headers: { 'x-object-manifest': 'dseg/p-2' } })).status, 202);
    assert.equal((await s.request('GET', '/dlo/posted')).text, 'three');
    assert.equal((await s.request('POST', '/dlo/posted', { headers: { 'x-object-meta-k': 'v' } })).status, 202);
    const plain = await s.request('GET', '/dlo/posted');
    assert.equal(plain.text, 'own');
    assert.equal(plain.headers.get('x-object-manifest'), null);
    assert.equal(plain.headers.get('x-object-meta-k'), 'v');
  });

  test('UTF-8 containers and prefixes, raw or URL-quoted in X-Object-Manifest', async () => {
    const prefix = '段😀/';
    for (const [i, data] of ['α', 'β'].entries()) {
      assert.equal((await s.request('PUT', `/${enc(`日本/${prefix}${i}`)}`, { body: data })).status, 201);
    }
    assert.equal((await s.request('PUT', '/dlo/utf8-raw', { body: '', headers: { 'x-object-manifest': wire(`日本/${prefix}`) } })).status, 201);
    assert.equal((await s.request('PUT', '/dlo/utf8-quoted', { body: '', headers: { 'x-object-manifest': enc(`日本/${prefix}`) } })).status, 201);
    for (const name of ['utf8-raw', 'utf8-quoted']) {
      const get = await s.request('GET', `/dlo/${name}`);
      assert.equal(get.text, 'αβ', name);
      assert.equal(get.headers.get('etag'), `"${md5(md5('α') + md5('β'))}"`);
    }
    assert.equal(unwire((await s.request('HEAD', '/dlo/utf8-raw')).headers.get('x-object-manifest')), `日本/${prefix}`);
  });
});

describe('server-side copy', () => {
  before(async () => {
    const headers = {
      'content-type': 'text/x-src',
      'content-disposition': 'attachment; filename="d.txt"',
      'content-encoding': 'identity',
      'x-object-meta-color': wire('rouge ✓'),
    };
    assert.equal((await s.request('PUT', '/objs/src', { body: DIGITS, headers })).status, 201);
  });

  test('COPY with Range copies only that range (and its own ETag)', async () => {
    const res = await s.request('COPY', '/objs/src', { headers: { destination: 'objs/ranged', range: 'bytes=2-5' } });
    assert.equal(res.status, 201);
    const get = await s.request('GET', '/objs/ranged');
    assert.equal(get.text, '2345');
    assert.equal(get.headers.get('etag'), md5('2345'));
    const fromDlo = await s.request('PUT', '/objs/dlo-range', { headers: { 'x-copy-from': 'dlo/m', range: 'bytes=-5' } });
    assert.equal(fromDlo.status, 201);
    assert.equal((await s.request('GET', '/objs/dlo-range')).text, DLO_WHOLE.slice(-5));
  });

  test('by default the source’s metadata, Content-Disposition, Content-Encoding and Content-Type come along', async () => {
    const res = await s.request('COPY', '/objs/src', { headers: { destination: '/objs/copied' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-copied-from'), 'objs/src');
    assert.equal(res.headers.get('x-copied-from-account'), s.account);
    const src = await s.request('HEAD', '/objs/src');
    assert.equal(res.headers.get('x-copied-from-last-modified'), src.headers.get('last-modified'));
    assert.equal(unwire(res.headers.get('x-object-meta-color')), 'rouge ✓');
    const get = await s.request('GET', '/objs/copied');
    assert.equal(get.text, DIGITS);
    assert.equal(get.headers.get('content-type'), 'text/x-src');
    assert.equal(get.headers.get('content-disposition'), 'attachment; filename="d.txt"');
    assert.equal(get.headers.get('content-encoding'), 'identity');
    assert.equal(unwire(get.headers.get('x-object-meta-color')), 'rouge ✓');
  });

  test('X-Fresh-Metadata: only what the request says (the source’s Content-Type unless it names one)', async () => {
    const fresh = await s.request('COPY', '/objs/src', {
      headers: { destination: 'objs/fresh', 'x-fresh-metadata': 'true', 'x-object-meta-new': 'yes' },
    });
    assert.equal(fresh.status, 201);
    const get = await s.request('GET', '/objs/fresh');
    assert.equal(get.text, DIGITS);
    assert.equal(get.headers.get('content-type'), 'text/x-src');
    assert.equal(get.headers.get('content-disposition'), null);
    assert.equal(get.headers.get('content-encoding'), null);
    assert.equal(get.headers.get('x-object-meta-color'), null);
    assert.equal(get.headers.get('x-object-meta-new'), 'yes');
    const typed = await s.request('PUT', '/objs/typed', { headers: { 'x-copy-from': 'objs/src', 'content-type': 'text/x-other' } });
    assert.equal(typed.status, 201);
    const typedGet = await s.request('GET', '/objs/typed');
    assert.equal(typedGet.headers.get('content-type'), 'text/x-other');
    assert.equal(typedGet.headers.get('content-disposition'), 'attachment; filename="d.txt"');
  });

  test('UTF-8 names in X-Copy-From and Destination, raw or quoted; accounts by name, quoted too', async () => {
    const name = '日本/😀 copy';
    const put = await s.request('PUT', `/${enc(name)}`, { headers: { 'x-copy-from': wire('objs/src'), 'x-copy-from-account': s.account } });
    assert.equal(put.status, 201);
    const back = await s.request('PUT', '/objs/back', {
      headers: { 'x-copy-from': enc(name), 'x-copy-from-account': encodeURIComponent(s.account) },
    });
    assert.equal(back.status, 201);
    assert.equal(back.headers.get('x-copied-from'), '%E6%97%A5%E6%9C%AC/%F0%9F%98%80%20copy');
    const raw = await s.request('COPY', `/${enc(name)}`, { headers: { destination: wire('日本/✓'), 'destination-account': s.account } });
    assert.equal(raw.status, 201);
    assert.equal((await s.request('GET', `/${enc('日本/✓')}`)).text, DIGITS);
    const slash = await s.request('COPY', '/objs/src', { headers: { destination: 'objs/x', 'destination-account': 'a%2Fb' } });
    assert.equal(slash.status, 412);
    assert.equal(slash.text, 'Account name cannot contain slashes');
  });

  test('the request’s conditions apply to the source: a failed If-Match is the source’s 412, nothing is written', async () => {
    const res = await s.request('COPY', '/objs/src', { headers: { destination: 'objs/cond-copy', 'if-match': '"nope"' } });
    assert.equal(res.status, 412);
    assert.equal((await s.request('HEAD', '/objs/cond-copy')).status, 404);
    const ok = await s.request('COPY', '/objs/src', { headers: { destination: 'objs/cond-copy', 'if-match': md5(DIGITS) } });
    assert.equal(ok.status, 201);
  });

  test('X-Copy-From-Account and Destination-Account name a UTF-8 account, raw or quoted; X-Copied-From-Account is quoted', async () => {
    const login = await cluster.request('GET', '/auth/v1.0', { headers: { 'x-auth-user': wire('日本:😀'), 'x-auth-key': wire('ключ') } });
    assert.equal(login.status, 200);
    const token = login.headers.get('x-auth-token')!;
    const account = 'AUTH_日本';
    const quoted = 'AUTH_%E6%97%A5%E6%9C%AC';
    const req = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      cluster.request(method, `/v1/${quoted}${path}`, { token, headers, ...(body !== undefined ? { body } : {}) });
    assert.equal((await req('PUT', '/c')).status, 201);
    assert.equal((await req('PUT', '/c/src', {}, 'utf8 account')).status, 201);
    const fromRaw = await req('PUT', '/c/from-raw', { 'x-copy-from': 'c/src', 'x-copy-from-account': wire(account) });
    assert.equal(fromRaw.status, 201);
    assert.equal(fromRaw.headers.get('x-copied-from-account'), quoted);
    const toQuoted = await req('COPY', '/c/src', { destination: 'c/to-quoted', 'destination-account': quoted });
    assert.equal(toQuoted.status, 201);
    for (const name of ['from-raw', 'to-quoted']) assert.equal((await req('GET', `/c/${name}`)).text, 'utf8 account');
    // Another account's container needs its ACL: test:tester may not write into AUTH_日本.
    const denied = await s.request('COPY', '/objs/src', { headers: { destination: 'c/x', 'destination-account': quoted } });
    assert.equal(denied.status, 403);
  });

  test('a copy request with a body is refused with Swift’s text', async () => {
    const res = await s.request('PUT', '/objs/with-body', { body: 'x', headers: { 'x-copy-from': 'objs/src' } });
    assert.equal(res.status, 400);
    assert.equal(res.text, 'Copy requests require a zero byte body');
    assert.equal(res.headers.get('content-type'), 'text/plain');
  });
});
