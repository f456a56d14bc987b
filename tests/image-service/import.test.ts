// Interoperable image import: glance-direct (stage, then import) and web-download (from a
// URL the operator's filters allow), the states an image goes through, and the refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MiB, startImageStack, type Caller, type ImageStack } from './harness.js';

const owner: Caller = { project: 'importer', roles: ['member'] };
const OCTET = { 'content-type': 'application/octet-stream' };
const served = randomBytes(3 * MiB + 7);

let stack: ImageStack;
let web: http.Server;
let webUrl: string;
const api = (method: string, path: string, caller: Caller, body?: unknown, headers?: Record<string, string>) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function newImage(): Promise<string> {
  const res = await api('POST', '/v2/images', owner, { name: 'imported', disk_format: 'raw', container_format: 'bare' });
  assert.equal(res.status, 201);
  return res.json.id;
}

async function waitForStatus(id: string, wanted: string[]): Promise<any> {
  for (let i = 0; i < 150; i++) {
    const image = (await api('GET', `/v2/images/${id}`, owner)).json;
    if (wanted.includes(image.status)) return image;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`image ${id} never reached ${wanted.join('/')}`);
}

before(async () => {
  web = http.createServer((req, res) => {
    if (req.url === '/disk.img') {
      res.writeHead(200, { 'content-length': served.length });
      res.end(served);
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/disk.img' });
      res.end();
    } else {
      res.writeHead(404);
      res.end('no such file');
    }
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  stack = await startImageStack({ imageService: { web_download_allow_loopback: 'true', web_download_allowed_ports: '' } });
});

after(async () => {
  await stack?.stop();
  web?.close();
});

test('glance-direct: stage (queued → uploading), import (→ importing → active), staged data moved into the store', async () => {
  const id = await newImage();
  const data = randomBytes(2 * MiB + 3);
  const staged = await api('PUT', `/v2/images/${id}/stage`, owner, data, OCTET);
  assert.equal(staged.status, 204, staged.text);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'uploading');
  assert.equal((await api('PUT', `/v2/images/${id}/stage`, owner, data, OCTET)).status, 409, 'staging twice');
  const usage = await api('GET', '/v2/info/usage', owner);
  assert.ok(usage.json.usage.image_stage_total.usage >= 2, 'staged bytes are reported (MiB)');

  const started = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'glance-direct' } });
  assert.equal(started.status, 202, started.text);
  const image = await waitForStatus(id, ['active']);
  assert.equal(image.checksum, md5(data));
  assert.equal(image.size, data.length);
  assert.equal(image.os_glance_import_task, undefined);
  assert.equal(image.os_glance_failed_import, undefined);
  assert.deepEqual((await api('GET', `/v2/images/${id}/file`, owner)).body, data);
  assert.equal((await api('GET', '/v2/info/usage', owner)).json.usage.image_stage_total.usage, 0, 'the staging area is emptied');
});

test('glance-direct without staged data is refused (409)', async () => {
  const id = await newImage();
  const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'glance-direct' } });
  assert.equal(res.status, 409);
  assert.match(res.json.message, /staged/);
});

test('web-download: fetched from the URL (redirects followed), queued → importing → active', async () => {
  const id = await newImage();
  const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/moved` } });
  assert.equal(res.status, 202, res.text);
  const image = await waitForStatus(id, ['active']);
  assert.equal(image.checksum, md5(served));
  assert.equal(image.size, served.length);
});

test('web-download of a missing file fails: the image goes back to queued and records os_glance_failed_import', async () => {
  const id = await newImage();
  const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/missing.img` } });
  assert.equal(res.status, 202);
  let image;
  for (let i = 0; i < 100; i++) {
    image = (await api('GET', `/v2/images/${id}`, owner)).json;
    if (image.status === 'queued' && image.os_glance_failed_import) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(image.status, 'queued');
  assert.equal(image.os_glance_failed_import, 'swift');
});

test('import refusals: unknown method, missing uri, a scheme the filters refuse, copy-image with one store, an active image', async () => {
  const id = await newImage();
  assert.equal((await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'carrier-pigeon' } })).status, 400);
  assert.equal((await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'copy-image' } })).status, 400);
  assert.equal((await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download' } })).status, 400);
  const ftp = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: 'ftp://127.0.0.1/disk.img' } });
  assert.equal(ftp.status, 400);
  assert.match(ftp.json.message, /filtering/);
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'queued');
  assert.equal((await api('PUT', `/v2/images/${id}/file`, owner, Buffer.from('data'), OCTET)).status, 204);
  assert.equal((await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/disk.img` } })).status, 409);
});

test('web-download from loopback is refused unless the operator allows it', async () => {
  const strict = await startImageStack({ nodes: 3 });
  try {
    const created = await strict.service.request('POST', '/v2/images', { caller: owner, body: { name: 'x', disk_format: 'raw', container_format: 'bare' } });
    const id = created.json.id;
    const res = await strict.service.request('POST', `/v2/images/${id}/import`, { caller: owner, body: { method: { name: 'web-download', uri: 'http://127.0.0.1/disk.img' } } });
    assert.equal(res.status, 400);
    assert.match(res.json.message, /loopback/);
    const port = await strict.service.request('POST', `/v2/images/${id}/import`, { caller: owner, body: { method: { name: 'web-download', uri: 'http://example.invalid:8081/disk.img' } } });
    assert.equal(port.status, 400, 'only ports 80 and 443 by default');
    assert.match(port.json.message, /port 8081/);
  } finally {
    await strict.stop();
  }
});
