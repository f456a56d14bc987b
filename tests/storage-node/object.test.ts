// The object server as the proxy uses it: PUT/GET/HEAD/POST/DELETE with Swift's
// timestamps, conditional and range requests, expiry, and streaming of large bodies.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { hashConfig } from '../../common/config.js';
import { createPathHasher } from '../../common/path-hash.js';
import { Timestamp } from '../../common/timestamp.js';
import { backendPath, call, nextTimestamp, startNode, waitFor, type StorageNodeProcess } from './harness.js';

let node: StorageNodeProcess;
let objectUrl: string;
before(async () => {
  node = await startNode();
  objectUrl = node.urls.object;
});
after(async () => {
  assert.equal(await node.stop(), 0, 'the node exits 0 on SIGTERM');
  await node.destroy();
});

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
let objectCounter = 0;
const newObjectUrl = () => `${objectUrl}${backendPath('sdb1', 7, 'AUTH_test', 'photos', `dir/object-${++objectCounter}.txt`)}`;
const tmpFiles = () => readdirSync(join(node.devices, 'sdb1', 'tmp'));

async function put(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', ...headers }, body);
}

describe('object round trip', () => {
  test('PUT stores the body and metadata; GET and HEAD give them back', async () => {
    const url = newObjectUrl();
    const ts = nextTimestamp();
    const created = await call('PUT', url, {
      'X-Timestamp': ts.internal,
      'Content-Type': 'text/plain',
      'X-Object-Meta-Color': 'blue',
      'X-Object-Sysmeta-Slo-Size': '42',
      'Content-Disposition': 'attachment',
    }, 'hello world');
    assert.equal(created.status, 201);
    assert.equal(created.headers.etag, `"${md5('hello world')}"`);

    const got = await call('GET', url);
    assert.equal(got.status, 200);
    assert.equal(got.text, 'hello world');
    assert.equal(got.headers['content-type'], 'text/plain');
    assert.equal(got.headers['content-length'], '11');
    assert.equal(got.headers.etag, `"${md5('hello world')}"`);
    assert.equal(got.headers['x-object-meta-color'], 'blue');
    assert.equal(got.headers['x-object-sysmeta-slo-size'], '42');
    assert.equal(got.headers['content-disposition'], 'attachment');
    assert.equal(got.headers['x-timestamp'], ts.normal);
    assert.equal(got.headers['x-backend-timestamp'], ts.internal);
    assert.equal(got.headers['last-modified'], new Date(Math.ceil(ts.seconds) * 1000).toUTCString());

    const head = await call('HEAD', url);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.headers['x-object-meta-color'], 'blue');
    assert.equal(head.body.length, 0);
  });

  test('POST replaces the user metadata and may change Content-Type; the body stays', async () => {
    const url = newObjectUrl();
    await put(url, 'some data', { 'X-Object-Meta-Color': 'blue', 'X-Object-Sysmeta-Keep': 'yes' });
    const postTs = nextTimestamp();
    const posted = await call('POST', url, { 'X-Timestamp': postTs.internal, 'X-Object-Meta-Size': 'large', 'Content-Type': 'application/x-new' });
    assert.equal(posted.status, 202);

    const got = await call('GET', url);
    assert.equal(got.text, 'some data');
    assert.equal(got.headers['x-object-meta-color'], undefined, 'POST drops metadata it does not repeat');
    assert.equal(got.headers['x-object-meta-size'], 'large');
    assert.equal(got.headers['x-object-sysmeta-keep'], 'yes', 'sysmeta is not POST-able and stays');
    assert.equal(got.headers['content-type'], 'application/x-new');
    assert.equal(got.headers['x-timestamp'], postTs.normal);
    assert.equal(got.headers.etag, `"${md5('some data')}"`);

    const second = await call('POST', url, { 'X-Timestamp': nextTimestamp().internal, 'X-Object-Meta-Other': '1' });
    assert.equal(second.status, 202);
    const again = await call('HEAD', url);
    assert.equal(again.headers['content-type'], 'application/x-new', 'a POST without Content-Type keeps the one a POST set');
    assert.equal(again.headers['x-object-meta-size'], undefined);
  });

  test('DELETE leaves a tombstone: 404 carrying its X-Backend-Timestamp', async () => {
    const url = newObjectUrl();
    await put(url, 'to be deleted');
    const deleteTs = nextTimestamp();
    const deleted = await call('DELETE', url, { 'X-Timestamp': deleteTs.internal });
    assert.equal(deleted.status, 204);

    const got = await call('GET', url);
    assert.equal(got.status, 404);
    assert.equal(got.headers['x-backend-timestamp'], deleteTs.internal);
    assert.equal((await call('HEAD', url)).headers['x-backend-timestamp'], deleteTs.internal);
    assert.equal((await call('POST', url, { 'X-Timestamp': nextTimestamp().internal })).status, 404);
  });

  test('DELETE of a missing object is 404 but still writes the tombstone', async () => {
    const url = newObjectUrl();
    const older = nextTimestamp();
    const deleteTs = nextTimestamp();
    assert.equal((await call('DELETE', url, { 'X-Timestamp': deleteTs.internal })).status, 404);
    const late = await call('PUT', url, { 'X-Timestamp': older.internal, 'Content-Type': 'text/plain' }, 'late');
    assert.equal(late.status, 409, 'a PUT older than the tombstone loses');
    assert.equal(late.headers['x-backend-timestamp'], deleteTs.internal);
  });
});

