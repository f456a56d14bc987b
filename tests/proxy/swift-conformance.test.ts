// Swift 2.30's proxy behaviours clients rely on (issue 15): UTF-8 in header values (names,
// paths, metadata), the requests Swift refuses with its exact status, text and content
// type, the 401 challenge, and referrer ACLs reaching large-object segments.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { TEST_USERS } from '../../proxy/config.js';
import { Session, TestCluster } from './harness.js';

let cluster: TestCluster;
let s: Session;

/** UTF-8 text as a fetch header value (a ByteString of its bytes), and back. */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const text = (value: string | null) => (value === null ? null : Buffer.from(value, 'latin1').toString('utf8'));

const JAPAN = '日本'; // 3-byte characters
const SMILE = '😀'; // a 4-byte character

interface RawResponse {
  status: number;
  /** Header names exactly as sent, values as their bytes. */
  rawHeaders: [string, Buffer][];
  body: string;
}

/** A request through node:http, with header values given as raw bytes; the answer's header names as spelled. */
function raw(method: string, path: string, headers: Record<string, Buffer | string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const latin1: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) latin1[name] = Buffer.isBuffer(value) ? value.toString('latin1') : value;
    if (body === undefined && (method === 'PUT' || method === 'POST')) latin1['content-length'] ??= '0';
    const req = http.request(`${cluster.url}${path}`, { method, headers: latin1 });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const pairs: [string, Buffer][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, Buffer.from(res.rawHeaders[i + 1]!, 'latin1')]);
        resolve({ status: res.statusCode!, rawHeaders: pairs, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    // A Buffer: with a string body Node would write the header block as UTF-8.
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

const rawHeader = (res: RawResponse, name: string) => res.rawHeaders.find(([n]) => n.toLowerCase() === name.toLowerCase());

before(async () => {
  cluster = await TestCluster.start({ proxy: { users: { ...TEST_USERS, [`${JAPAN}:${SMILE}`]: { key: 'ключ', groups: ['.admin'] } } } });
  s = await Session.login(cluster);
  assert.equal((await s.request('PUT', '/utf')).status, 201);
});

after(() => cluster?.stop());

describe('UTF-8 in header values', () => {
  test('object metadata, Content-Type and Content-Disposition round-trip byte for byte, on uploads and on empty PUTs', async () => {
    const headers = {
      'x-object-meta-color': wire(`café ${JAPAN} ${SMILE}`),
      'content-type': wire(`text/plain; name=${JAPAN}`),
      'content-disposition': wire(`attachment; filename="${JAPAN}${SMILE}.txt"`),
    };
    // With a body the proxy streams through Expect: 100-continue; without one it does not.
    assert.equal((await s.request('PUT', `/utf/${encodeURIComponent(SMILE)}`, { headers, body: 'hello' })).status, 201);
    assert.equal((await s.request('PUT', '/utf/empty', { headers, body: '' })).status, 201);
    for (const name of [encodeURIComponent(SMILE), 'empty']) {
      const head = await s.request('HEAD', `/utf/${name}`);
      assert.equal(text(head.headers.get('x-object-meta-color')), `café ${JAPAN} ${SMILE}`);
      assert.equal(text(head.headers.get('content-type')), `text/plain; name=${JAPAN}`);
      assert.equal(text(head.headers.get('content-disposition')), `attachment; filename="${JAPAN}${SMILE}.txt"`);
    }
    const listing = JSON.parse((await s.request('GET', '/utf?format=json')).text) as { name: string; content_type: string }[];
    assert.deepEqual(
      listing.map((row) => [row.name, row.content_type]),
      [
        ['empty', `text/plain; name=${JAPAN}`],
        [SMILE, `text/plain; name=${JAPAN}`],
      ],
    );
  });

  test('POST updates metadata with UTF-8 values; container and account metadata too, also on listings', async () => {
    await s.request('PUT', '/utf/posted', { body: 'x' });
    assert.equal((await s.request('POST', '/utf/posted', { headers: { 'x-object-meta-note': wire(`${JAPAN}${SMILE}`) } })).status, 202);
    assert.equal(text((await s.request('HEAD', '/utf/posted')).headers.get('x-object-meta-note')), `${JAPAN}${SMILE}`);
    assert.equal((await s.request('POST', '/utf', { headers: { 'x-container-meta-place': wire(JAPAN) } })).status, 204);
    assert.equal((await s.request('POST', '', { headers: { 'x-account-meta-face': wire(SMILE) } })).status, 204);
    // A listing's body is text: its header block must still carry the metadata's bytes as sent.
    assert.equal(text((await s.request('GET', '/utf')).headers.get('x-container-meta-place')), JAPAN);
    assert.equal(text((await s.request('HEAD', '/utf')).headers.get('x-container-meta-place')), JAPAN);
    assert.equal(text((await s.request('GET', '')).headers.get('x-account-meta-face')), SMILE);
  });

  test('X-Copy-From and COPY Destination name UTF-8 objects, quoted or not', async () => {
    const source = `src-${JAPAN}${SMILE}`;
    await s.request('PUT', `/utf/${encodeURIComponent(source)}`, { body: 'copy me' });
    for (const [i, from] of [`utf/${source}`, `/utf/${encodeURIComponent(source)}`].entries()) {
      const put = await s.request('PUT', `/utf/copy${i}`, { headers: { 'x-copy-from': wire(from) }, body: '' });
      assert.equal(put.status, 201, from);
      assert.equal((await s.request('GET', `/utf/copy${i}`)).text, 'copy me');
    }
    const copy = await s.request('COPY', `/utf/${encodeURIComponent(source)}`, { headers: { destination: wire(`utf/dest-${SMILE}`) } });
    assert.equal(copy.status, 201);
    assert.equal((await s.request('GET', `/utf/${encodeURIComponent(`dest-${SMILE}`)}`)).text, 'copy me');
  });

  test('a DLO whose X-Object-Manifest prefix is UTF-8 serves its segments', async () => {
    assert.equal((await s.request('PUT', `/utf/${encodeURIComponent(`${JAPAN}/seg/1`)}`, { body: 'one,' })).status, 201);
    assert.equal((await s.request('PUT', `/utf/${encodeURIComponent(`${JAPAN}/seg/2`)}`, { body: 'two' })).status, 201);
    const put = await s.request('PUT', '/utf/dlo', { headers: { 'x-object-manifest': wire(`utf/${JAPAN}/seg/`) }, body: '' });
    assert.equal(put.status, 201);
    const get = await s.request('GET', '/utf/dlo');
    assert.equal(get.text, 'one,two');
    assert.equal(text(get.headers.get('x-object-manifest')), `utf/${JAPAN}/seg/`);
  });

  test('object metadata that is not UTF-8 is kept byte for byte; account and container metadata must be UTF-8', async () => {
    const bytes = Buffer.from([0x66, 0xff, 0xfe, 0x80, 0x6f]);
    assert.equal((await raw('PUT', `/v1/${s.account}/utf/latin`, { 'x-auth-token': s.token, 'x-object-meta-odd': bytes }, 'x')).status, 201);
    const head = await raw('HEAD', `/v1/${s.account}/utf/latin`, { 'x-auth-token': s.token });
    assert.deepEqual(rawHeader(head, 'x-object-meta-odd')?.[1], bytes);
    const refused = await raw('POST', `/v1/${s.account}/utf`, { 'x-auth-token': s.token, 'x-container-meta-odd': bytes });
    assert.equal(refused.status, 400);
    assert.equal(refused.body, 'Metadata must be valid UTF-8');
  });

  test('an object Content-Type that is not UTF-8 is 400 Invalid Content-Type; a UTF-8 one is stored', async () => {
    const bad = await raw('PUT', `/v1/${s.account}/utf/badtype`, { 'x-auth-token': s.token, 'content-type': Buffer.from([0x74, 0x2f, 0xff]) }, 'x');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'Invalid Content-Type');
    assert.equal((await s.request('HEAD', '/utf/badtype')).status, 404);
  });

  test('metadata limits count bytes, not characters', async () => {
    // 64 four-byte characters are 256 bytes: at the limit; one more byte is over it.
    const atLimit = SMILE.repeat(64);
    assert.equal((await s.request('PUT', '/utf/limits', { headers: { 'x-object-meta-m': wire(atLimit) }, body: '' })).status, 201);
    const over = await s.request('PUT', '/utf/limits', { headers: { 'x-object-meta-m': wire(`${atLimit}x`) }, body: '' });
    assert.equal(over.status, 400);
    assert.equal(over.text, 'Metadata value longer than 256: x-object-meta-m');
    assert.equal(over.headers.get('content-type'), 'text/plain');
  });

  test('response header names are spelled as Swift spells them', async () => {
    await s.request('PUT', '/utf/case', { headers: { 'x-object-meta-color': 'blue', 'x-object-meta-some_thing': '1' }, body: 'c' });
    const res = await raw('GET', `/v1/${s.account}/utf/case`, { 'x-auth-token': s.token });
    const names = res.rawHeaders.map(([n]) => n);
    for (const name of ['X-Object-Meta-Color', 'X-Object-Meta-Some_Thing', 'Etag', 'X-Timestamp', 'Accept-Ranges', 'Last-Modified', 'X-Trans-Id', 'X-Openstack-Request-Id']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
  });
});

describe('requests Swift refuses', () => {
  test('an object PUT without Content-Length or chunked coding is 411, with Swift text/plain text', async () => {
    const url = new URL(cluster.url);
    const socket = net.connect(Number(url.port), url.hostname);
    socket.end(`PUT /v1/${s.account}/utf/nolength HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${s.token}\r\nConnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const [head, body] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 411 Length Required\r\n/);
    assert.match(head!, /\r\nContent-Type: text\/plain\r\n/);
    assert.equal(body, 'Missing Content-Length header.');
  });

  test('paths that are not valid UTF-8 or hold NUL are 412; /v1 alone is 412 Bad URL; other versions 400', async () => {
    for (const path of [`/v1/${s.account}/utf/a%00b`, `/v1/${s.account}/utf/%FF`, `/v1/${s.account}/%C3%28`]) {
      const res = await s.request('GET', path.slice(`/v1/${s.account}`.length));
      assert.equal(res.status, 412, path);
      assert.equal(res.text, 'Invalid UTF8 or contains NULL');
      assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
    }
    for (const path of ['/v1', '/v1/', '/v1.0/', '/favicon.ico']) {
      const res = await cluster.request('GET', path, { token: null });
      assert.equal(res.status, 412, path);
      assert.equal(res.text, 'Bad URL');
    }
    const v2 = await cluster.request('GET', `/v2/${s.account}`);
    assert.equal(v2.status, 400);
    assert.equal(v2.text, '<html><h1>Bad Request</h1><p>The server could not comply with the request since it is either malformed or otherwise incorrect.</p></html>');
    assert.equal((await cluster.request('HEAD', `/v1.0/${s.account}/utf`, { token: s.token })).status, 204);
  });

  test('X-Delete-At and X-Delete-After: Swift’s texts for non-integers and the past', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, string>, string][] = [
      [{ 'x-delete-at': 'soon' }, 'Non-integer X-Delete-At'],
      [{ 'x-delete-at': '1.5' }, 'Non-integer X-Delete-At'],
      [{ 'x-delete-at': String(now - 10) }, 'X-Delete-At in past'],
      [{ 'x-delete-after': 'x' }, 'Non-integer X-Delete-After'],
      [{ 'x-delete-after': '-5' }, 'X-Delete-After in past'],
      [{ 'x-delete-after': '0' }, 'X-Delete-After in past'],
    ];
    for (const [headers, message] of cases) {
      for (const method of ['PUT', 'POST']) {
        const res = await s.request(method, '/utf/posted', { headers, body: method === 'PUT' ? 'x' : undefined });
        assert.equal(res.status, 400, `${method} ${JSON.stringify(headers)}`);
        assert.equal(res.text, message);
        assert.equal(res.headers.get('content-type'), 'text/plain');
      }
    }
    // Python's int() takes a sign, spaces and digit groups, so Swift does.
    const ok = await s.request('PUT', '/utf/later', { headers: { 'x-delete-after': ' +1_000 ' }, body: 'x' });
    assert.equal(ok.status, 201);
  });

  test('error bodies are Swift’s page for the status, without a trailing newline', async () => {
    const res = await s.request('GET', '/utf/missing');
    assert.equal(res.status, 404);
    assert.equal(res.text, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
    assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
    const head = await s.request('HEAD', '/utf/missing');
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(res.text)));
    assert.equal(head.text, '');
  });
});

describe('requests as other clients send them', () => {
  test('body-less PUT and POST with a JSON content type are taken as Swift takes them', async () => {
    const json = { 'content-type': 'application/json' };
    assert.equal((await s.request('PUT', '/jsonless', { headers: json })).status, 201);
    assert.equal((await s.request('POST', '/jsonless', { headers: { ...json, 'x-container-meta-a': 'b' } })).status, 204);
    assert.equal((await s.request('PUT', '/jsonless/o', { headers: json, body: '' })).status, 201);
    assert.equal((await s.request('HEAD', '/jsonless/o')).headers.get('content-type'), 'application/json');
    assert.equal((await s.request('POST', '/jsonless/o', { headers: json })).status, 202);
  });

  test('a method the API does not have is 405 with the Allow list, never another operation', async () => {
    for (const [path, allow] of [
      ['/utf/x', 'GET, HEAD, PUT, POST, DELETE, COPY'],
      ['/utf', 'GET, HEAD, PUT, POST, DELETE'],
      ['', 'GET, HEAD, POST'],
    ] as const) {
      const res = await s.request('PATCH', path);
      assert.equal(res.status, 405, path);
      assert.equal(res.headers.get('allow'), allow);
      assert.equal(res.text, '<html><h1>Method Not Allowed</h1><p>The method is not allowed for this resource.</p></html>');
    }
  });
});

describe('auth corners', () => {
  test('a tempauth user and key in UTF-8 get a token and a quoted storage URL that works', async () => {
    const res = await raw('GET', '/auth/v1.0', { 'x-auth-user': wire(`${JAPAN}:${SMILE}`), 'x-auth-key': wire('ключ') });
    assert.equal(res.status, 200);
    const url = rawHeader(res, 'x-storage-url')![1].toString('latin1');
    assert.equal(url, `${cluster.url}/v1/AUTH_%E6%97%A5%E6%9C%AC`);
    const token = rawHeader(res, 'x-auth-token')![1].toString('latin1');
    const put = await fetch(`${url}/mine`, { method: 'PUT', headers: { 'x-auth-token': token } });
    assert.equal(put.status, 201);
    const listing = await fetch(`${cluster.url}/v1/${encodeURIComponent(`AUTH_${JAPAN}`)}?format=json`, { headers: { 'x-auth-token': token } });
    assert.deepEqual(((await listing.json()) as { name: string }[]).map((c) => c.name), ['mine']);
    const wrong = await raw('GET', '/auth/v1.0', { 'x-auth-user': wire(`${JAPAN}:${SMILE}`), 'x-auth-key': wire('ключ!') });
    assert.equal(wrong.status, 401);
  });

  test('401 names the account of the path, URL-quoted, so no account name can inject a header', async () => {
    const plain = await raw('GET', `/v1/${s.account}/utf`);
    assert.equal(plain.status, 401);
    assert.equal(rawHeader(plain, 'www-authenticate')?.[1].toString(), `Swift realm="${s.account}"`);
    const evil = await raw('GET', '/v1/AUTH_x%22%0D%0ASet-Cookie:%20a=b%20%E6%97%A5/c');
    assert.equal(evil.status, 401);
    assert.equal(rawHeader(evil, 'www-authenticate')?.[1].toString(), 'Swift realm="AUTH_x%22%0D%0ASet-Cookie%3A%20a%3Db%20%E6%97%A5"');
    assert.equal(rawHeader(evil, 'set-cookie'), undefined);
    const token = await raw('GET', '/auth/v1.0', { 'x-auth-user': wire(`${JAPAN}:x`), 'x-auth-key': 'nope' });
    assert.equal(token.status, 401);
    assert.equal(rawHeader(token, 'www-authenticate')?.[1].toString(), 'Swift realm="%E6%97%A5%E6%9C%AC"');
    assert.equal((await raw('GET', '/info')).status, 200);
  });

  test('a referrer ACL on the segments container lets anonymous readers fetch a large object', async () => {
    // A DLO lists its segments container, so that one needs .rlistings too (as in Swift).
    assert.equal((await s.request('PUT', '/pub', { headers: { 'x-container-read': '.r:*' } })).status, 201);
    assert.equal((await s.request('PUT', '/pub_segments', { headers: { 'x-container-read': '.r:*,.rlistings' } })).status, 201);
    await s.request('PUT', '/pub_segments/part/1', { body: 'public ' });
    await s.request('PUT', '/pub_segments/part/2', { body: 'segments' });
    await s.request('PUT', '/pub/dlo', { headers: { 'x-object-manifest': 'pub_segments/part/' }, body: '' });
    const slo = JSON.stringify([{ path: 'pub_segments/part/1' }, { path: 'pub_segments/part/2' }]);
    assert.equal((await s.request('PUT', '/pub/slo?multipart-manifest=put', { body: slo })).status, 201);
    for (const name of ['dlo', 'slo']) {
      const res = await cluster.request('GET', `/v1/${s.account}/pub/${name}`, { token: null });
      assert.equal(res.status, 200, name);
      assert.equal(res.text, 'public segments');
    }
    // A rule naming a host admits requests from that host, to the segments as well.
    await s.request('POST', '/pub_segments', { headers: { 'x-container-read': '.r:.example.com' } });
    await s.request('POST', '/pub', { headers: { 'x-container-read': '.r:.example.com' } });
    const referred = await cluster.request('GET', `/v1/${s.account}/pub/slo`, { token: null, headers: { referer: 'http://www.example.com/page' } });
    assert.equal(referred.status, 200);
    assert.equal(referred.text, 'public segments');
    const elsewhere = await cluster.request('GET', `/v1/${s.account}/pub/slo`, { token: null, headers: { referer: 'http://other.org/' } });
    assert.equal(elsewhere.status, 401);
  });
});
