// The body-phase bounds of common/body-timeouts.ts, attacked over real sockets: a body
// that stalls after one byte, a JSON body that trickles in, and the legitimate forms (a
// streamed upload slower than the whole-body deadline, a prompt JSON body) — first on a
// bare fastify app, then on the identity and image service processes as they run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import { STREAMED_BODY, boundRequestBodies } from '../../common/body-timeouts.js';
import { startIdentity, type RunningIdentity } from '../identity/harness.js';
import { startImageStack, type ImageStack } from '../image-service/harness.js';

const IDLE_MS = 300;
const WHOLE_BODY_MS = 1500;
/** How long a test waits for the server to close a connection before calling it a failure. */
const GIVE_UP_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a raw connection and sends a request head announcing `length` body bytes. */
async function openRequest(url: string, method: string, path: string, length: number, contentType: string, extraHead = ''): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n${extraHead}\r\n`);
  return socket;
}

/** Resolves with what the server sent once it closed the connection; rejects if it never does. */
function closedBy(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server kept the connection open')), GIVE_UP_MS);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', () => {});
  });
}

/** Sends `total` bytes one at a time, `gapMs` apart, until done or the socket closes. */
async function trickle(socket: Socket, total: number, gapMs: number): Promise<number> {
  let sent = 0;
  while (sent < total && !socket.destroyed) {
    socket.write('x');
    sent++;
    await sleep(gapMs);
  }
  return sent;
}

describe('a bare server with the bounds', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    app = Fastify();
    boundRequestBodies(app, { idleMs: IDLE_MS, wholeBodyMs: WHOLE_BODY_MS });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/parsed', async (request) => ({ bytes: String(request.body).length }));
    app.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null));
    app.put('/streamed', { config: STREAMED_BODY }, async (request) => {
      let bytes = 0;
      for await (const chunk of request.raw) bytes += (chunk as Buffer).length;
      return { bytes };
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => app.close());

  test('a body that stalls after one byte loses its connection', async () => {
    const socket = await openRequest(url, 'POST', '/parsed', 60_000, 'application/json');
    socket.write('{');
    assert.equal(await closedBy(socket), '');
  });

  test('a parsed body trickling in, never idle, is cut at the whole-body deadline', async () => {
    const socket = await openRequest(url, 'POST', '/parsed', 60_000, 'application/json');
    const closed = closedBy(socket);
    const sent = await trickle(socket, 60_000, IDLE_MS / 3);
    assert.equal(await closed, '');
    assert.ok(sent < 60_000);
  });

  test('a streamed body slower than the whole-body deadline, never idle, completes', async () => {
    const total = Math.ceil((WHOLE_BODY_MS * 2) / (IDLE_MS / 3));
    const socket = await openRequest(url, 'PUT', '/streamed', total, 'application/octet-stream');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    assert.equal(await trickle(socket, total, IDLE_MS / 3), total);
    while (!answer.includes('}')) await once(socket, 'data');
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, new RegExp(`"bytes":${total}`));
    socket.destroy();
  });

  test('a prompt body is answered, and the connection then stays open for the next request', async () => {
    const socket = await openRequest(url, 'POST', '/parsed', 2, 'application/json');
    socket.write('{}');
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.match(first.toString(), /^HTTP\/1\.1 200[\s\S]*"bytes":2/);
    // Past the idle time the kept-alive connection still serves a request.
    await sleep(IDLE_MS * 2);
    socket.write(`POST /parsed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    const [second] = (await once(socket, 'data')) as [Buffer];
    assert.match(second.toString(), /^HTTP\/1\.1 200/);
    socket.destroy();
  });
});

describe('the identity service', () => {
  let identity: RunningIdentity;
  before(async () => {
    identity = await startIdentity({ identity: { client_timeout_ms: IDLE_MS, body_timeout_ms: WHOLE_BODY_MS } });
  });
  after(() => identity?.destroy());

  test('a token request whose body stalls is cut; a whole one still gets its token', async () => {
    const socket = await openRequest(identity.url, 'POST', '/v3/auth/tokens', 60_000, 'application/json');
    socket.write('{"auth":');
    assert.equal(await closedBy(socket), '');
    assert.equal((await identity.adminToken()).token.length > 0, true);
  });
});

/** The image stack runs with auth_strategy noauth: the caller's project and roles are trusted headers. */
const NOAUTH = { 'x-project-id': 'p1', 'x-roles': 'member' };
const NOAUTH_HEAD = Object.entries(NOAUTH).map(([k, v]) => `${k}: ${v}\r\n`).join('');

describe('the image service', () => {
  let stack: ImageStack;
  before(async () => {
    stack = await startImageStack({ nodes: 3, imageService: { client_timeout_ms: IDLE_MS, body_timeout_ms: WHOLE_BODY_MS } });
  });
  after(() => stack?.stop());

  test('an image create whose JSON body trickles in is cut at the deadline', async () => {
    const socket = await openRequest(stack.service.url, 'POST', '/v2/images', 60_000, 'application/json', NOAUTH_HEAD);
    const closed = closedBy(socket);
    await trickle(socket, 60_000, IDLE_MS / 3);
    assert.equal(await closed, '');
  });

  test('an image upload that stalls is cut by the idle timeout', async () => {
    const created = await fetch(`${stack.service.url}/v2/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...NOAUTH },
      body: JSON.stringify({ name: 'stalled', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const socket = await openRequest(stack.service.url, 'PUT', `/v2/images/${id}/file`, 1_000_000, 'application/octet-stream', NOAUTH_HEAD);
    socket.write('x'.repeat(1000));
    await closedBy(socket);
    const image = await fetch(`${stack.service.url}/v2/images/${id}`, { headers: NOAUTH });
    assert.notEqual(((await image.json()) as { status: string }).status, 'active');
  });
});
