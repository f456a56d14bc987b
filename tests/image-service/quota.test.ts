// The per-project storage quota (Glance's user_storage_quota): stored and staged bytes of
// a project's images together may not pass it. An upload that does not fit is refused
// before anything is written (413, Glance's message); a chunked upload is cut the moment
// it passes the quota, and nothing of it is left; other projects are not affected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MiB, byteStream, startImageStack, type Caller, type ImageStack } from './harness.js';

const owner: Caller = { project: 'quota-owner', roles: ['member'] };
const other: Caller = { project: 'quota-other', roles: ['member'] };
const OCTET = { 'content-type': 'application/octet-stream' };

let stack: ImageStack;
let storageToken: string;
const api = (method: string, path: string, caller: Caller, body?: unknown, headers?: Record<string, string>) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

async function newImage(caller: Caller = owner): Promise<string> {
  const res = await api('POST', '/v2/images', caller, { name: 'quota', disk_format: 'raw', container_format: 'bare' });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

/** Objects the image service stored for an image, as the object store lists them. */
async function storedObjects(id: string): Promise<string[]> {
  const res = await stack.cluster.request('GET', `/v1/AUTH_test/glance?format=json&prefix=${id}/`, { token: storageToken });
  if (res.status === 404) return [];
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { name: string }[]).map((o) => o.name);
}

async function assertNothingLeft(id: string): Promise<void> {
  const image = (await api('GET', `/v2/images/${id}`, owner)).json;
  assert.equal(image.status, 'queued');
  assert.equal(image.size, null);
  assert.deepEqual(await storedObjects(id), []);
}

before(async () => {
  // 1 MiB segments (the harness's): a chunked upload is written segment by segment.
  // web-download may fetch from this test's server on 127.0.0.1 only.
  stack = await startImageStack({
    imageService: { user_storage_quota: '3MB', web_download_allowed_networks: '127.0.0.1/32', web_download_allowed_ports: '' },
  });
  storageToken = (await stack.cluster.auth('test:tester', 'testing')).token;
});

after(async () => {
  await stack?.stop();
});

test('uploads under the quota work; one whose length does not fit is refused before anything is written', async () => {
  const first = await newImage();
  const data = randomBytes(MiB);
  assert.equal((await api('PUT', `/v2/images/${first}/file`, owner, data, OCTET)).status, 204);
  assert.equal((await api('GET', `/v2/images/${first}`, owner)).json.size, MiB);

  const second = await newImage();
  const refused = await api('PUT', `/v2/images/${second}/file`, owner, randomBytes(2 * MiB + 1), OCTET);
  assert.equal(refused.status, 413, refused.text);
  assert.equal(refused.json.code, '413 Request Entity Too Large');
  assert.equal(refused.json.message, `Image exceeds the storage quota: The size of the data ${2 * MiB + 1} will exceed the limit. ${2 * MiB} bytes remaining.`);
  await assertNothingLeft(second);

  // Exactly what remains fits.
  assert.equal((await api('PUT', `/v2/images/${second}/file`, owner, randomBytes(MiB), OCTET)).status, 204);
  // Another project's quota is its own.
  const theirs = await newImage(other);
  assert.equal((await api('PUT', `/v2/images/${theirs}/file`, other, randomBytes(2 * MiB), OCTET)).status, 204);
  // Deleting frees the space again.
  assert.equal((await api('DELETE', `/v2/images/${second}`, owner)).status, 204);
});

test('a chunked upload (no length) is cut when it passes the quota, and nothing of it is left', async () => {
  // 1 MiB used: 2 MiB remain. The body would be 3 MiB, sent in 256 KiB chunks.
  const id = await newImage();
  const res = await api('PUT', `/v2/images/${id}/file`, owner, byteStream(3 * MiB, Buffer.alloc(256 * 1024, 1)), OCTET);
  assert.equal(res.status, 413, res.text);
  assert.match(res.json.message, /^Image exceeds the storage quota: The size of the data \d+ will exceed the limit\. 2097152 bytes remaining\.$/);
  await assertNothingLeft(id);
  // A chunked upload that fits still works.
  const fits = await api('PUT', `/v2/images/${id}/file`, owner, byteStream(MiB + 5, Buffer.alloc(256 * 1024, 2)), OCTET);
  assert.equal(fits.status, 204, fits.text);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.size, MiB + 5);
  assert.equal((await api('DELETE', `/v2/images/${id}`, owner)).status, 204);
});

test('staged data counts against the quota, and its import does not count it twice', async () => {
  // 1 MiB stored; stage 1.5 MiB: 2.5 MiB held, 0.5 MiB remain.
  const staged = await newImage();
  const data = randomBytes(1.5 * MiB);
  assert.equal((await api('PUT', `/v2/images/${staged}/stage`, owner, data, OCTET)).status, 204);
  const blocked = await newImage();
  const refused = await api('PUT', `/v2/images/${blocked}/file`, owner, randomBytes(MiB), OCTET);
  assert.equal(refused.status, 413, 'the staged bytes are counted');
  assert.match(refused.json.message, /will exceed the limit\. 524288 bytes remaining\./);
  await assertNothingLeft(blocked);
  const stagedTooMuch = await api('PUT', `/v2/images/${blocked}/stage`, owner, byteStream(MiB, Buffer.alloc(64 * 1024, 3)), OCTET);
  assert.equal(stagedTooMuch.status, 413, 'staging is metered while it streams');
  assert.equal((await api('GET', `/v2/images/${blocked}`, owner)).json.status, 'queued');

  // The import moves the staged bytes into the store: they were counted already.
  assert.equal((await api('POST', `/v2/images/${staged}/import`, owner, { method: { name: 'glance-direct' } })).status, 202);
  let image;
  for (let i = 0; i < 100; i++) {
    image = (await api('GET', `/v2/images/${staged}`, owner)).json;
    if (image.status === 'active' || image.os_glance_failed_import) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(image.status, 'active', JSON.stringify(image));
  assert.equal(image.size, data.length);
});

test('a web-download that passes the quota fails as an import: the image goes back to queued, nothing stored', async () => {
  // 2.5 MiB held (1 MiB stored, 1.5 MiB imported): 0.5 MiB remain. The server sends 1 MiB
  // chunked, so only the meter can stop it.
  const web = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(randomBytes(MiB));
    res.end();
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  try {
    const id = await newImage();
    const uri = `http://127.0.0.1:${(web.address() as AddressInfo).port}/disk.img`;
    assert.equal((await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri } })).status, 202);
    let image;
    for (let i = 0; i < 100; i++) {
      image = (await api('GET', `/v2/images/${id}`, owner)).json;
      if (image.status === 'queued' && image.os_glance_failed_import) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(image.os_glance_failed_import, 'swift', JSON.stringify(image));
    await assertNothingLeft(id);
    assert.match(stack.service.logs, /Image exceeds the storage quota/);
  } finally {
    web.close();
  }
});
