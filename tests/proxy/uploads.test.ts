// How object bodies get in: chunked transfer, Expect: 100-continue, uploads that are cut
// off or stall, and bodies that are too large. Whatever goes wrong, no partial object
// may ever become visible.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, TestCluster } from './harness.js';

const CLIENT_TIMEOUT_MS = 1500;
let cluster: TestCluster;
let s: Session;

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

before(async () => {
  cluster = await TestCluster.start({ proxy: { client_timeout_ms: CLIENT_TIMEOUT_MS } });
  s = await Session.login(cluster);
  assert.equal((await s.request('PUT', '/up')).status, 201);
});

after(() => cluster?.stop());

/** A body delivered in pieces, so fetch sends it with Transfer-Encoding: chunked. */
function chunkedBody(chunks: Buffer[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

interface RawReply {
  status: number;
  continued: boolean;
  headers: http.IncomingHttpHeaders;
}

/** A PUT that waits for "100 Continue" before sending its body (as curl and swiftclient do). */
function putExpectingContinue(path: string, headers: Record<string, string>, body: Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${cluster.url}/v1/${s.account}${path}`, {
      method: 'PUT',
      headers: { 'x-auth-token': s.token, expect: '100-continue', ...headers },
    });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, continued, headers: res.headers }));
      if (!continued) req.destroy();
    });
    req.on('error', (err) => (continued ? reject(err) : undefined));
    req.flushHeaders();
  });
}

/** Opens a raw connection, sends a PUT's head and the first part of its body. */
async function startRawPut(path: string, head: Record<string, string>, firstPart: string): Promise<net.Socket> {
  const { hostname, port } = new URL(cluster.url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const lines = [`PUT /v1/${s.account}${path} HTTP/1.1`, `Host: ${hostname}:${port}`, `X-Auth-Token: ${s.token}`];
  for (const [name, value] of Object.entries(head)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${firstPart}`);
  return socket;
}

test('a chunked upload of several MiB is stored whole, with the right ETag and size', async () => {
  const chunks = Array.from({ length: 16 }, () => randomBytes(512 * 1024));
  const whole = Buffer.concat(chunks);
  const put = await s.request('PUT', '/up/chunked.bin', { body: chunkedBody(chunks) });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('etag'), md5(whole));
  const get = await s.request('GET', '/up/chunked.bin');
  assert.equal(get.body.length, whole.length);
  assert.equal(md5(get.body), md5(whole));
  const listing = JSON.parse((await s.request('GET', '/up?format=json&prefix=chunked')).text) as { bytes: number }[];
  assert.equal(listing[0]?.bytes, whole.length);
});

test('Expect: 100-continue: the body is asked for only when the PUT can go ahead', async () => {
  const body = randomBytes(100_000);
  const ok = await putExpectingContinue('/up/expect.bin', { 'content-length': String(body.length) }, body);
  assert.equal(ok.status, 201);
  assert.ok(ok.continued, 'the proxy sent 100 Continue');
  assert.equal(md5((await s.request('GET', '/up/expect.bin')).body), md5(body));
  const missing = await putExpectingContinue('/no-container/x', { 'content-length': String(body.length) }, body);
  assert.equal(missing.status, 404);
  assert.equal(missing.continued, false, 'no body is asked for a PUT that fails');
});

test('an object larger than max_file_size is 413 before any byte is sent', async () => {
  const reply = await putExpectingContinue('/up/huge', { 'content-length': '5368709123' }, Buffer.alloc(0));
  assert.equal(reply.status, 413);
  assert.equal(reply.continued, false);
  assert.equal((await s.request('HEAD', '/up/huge')).status, 404);
});

test('a PUT without Content-Length or chunked encoding is 411', async () => {
  const { hostname, port } = new URL(cluster.url);
  const socket = net.connect(Number(port), hostname);
  socket.write(`PUT /v1/${s.account}/up/nolength HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${s.token}\r\nConnection: close\r\n\r\n`);
  let reply = '';
  for await (const chunk of socket) reply += String(chunk);
  assert.match(reply, /^HTTP\/1\.1 411/);
});

test('a client that disconnects mid-body leaves no object behind (Content-Length and chunked)', async () => {
  const sized = await startRawPut('/up/cut-sized', { 'Content-Length': '100000' }, 'x'.repeat(5000));
  const chunked = await startRawPut('/up/cut-chunked', { 'Transfer-Encoding': 'chunked' }, `1000\r\n${'y'.repeat(4096)}\r\n`);
  await sleep(300);
  sized.destroy();
  chunked.destroy();
  await sleep(500);
  assert.equal((await s.request('HEAD', '/up/cut-sized')).status, 404);
  assert.equal((await s.request('HEAD', '/up/cut-chunked')).status, 404);
  assert.doesNotMatch((await s.request('GET', '/up')).text, /cut-/);
});

test('a client that stalls mid-body gets 408 and nothing is stored', async () => {
  const socket = await startRawPut('/up/stalled', { 'Content-Length': '100000' }, 'z'.repeat(1000));
  let reply = '';
  socket.on('data', (chunk) => (reply += String(chunk)));
  const started = Date.now();
  await new Promise((resolve) => socket.once('close', resolve));
  assert.match(reply, /^HTTP\/1\.1 408/);
  assert.ok(Date.now() - started >= CLIENT_TIMEOUT_MS - 200, 'the proxy waited client_timeout_ms');
  assert.equal((await s.request('HEAD', '/up/stalled')).status, 404);
});

test('an empty object is stored and read back', async () => {
  const put = await s.request('PUT', '/up/empty', { body: Buffer.alloc(0) });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('etag'), md5(Buffer.alloc(0)));
  const get = await s.request('GET', '/up/empty');
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('content-length'), '0');
});