describe('newest timestamp wins', () => {
  test('an older or equal PUT is 409 with the stored X-Backend-Timestamp, and changes nothing', async () => {
    const url = newObjectUrl();
    const older = nextTimestamp();
    const newer = nextTimestamp();
    assert.equal((await call('PUT', url, { 'X-Timestamp': newer.internal, 'Content-Type': 'text/plain' }, 'new')).status, 201);
    for (const ts of [older, newer]) {
      const stale = await call('PUT', url, { 'X-Timestamp': ts.internal, 'Content-Type': 'text/plain' }, 'old');
      assert.equal(stale.status, 409);
      assert.equal(stale.headers['x-backend-timestamp'], newer.internal);
    }
    assert.equal((await call('GET', url)).text, 'new');
  });

  test('an older POST or DELETE is 409; the object stays', async () => {
    const url = newObjectUrl();
    const older = nextTimestamp();
    await put(url, 'keep me', { 'X-Object-Meta-A': '1' });
    assert.equal((await call('POST', url, { 'X-Timestamp': older.internal, 'X-Object-Meta-A': '2' })).status, 409);
    assert.equal((await call('DELETE', url, { 'X-Timestamp': older.internal })).status, 409);
    const got = await call('GET', url);
    assert.equal(got.text, 'keep me');
    assert.equal(got.headers['x-object-meta-a'], '1');
  });

  test('a newer PUT replaces the object and the old file is removed from disk', async () => {
    const name = `dir/replaced-${++objectCounter}`;
    const url = `${objectUrl}${backendPath('sdb1', 7, 'AUTH_test', 'photos', name)}`;
    await put(url, 'first');
    const second = nextTimestamp();
    await call('PUT', url, { 'X-Timestamp': second.internal, 'Content-Type': 'text/plain' }, 'second, longer');
    assert.equal((await call('GET', url)).text, 'second, longer');
    const hasher = await createPathHasher(hashConfig({}));
    const hash = hasher.hashHex({ account: 'AUTH_test', container: 'photos', object: name });
    const dir = join(node.devices, 'sdb1', 'objects', '7', hash.slice(-3), hash);
    assert.deepEqual(readdirSync(dir), [`${second.internal}.data`]);
  });

  test('concurrent PUTs of one object: the newest timestamp is what remains', async () => {
    const url = newObjectUrl();
    const stamps = Array.from({ length: 8 }, () => nextTimestamp());
    const shuffled = [...stamps.entries()].sort(() => Math.random() - 0.5);
    await Promise.all(shuffled.map(([i, ts]) => call('PUT', url, { 'X-Timestamp': ts.internal, 'Content-Type': 'text/plain' }, `version ${i}`)));
    const got = await call('GET', url);
    assert.equal(got.text, 'version 7');
    assert.equal(got.headers['x-timestamp'], stamps[7]!.normal);
  });

  test('a timestamp with an offset wins over the same instant without one', async () => {
    const url = newObjectUrl();
    const ts = nextTimestamp();
    await call('PUT', url, { 'X-Timestamp': ts.internal, 'Content-Type': 'text/plain' }, 'plain');
    const withOffset = await call('PUT', url, { 'X-Timestamp': ts.withOffset(1).internal, 'Content-Type': 'text/plain' }, 'offset');
    assert.equal(withOffset.status, 201);
    assert.equal((await call('GET', url)).text, 'offset');
  });
});

