// Image data through the object store: uploads (one object, or segments and a static
// large object manifest) with checksum, os_hash_value, size and virtual_size; downloads
// whole and by range; the refusals (204 for no data, 409, 400, 413); deactivated images;
// and the faults: a client that cuts the upload at 50%, a storage node dying during an
// upload, the image service killed in the middle of one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MiB, byteStream, startImageStack, type Caller, type ImageStack } from './harness.js';

const owner: Caller = { project: 'data-owner', roles: ['member'] };
const admin: Caller = { project: 'ops', roles: ['admin'] };
const OCTET = { 'content-type': 'application/octet-stream' };
const SIZE_CAP = 12 * MiB;

let stack: ImageStack;
let storageToken: string;
const api = (method: string, path: string, caller: Caller, body?: unknown, headers?: Record<string, string>) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

async function newImage(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api('POST', '/v2/images', owner, { name: 'data', disk_format: 'raw', container_format: 'bare', ...fields });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

/** Objects the image service stored for an image, as the object store lists them. */
async function storedObjects(id: string): Promise<{ name: string; bytes: number }[]> {
  const res = await stack.cluster.request('GET', `/v1/AUTH_test/glance?format=json&prefix=${id}/`, { token: storageToken });
  if (res.status === 404) return [];
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text);
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, tries = 100): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: still ${JSON.stringify(last)}`);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** A stream of `data` that calls `at(fraction)` hooks as it passes 10%, 20%, …; a hook may throw to cut it. */
function streamOf(data: Buffer, hooks: Record<number, () => Promise<void> | void> = {}): ReadableStream<Uint8Array> {
  let offset = 0;
  const step = 64 * 1024;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= data.length) return controller.close();
      const tenth = Math.floor((offset / data.length) * 10);
      const hook = hooks[tenth];
      if (hook) {
        delete hooks[tenth];
        try {
          await hook();
        } catch (err) {
          return controller.error(err);
        }
      }
      controller.enqueue(data.subarray(offset, offset + step));
      offset += step;
    },
  });
}

before(async () => {
  stack = await startImageStack({ imageService: { image_size_cap: SIZE_CAP, segment_concurrency: 2 } });
  storageToken = (await stack.cluster.auth('test:tester', 'testing')).token;
});

after(async () => {
  await stack?.stop();
});

test('a chunked upload larger than a segment: an SLO of segments, digests while streaming, whole and ranged downloads', async () => {
  const id = await newImage();
  const data = randomBytes(5 * MiB + 12345);
  const put = await api('PUT', `/v2/images/${id}/file`, owner, streamOf(data), OCTET);
  assert.equal(put.status, 204, put.text);
  const image = (await api('GET', `/v2/images/${id}`, owner)).json;
  assert.equal(image.status, 'active');
  assert.equal(image.size, data.length);
  assert.equal(image.checksum, md5(data));
  assert.equal(image.os_hash_algo, 'sha512');
  assert.equal(image.os_hash_value, sha512(data));
  assert.equal(image.virtual_size, data.length, 'raw: the virtual size is the size');

  const objects = await storedObjects(id);
  assert.equal(objects.filter((o) => o.name.includes('/', id.length + 1)).length, 6, `6 segments of 1 MiB or less: ${JSON.stringify(objects)}`);

  const whole = await api('GET', `/v2/images/${id}/file`, owner);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-md5'), md5(data));
  assert.equal(whole.headers.get('content-type'), 'application/octet-stream');
  assert.equal(sha512(whole.body), sha512(data));

  const head = await api('HEAD', `/v2/images/${id}/file`, owner);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(data.length));
  assert.equal(head.headers.get('content-md5'), md5(data));

  const across = await api('GET', `/v2/images/${id}/file`, owner, undefined, { range: `bytes=${MiB - 10}-${MiB + 9}` });
  assert.equal(across.status, 206);
  assert.equal(across.headers.get('content-range'), `bytes ${MiB - 10}-${MiB + 9}/${data.length}`);
  assert.deepEqual(across.body, data.subarray(MiB - 10, MiB + 10));
  const tail = await api('GET', `/v2/images/${id}/file`, owner, undefined, { range: 'bytes=-100' });
  assert.equal(tail.status, 206);
  assert.deepEqual(tail.body, data.subarray(data.length - 100));
  const beyond = await api('GET', `/v2/images/${id}/file`, owner, undefined, { range: `bytes=${data.length}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${data.length}`);

  const again = await api('PUT', `/v2/images/${id}/file`, owner, Buffer.from('more'), OCTET);
  assert.equal(again.status, 409, 'uploading to an active image');
  assert.match(again.json.message, /active/);

  assert.equal((await api('DELETE', `/v2/images/${id}`, owner)).status, 204);
  assert.deepEqual(await storedObjects(id), [], 'deleting the image deletes its manifest and segments');
});

test('a small upload with Content-Length is one object; qcow2 virtual_size comes from the header', async () => {
  const id = await newImage({ disk_format: 'qcow2' });
  const header = Buffer.alloc(64 * 1024);
  header.writeUInt32BE(0x514649fb, 0);
  header.writeUInt32BE(3, 4);
  header.writeBigUInt64BE(10n * 1024n ** 3n, 24);
  const put = await api('PUT', `/v2/images/${id}/file`, owner, header, OCTET);
  assert.equal(put.status, 204, put.text);
  const image = (await api('GET', `/v2/images/${id}`, owner)).json;
  assert.equal(image.size, header.length);
  assert.equal(image.virtual_size, 10 * 1024 ** 3);
  const objects = await storedObjects(id);
  assert.equal(objects.length, 1);
  assert.equal(objects[0]!.bytes, header.length);
});

test('refusals: queued download is 204 with no body, formats unset 400, wrong media type 415, over the size cap 413', async () => {
  const id = await newImage();
  const queued = await api('GET', `/v2/images/${id}/file`, owner);
  assert.equal(queued.status, 204);
  assert.equal(queued.body.length, 0);

  const bare = await api('POST', '/v2/images', owner, { name: 'no-formats' });
  const noFormats = await api('PUT', `/v2/images/${bare.json.id}/file`, owner, Buffer.from('x'), OCTET);
  assert.equal(noFormats.status, 400);
  assert.match(noFormats.json.message, /disk_format, container_format/);
  assert.equal((await api('GET', `/v2/images/${bare.json.id}`, owner)).json.status, 'queued');

  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, Buffer.from('x'), { 'content-type': 'text/plain' })).status, 415);

  const declared = await api('PUT', `/v2/images/${id}/file`, owner, Buffer.alloc(SIZE_CAP + 1), OCTET);
  assert.equal(declared.status, 413, 'a declared length over the cap');
  const streamed = await api('PUT', `/v2/images/${id}/file`, owner, byteStream(SIZE_CAP + MiB, Buffer.alloc(256 * 1024)), OCTET);
  assert.equal(streamed.status, 413, 'a chunked body that grows over the cap');
  assert.match(streamed.json.message, /size cap/);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'queued');
  await until('segments of the refused upload', () => storedObjects(id), (o) => o.length === 0);
});

test('deactivated images: only admins download; reactivated images download again', async () => {
  const id = await newImage();
  const data = randomBytes(1000);
  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, data, OCTET)).status, 204);
  assert.equal((await api('POST', `/v2/images/${id}/actions/deactivate`, owner)).status, 204);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'deactivated');
  const refused = await api('GET', `/v2/images/${id}/file`, owner);
  assert.equal(refused.status, 403);
  assert.match(refused.json.message, /deactivated/);
  const asAdmin = await api('GET', `/v2/images/${id}/file`, admin);
  assert.equal(asAdmin.status, 200);
  assert.deepEqual(asAdmin.body, data);
  assert.equal((await api('POST', `/v2/images/${id}/actions/reactivate`, owner)).status, 204);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'active');
  assert.deepEqual((await api('GET', `/v2/images/${id}/file`, owner)).body, data);
  assert.equal((await api('POST', `/v2/images/${id}/actions/deactivate`, { project: 'stranger', roles: ['member'] })).status, 404);
});

test('fault: the client cuts the upload at 50%; the image stays queued and no segment is left', async () => {
  const id = await newImage();
  const data = randomBytes(4 * MiB);
  await assert.rejects(
    api('PUT', `/v2/images/${id}/file`, owner, streamOf(data, {
      5: async () => {
        await until('image saving', async () => (await api('GET', `/v2/images/${id}`, owner)).json.status, (s) => s === 'saving');
        throw new Error('cable pulled');
      },
    }), OCTET),
  );
  await until('image status after the cut', async () => (await api('GET', `/v2/images/${id}`, owner)).json.status, (s) => s === 'queued');
  await until('objects after the cut', () => storedObjects(id), (o) => o.length === 0);
  // The image takes a complete upload afterwards.
  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, streamOf(data), OCTET)).status, 204);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.checksum, md5(data));
});

test('fault: a storage node dies during the upload; the upload still succeeds and reads back intact', async () => {
  const id = await newImage();
  const data = randomBytes(4 * MiB + 1);
  try {
    const put = await api('PUT', `/v2/images/${id}/file`, owner, streamOf(data, { 3: () => stack.cluster.stopNode(2, 'SIGKILL') }), OCTET);
    assert.equal(put.status, 204, put.text);
    const image = (await api('GET', `/v2/images/${id}`, owner)).json;
    assert.equal(image.status, 'active');
    assert.equal(image.checksum, md5(data));
    const back = await api('GET', `/v2/images/${id}/file`, owner);
    assert.equal(md5(back.body), md5(data));
  } finally {
    await stack.cluster.startNode(2);
  }
});

test('fault: the image service is killed mid-upload; after restart the image is queued and its segments are deleted', async () => {
  const id = await newImage();
  const data = randomBytes(6 * MiB);
  let segmentsBeforeKill = 0;
  await assert.rejects(
    api('PUT', `/v2/images/${id}/file`, owner, streamOf(data, {
      6: async () => {
        // Wait until some segments are really in the object store, then kill the service.
        segmentsBeforeKill = (await until('segments in flight', () => storedObjects(id), (o) => o.length >= 2)).length;
        await stack.service.stop('SIGKILL');
      },
    }), OCTET),
  );
  assert.ok(segmentsBeforeKill >= 2);
  await stack.service.start();
  const image = (await api('GET', `/v2/images/${id}`, owner)).json;
  assert.equal(image.status, 'queued', 'an upload cut by a crash is never active');
  await until('segments left by the crash', () => storedObjects(id), (o) => o.length === 0);
  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, streamOf(data), OCTET)).status, 204);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.os_hash_value, sha512(data));
});

test('an image deleted while its data uploads: the upload gets 410 and nothing is left in the store', async () => {
  const id = await newImage();
  const data = randomBytes(3 * MiB);
  const put = await api('PUT', `/v2/images/${id}/file`, owner, streamOf(data, {
    5: async () => {
      await until('image saving', async () => (await api('GET', `/v2/images/${id}`, owner)).json.status, (s) => s === 'saving');
      assert.equal((await api('DELETE', `/v2/images/${id}`, owner)).status, 204);
    },
  }), OCTET);
  assert.ok([410, 503].includes(put.status), `the upload of a deleted image is refused: ${put.status} ${put.text}`);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).status, 404);
  await until('objects of the deleted image', () => storedObjects(id), (o) => o.length === 0);
});

// Last: it stops the object store's proxy for good.
test('the object store unreachable: 5xx answers say only that the server failed, with the request id; the details are in the log', async () => {
  const id = await newImage();
  const data = randomBytes(64 * 1024);
  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, data, OCTET)).status, 204);
  await stack.cluster.proxy.stop();
  const internals = /127\.0\.0\.1|ECONNREFUSED|AUTH_|glance\/|object store|could not be reached/i;

  const upload = await api('PUT', `/v2/images/${await newImage()}/file`, owner, data, OCTET);
  assert.equal(upload.status, 503, upload.text);
  const uploadId = upload.headers.get('x-openstack-request-id') ?? '';
  assert.match(uploadId, /^req-[0-9a-f-]{36}$/);
  assert.deepEqual(upload.json, {
    message: `The server is currently unavailable. Please try again at a later time. (Request ID: ${uploadId})`,
    code: '503 Service Unavailable',
    title: 'Service Unavailable',
  });

  const download = await api('GET', `/v2/images/${id}/file`, owner);
  assert.ok(download.status >= 500, `${download.status} ${download.text}`);
  const downloadId = download.headers.get('x-openstack-request-id') ?? '';
  assert.ok(download.json.message.endsWith(`(Request ID: ${downloadId})`), download.text);
  assert.doesNotMatch(download.text, internals);
  assert.doesNotMatch(upload.text, internals);

  // The operator finds the cause under the request id (the log arrives through a pipe, maybe after the answer).
  const failures = async (requestId: string) => stack.service.logs.split('\n').filter((line) => line.includes(requestId) && line.includes('request failed'));
  const logged = await until('the upload failure logged', () => failures(uploadId), (lines) => lines.length > 0);
  assert.equal(logged.length, 1, stack.service.logs.slice(-3000));
  assert.match(logged[0]!, /ECONNREFUSED/);
  await until('the download failure logged', () => failures(downloadId), (lines) => lines.length > 0);
});