describe('uploads', () => {
  test('an ETag that does not match the body is 422 and nothing is stored', async () => {
    const url = newObjectUrl();
    const res = await put(url, 'the body', { ETag: md5('another body') });
    assert.equal(res.status, 422);
    assert.equal((await call('GET', url)).status, 404);
    assert.deepEqual(tmpFiles(), []);
    assert.equal((await put(url, 'the body', { ETag: `"${md5('the body')}"` })).status, 201, 'a matching (quoted) ETag is fine');
  });

  test('a body shorter than Content-Length (client gone) stores nothing', async () => {
    const url = new URL(newObjectUrl());
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nX-Timestamp: ${nextTimestamp().internal}\r\n` +
            'Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly a part of it',
        );
        setTimeout(() => socket.end(), 100);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
      socket.resume();
    });
    await waitFor('the partial upload to be dropped', async () => (tmpFiles().length === 0 ? true : undefined));
    assert.equal((await call('GET', url.href)).status, 404);
  });

  test('a chunked upload (no Content-Length) is stored whole', async () => {
    const url = newObjectUrl();
    const parts = ['first chunk, ', 'second chunk, ', 'last chunk'].map((s) => Buffer.from(s));
    async function* body() {
      for (const p of parts) yield p;
    }
    const res = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain' }, body());
    assert.equal(res.status, 201);
    assert.equal(res.headers.etag, `"${md5(Buffer.concat(parts))}"`);
    const got = await call('GET', url);
    assert.equal(got.text, 'first chunk, second chunk, last chunk');
    assert.equal(got.headers['content-length'], String(Buffer.concat(parts).length));
  });

  test('a 20 MiB object streams in and out intact', async () => {
    const url = newObjectUrl();
    const chunk = Buffer.alloc(1 << 20);
    const size = 20 * chunk.length;
    const sent = createHash('md5');
    async function* body() {
      for (let i = 0; i < 20; i++) {
        chunk.fill(i * 7 + 1);
        sent.update(chunk);
        yield Buffer.from(chunk);
      }
    }
    const res = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'application/octet-stream', 'Content-Length': size }, body());
    assert.equal(res.status, 201);
    const expected = sent.digest('hex');
    assert.equal(res.headers.etag, `"${expected}"`);

    const got = await request(url);
    assert.equal(got.statusCode, 200);
    assert.equal(got.headers['content-length'], String(size));
    const received = createHash('md5');
    let bytes = 0;
    for await (const piece of got.body) {
      received.update(piece as Buffer);
      bytes += (piece as Buffer).length;
    }
    assert.equal(bytes, size);
    assert.equal(received.digest('hex'), expected);
  });

  test('Expect: 100-continue: a refused PUT is answered before the body is sent', async () => {
    const url = new URL(newObjectUrl());
    const newer = nextTimestamp();
    await call('PUT', url.href, { 'X-Timestamp': newer.internal, 'Content-Type': 'text/plain' }, 'current');
    const exchange = (ts: string, body: string) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(
            `PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nX-Timestamp: ${ts}\r\nContent-Type: text/plain\r\n` +
              `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
          );
        });
        socket.on('data', (d) => {
          const first = text === '';
          text += d.toString();
          if (first && text.startsWith('HTTP/1.1 100 Continue')) socket.write(body);
        });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const refused = await exchange(new Timestamp(newer.ticks - 1).internal, 'stale');
    assert.match(refused, /^HTTP\/1\.1 409/, 'no 100 Continue for a PUT that loses');
    const accepted = await exchange(nextTimestamp().internal, 'fresh');
    assert.match(accepted, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201/);
    assert.equal((await call('GET', url.href)).text, 'fresh');
  });

  test('If-None-Match: * refuses to overwrite an existing object', async () => {
    const url = newObjectUrl();
    assert.equal((await put(url, 'v1', { 'If-None-Match': '*' })).status, 201);
    assert.equal((await put(url, 'v2', { 'If-None-Match': '*' })).status, 412);
    assert.equal((await call('GET', url)).text, 'v1');
  });
});

describe('range requests', () => {
  const body = 'abcdefghijklmnopqrstuvwxyz';
  let url: string;
  before(async () => {
    url = newObjectUrl();
    await put(url, body);
  });

  test('a single range is 206 with Content-Range', async () => {
    const res = await call('GET', url, { Range: 'bytes=2-5' });
    assert.equal(res.status, 206);
    assert.equal(res.text, 'cdef');
    assert.equal(res.headers['content-range'], 'bytes 2-5/26');
    assert.equal(res.headers['content-length'], '4');
    assert.equal((await call('GET', url, { Range: 'bytes=-3' })).text, 'xyz');
    assert.equal((await call('GET', url, { Range: 'bytes=20-' })).text, 'uvwxyz');
    assert.equal((await call('GET', url, { Range: 'bytes=20-1000' })).headers['content-range'], 'bytes 20-25/26');
  });

  test('several ranges come as multipart/byteranges', async () => {
    const res = await call('GET', url, { Range: 'bytes=0-1,10-12' });
    assert.equal(res.status, 206);
    const boundary = /^multipart\/byteranges;\s*boundary=(\S+)$/.exec(res.headers['content-type']!)?.[1];
    assert.ok(boundary, `multipart content type, got ${res.headers['content-type']}`);
    assert.equal(Number(res.headers['content-length']), res.body.length);
    const parts = res.text.split(`--${boundary}`);
    assert.equal(parts.at(-1), '--');
    const [first, second] = parts.slice(1, 3).map((p) => {
      const [head, data] = p.split('\r\n\r\n');
      return { head: head!, data: data!.replace(/\r\n$/, '') };
    });
    assert.match(first!.head, /Content-Range: bytes 0-1\/26/);
    assert.match(first!.head, /Content-Type: text\/plain/);
    assert.equal(first!.data, 'ab');
    assert.match(second!.head, /Content-Range: bytes 10-12\/26/);
    assert.equal(second!.data, 'klm');
  });

  test('an unsatisfiable range is 416 with Content-Range bytes */length', async () => {
    const res = await call('GET', url, { Range: 'bytes=100-200' });
    assert.equal(res.status, 416);
    assert.equal(res.headers['content-range'], 'bytes */26');
  });

  test('a malformed Range header is ignored', async () => {
    for (const range of ['bytes=5-2', 'items=0-1', 'bytes=abc']) {
      const res = await call('GET', url, { Range: range });
      assert.equal(res.status, 200, range);
      assert.equal(res.text, body);
    }
  });
});

describe('conditional requests', () => {
  const data = 'conditional body';
  const etag = md5(data);
  let url: string;
  let lastModified: Date;
  before(async () => {
    url = newObjectUrl();
    await put(url, data);
    lastModified = new Date((await call('HEAD', url)).headers['last-modified']!);
  });

  test('If-Match', async () => {
    assert.equal((await call('GET', url, { 'If-Match': `"${etag}"` })).status, 200);
    assert.equal((await call('GET', url, { 'If-Match': '*' })).status, 200);
    const failed = await call('GET', url, { 'If-Match': '"0123456789abcdef0123456789abcdef"' });
    assert.equal(failed.status, 412);
    assert.equal(failed.headers.etag, `"${etag}"`);
    assert.equal((await call('GET', `${url}-missing`, { 'If-Match': '*' })).status, 412);
  });

  test('If-None-Match', async () => {
    const notModified = await call('GET', url, { 'If-None-Match': `"${etag}"` });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    assert.equal((await call('GET', url, { 'If-None-Match': '*' })).status, 304);
    assert.equal((await call('GET', url, { 'If-None-Match': '"other"' })).status, 200);
  });

  test('If-Modified-Since and If-Unmodified-Since', async () => {
    const later = new Date(lastModified.getTime() + 60_000).toUTCString();
    const earlier = new Date(lastModified.getTime() - 60_000).toUTCString();
    assert.equal((await call('GET', url, { 'If-Modified-Since': later })).status, 304);
    assert.equal((await call('GET', url, { 'If-Modified-Since': lastModified.toUTCString() })).status, 304);
    assert.equal((await call('GET', url, { 'If-Modified-Since': earlier })).text, data);
    assert.equal((await call('GET', url, { 'If-Unmodified-Since': earlier })).status, 412);
    assert.equal((await call('GET', url, { 'If-Unmodified-Since': later })).status, 200);
    assert.equal((await call('GET', url, { 'If-Modified-Since': 'not a date' })).status, 200);
  });

  test('X-Backend-Etag-Is-At points conditionals at another ETag', async () => {
    const slo = newObjectUrl();
    await put(slo, 'manifest', { 'X-Object-Sysmeta-Slo-Etag': 'abc123' });
    const headers = { 'X-Backend-Etag-Is-At': 'X-Object-Sysmeta-Slo-Etag', 'If-None-Match': '"abc123"' };
    assert.equal((await call('GET', slo, headers)).status, 304);
  });
});

describe('expiry', () => {
  test('an object past its X-Delete-At is 404 with X-Backend-Timestamp', async () => {
    const url = newObjectUrl();
    const now = Math.floor(Date.now() / 1000);
    // A write made 100 s ago that expired 50 s ago: valid when written, expired now.
    const writtenAt = `${now - 100}.00000`;
    const res = await call('PUT', url, { 'X-Timestamp': writtenAt, 'Content-Type': 'text/plain', 'X-Delete-At': String(now - 50) }, 'gone');
    assert.equal(res.status, 201);
    const got = await call('GET', url);
    assert.equal(got.status, 404);
    assert.equal(got.headers['x-backend-timestamp'], writtenAt);
    assert.equal((await call('HEAD', url)).status, 404);
  });

  test('an object with X-Delete-At in the future is served, with the header', async () => {
    const url = newObjectUrl();
    const deleteAt = String(Math.floor(Date.now() / 1000) + 3600);
    await put(url, 'still here', { 'X-Delete-At': deleteAt });
    const got = await call('GET', url);
    assert.equal(got.status, 200);
    assert.equal(got.headers['x-delete-at'], deleteAt);
  });

  test('X-Delete-At in the past is refused', async () => {
    const res = await put(newObjectUrl(), 'x', { 'X-Delete-At': String(Math.floor(Date.now() / 1000) - 10) });
    assert.equal(res.status, 400);
    assert.match(res.text, /X-Delete-At in past/);
  });
});

describe('bad requests to the object server', () => {
  test('missing or malformed X-Timestamp is 400', async () => {
    const url = newObjectUrl();
    assert.equal((await call('PUT', url, { 'Content-Type': 'text/plain' }, 'x')).status, 400);
    assert.equal((await call('PUT', url, { 'X-Timestamp': 'yesterday', 'Content-Type': 'text/plain' }, 'x')).status, 400);
    assert.equal((await call('DELETE', url)).status, 400);
    assert.equal((await call('POST', url, { 'X-Timestamp': '-1' })).status, 400);
  });

  test('a PUT without Content-Type is 400, too much metadata 400', async () => {
    const url = newObjectUrl();
    const noType = await call('PUT', url, { 'X-Timestamp': nextTimestamp().internal }, 'x');
    assert.equal(noType.status, 400);
    assert.match(noType.text, /No content type/);
    assert.equal((await put(url, 'x', { 'X-Object-Meta-Big': 'v'.repeat(257) })).status, 400);
    assert.equal((await put(url, 'x', { [`X-Object-Meta-${'n'.repeat(129)}`]: 'v' })).status, 400);
  });

  test('bad paths: 400 for structure and length, 412 for bad UTF-8 or NUL', async () => {
    const base = objectUrl;
    assert.equal((await call('GET', `${base}/sdb1/7/AUTH_test/photos`)).status, 400, 'no object name');
    assert.equal((await call('GET', `${base}/sdb1/notanumber/a/c/o`)).status, 400, 'bad partition');
    assert.equal((await call('GET', `${base}/sdb1/7/a/c/${'o'.repeat(1025)}`)).status, 400, 'name too long');
    assert.equal((await call('GET', `${base}/sdb1/7/a/c/bad%FFname`)).status, 412, 'invalid UTF-8');
    assert.equal((await call('GET', `${base}/sdb1/7/a/c/nul%00name`)).status, 412, 'NUL');
    assert.equal((await call('GET', `${base}/sdb1/7/a/c/bad%zzescape`)).status, 400, 'broken escape');
  });

  test('unknown methods are 405; a missing device is 507', async () => {
    const url = newObjectUrl();
    const patch = await call('PATCH', url, { 'X-Timestamp': nextTimestamp().internal });
    assert.equal(patch.status, 405);
    assert.match(patch.headers.allow ?? '', /PUT/);
    const missing = await put(`${objectUrl}${backendPath('sdb9', 7, 'a', 'c', 'o')}`, 'x');
    assert.equal(missing.status, 507);
  });

  test('a malformed Content-Length is 400', async () => {
    const url = new URL(newObjectUrl());
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nX-Timestamp: ${nextTimestamp().internal}\r\nContent-Type: text/plain\r\nContent-Length: ten\r\n\r\n`);
      });
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await call('GET', url.href)).status, 404);
  });
});
