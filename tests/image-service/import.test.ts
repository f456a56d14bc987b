// Interoperable image import: glance-direct (stage, then import) and web-download (from a
// URL the operator's filters allow), the states an image goes through, and the refusals.
// web-download's address policy refuses loopback, private, link-local… addresses before
// any connection is made; these tests only ever let the service connect to 127.0.0.1 (the
// main stack allows exactly 127.0.0.1/32, as an operator opens one network), and prove the
// refusals by servers on loopback that must see no connection.
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
/** A server on 127.0.0.2, outside the network the main stack allows: it must never be connected to. */
let outside: http.Server;
let outsideUrl: string;
let outsideConnections = 0;
let redirectsServed = 0;
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
    } else if (req.url?.startsWith('/loop/')) {
      // Redirects for ever: /loop/1 → /loop/2 → …
      redirectsServed++;
      res.writeHead(302, { location: `/loop/${Number(req.url.slice(6)) + 1}` });
      res.end();
    } else if (req.url === '/moved-outside') {
      res.writeHead(302, { location: `${outsideUrl}/disk.img` });
      res.end();
    } else {
      res.writeHead(404);
      res.end('no such file');
    }
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  outside = http.createServer((_req, res) => res.end(served));
  outside.on('connection', () => outsideConnections++);
  await new Promise<void>((r) => outside.listen(0, '127.0.0.2', r));
  outsideUrl = `http://127.0.0.2:${(outside.address() as AddressInfo).port}`;
  stack = await startImageStack({
    imageService: { web_download_allowed_networks: '127.0.0.1/32', web_download_allowed_ports: '', web_download_disallowed_ports: '9' },
  });
});

after(async () => {
  await stack?.stop();
  web?.close();
  outside?.close();
});

/** Waits until a failed import has put the image back in queued with os_glance_failed_import. */
async function waitForFailedImport(request: (path: string) => Promise<any>, id: string): Promise<any> {
  let image;
  for (let i = 0; i < 100; i++) {
    image = await request(`/v2/images/${id}`);
    if (image.status === 'queued' && image.os_glance_failed_import) return image;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`image ${id} did not fail its import: ${JSON.stringify(image)}`);
}

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
  // Glance's store lists, emptied rather than removed.
  assert.equal(image.os_glance_importing_to_stores, '');
  assert.equal(image.os_glance_failed_import, '');
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
  const image = await waitForFailedImport(async (path) => (await api('GET', path, owner)).json, id);
  assert.equal(image.os_glance_failed_import, 'swift');
  assert.equal(image.os_glance_import_task, undefined);
});

test('web-download: a chain of redirects is followed 5 hops at most, then the import fails', async () => {
  const id = await newImage();
  const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/loop/1` } });
  assert.equal(res.status, 202, res.text);
  await waitForFailedImport(async (path) => (await api('GET', path, owner)).json, id);
  // The first request and its five redirected hops; the sixth redirect is not followed.
  assert.equal(redirectsServed, 6);
  assert.match(stack.service.logs, /more than 5 redirects/);
});

test('web-download: a redirect to an address outside the allowed networks is refused at that hop, before connecting', async () => {
  const id = await newImage();
  const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/moved-outside` } });
  assert.equal(res.status, 202, res.text);
  await waitForFailedImport(async (path) => (await api('GET', path, owner)).json, id);
  assert.equal(outsideConnections, 0, 'the refused address was never connected to');
  assert.match(stack.service.logs, /127\.0\.0\.2 is not a public address \(loopback\)/);
  assert.equal((await api('GET', `/v2/images/${id}/file`, owner)).status, 204, 'no data');
  // The same address given directly is refused when the import is asked for.
  const direct = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: `${outsideUrl}/disk.img` } });
  assert.equal(direct.status, 400);
  assert.match(direct.json.message, /does not pass filtering.*loopback/);
  assert.equal(outsideConnections, 0);
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

test('web-download with the default policy: every non-public address form is refused, literal at the request, resolved at the fetch, never connected to', async () => {
  const strict = await startImageStack({ nodes: 3, imageService: { web_download_allowed_ports: '' } });
  let connections = 0;
  const local = http.createServer((_req, res) => res.end(served));
  local.on('connection', () => connections++);
  await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
  const port = (local.address() as AddressInfo).port;
  const request = (method: string, path: string, body?: unknown) => strict.service.request(method, path, { caller: owner, ...(body !== undefined ? { body } : {}) });
  try {
    const id = (await request('POST', '/v2/images', { name: 'x', disk_format: 'raw', container_format: 'bare' })).json.id;
    // Literal addresses are refused when the import is asked for: 400, the image stays queued.
    const literals = [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1/disk.img',
      'http://2130706433/disk.img',
      'http://0x7f.1/disk.img',
      'http://[::ffff:127.0.0.1]/disk.img',
      'http://[::ffff:7f00:1]/disk.img',
      'http://[::1]/disk.img',
      'http://[::]/disk.img',
      'http://0.0.0.0/disk.img',
      'http://10.0.0.1/disk.img',
      'http://172.16.5.4/disk.img',
      'http://192.168.1.1/disk.img',
      'http://100.64.0.1/disk.img',
      'http://[fe80::1]/disk.img',
      'http://[fd00::1]/disk.img',
      'http://[64:ff9b::a9fe:a9fe]/disk.img',
      'http://[2002:a9fe:a9fe::1]/disk.img',
      'http://224.0.0.1/disk.img',
      'http://255.255.255.255/disk.img',
      'http://198.18.0.1/disk.img',
    ];
    for (const uri of literals) {
      const res = await request('POST', `/v2/images/${id}/import`, { method: { name: 'web-download', uri } });
      assert.equal(res.status, 400, uri);
      assert.match(res.json.message, /^URI for web-download does not pass filtering: .*is not a public address/, uri);
    }
    assert.equal((await request('GET', `/v2/images/${id}`)).json.status, 'queued');

    // A name is resolved when the import runs: "localhost" resolves to loopback, so the
    // import fails before connecting, and the image goes back to queued as a failed import.
    const named = await request('POST', `/v2/images/${id}/import`, { method: { name: 'web-download', uri: `http://localhost:${port}/disk.img` } });
    assert.equal(named.status, 202, named.text);
    const image = await waitForFailedImport(async (path) => (await request('GET', path)).json, id);
    assert.equal(image.os_glance_failed_import, 'swift');
    assert.equal(image.size, null);
    assert.equal(connections, 0, 'nothing connected to the loopback server');
    assert.match(strict.service.logs, /host localhost resolves to (127\.0\.0\.1|::1): .* is not a public address \(loopback\)/);
  } finally {
    local.close();
    await strict.stop();
  }
});

test('web-download filters as Glance\'s [import_filtering_opts]: schemes, hosts and ports, allow lists winning over deny lists', async () => {
  const id = await newImage();
  const refused = async (uri: string, why: RegExp) => {
    const res = await api('POST', `/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri } });
    assert.equal(res.status, 400, uri);
    assert.match(res.json.message, why, uri);
  };
  await refused('ftp://127.0.0.1/disk.img', /scheme ftp is not allowed/);
  await refused('file:///etc/passwd', /scheme file is not allowed/);
  await refused('not a uri', /does not pass filtering: not a uri \(not a valid URI\)/);
  await refused(`${webUrl.replace(/:\d+$/, ':9')}/disk.img`, /port 9 is not allowed/);
  // Host filters, the allow list winning over the deny list as in Glance. No name here is
  // ever looked up in DNS: the refusals are the URL's, and localhost is in /etc/hosts.
  const filtered = await startImageStack({
    nodes: 3,
    imageService: { web_download_allowed_hosts: 'localhost', web_download_disallowed_hosts: 'localhost' },
  });
  try {
    const other = (await filtered.service.request('POST', '/v2/images', { caller: owner, body: { name: 'x', disk_format: 'raw', container_format: 'bare' } })).json.id;
    const ask = (uri: string) => filtered.service.request('POST', `/v2/images/${other}/import`, { caller: owner, body: { method: { name: 'web-download', uri } } });
    const wrongHost = await ask('http://mirror.example/disk.img');
    assert.equal(wrongHost.status, 400);
    assert.match(wrongHost.json.message, /host mirror\.example is not allowed/);
    const wrongPort = await ask('http://localhost:8081/disk.img');
    assert.equal(wrongPort.status, 400, 'only ports 80 and 443 by default');
    assert.match(wrongPort.json.message, /port 8081 is not allowed/);
    // localhost passes the host filters (allowed, its denial ignored); the address policy
    // still refuses it when the import runs, and the image goes back to queued.
    const allowed = await ask('http://localhost/disk.img');
    assert.equal(allowed.status, 202, allowed.text);
    await waitForFailedImport(async (path) => (await filtered.service.request('GET', path, { caller: owner })).json, other);
  } finally {
    await filtered.stop();
  }
});

test('glance-direct as test tooling drives it: read /v2/info/stores, stage, import to those stores, wait for them in the image', async () => {
  const info = await api('GET', '/v2/info/stores', owner);
  assert.equal(info.status, 200);
  assert.deepEqual(info.json, { stores: [{ id: 'swift', description: info.json.stores[0].description, default: true }] });
  assert.equal(typeof info.json.stores[0].description, 'string');
  const storeIds = info.json.stores.map((s: { id: string }) => s.id);

  for (const how of ['body', 'header', 'all_stores'] as const) {
    const id = await newImage();
    assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.stores, undefined, 'no data, no stores');
    const data = randomBytes(64 * 1024 + 1);
    assert.equal((await api('PUT', `/v2/images/${id}/stage`, owner, data, OCTET)).status, 204);
    const body = { method: { name: 'glance-direct' }, ...(how === 'body' ? { stores: storeIds } : how === 'all_stores' ? { all_stores: true, all_stores_must_succeed: true } : {}) };
    const started = await api('POST', `/v2/images/${id}/import`, owner, body, how === 'header' ? { 'x-image-meta-store': storeIds[0] } : undefined);
    assert.equal(started.status, 202, `${how}: ${started.text}`);
    const image = await waitForStatus(id, ['active']);
    assert.equal(image.stores, storeIds.join(','), how);
    assert.equal(image.os_glance_importing_to_stores, '');
    assert.equal(image.os_glance_failed_import, '');
    assert.equal(image.checksum, md5(data));
  }
});

test("import request refusals with Glance's messages, before the image is touched", async () => {
  const id = await newImage();
  const refused = async (body: unknown, status: number, message: string, headers?: Record<string, string>) => {
    const res = await api('POST', `/v2/images/${id}/import`, owner, body, headers);
    assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.json.message, message);
  };
  await refused({}, 400, "Import request requires a 'method' field.");
  await refused({ method: {} }, 400, "Import request requires a 'name' field.");
  await refused({ method: { name: 'carrier-pigeon' } }, 400, "Unknown import method name 'carrier-pigeon'.");
  await refused({ method: { name: 'copy-image' } }, 400, "Unknown import method name 'copy-image'.");
  await refused({ method: { name: 'glance-direct' }, all_stores: 'yes' }, 400, "'all_stores' must be boolean value only");
  await refused({ method: { name: 'glance-direct' }, all_stores_must_succeed: 1 }, 400, "'all_stores_must_succeed' must be boolean value only");
  await refused({ method: { name: 'glance-direct' }, all_stores: true, stores: ['swift'] }, 400, "All_stores parameter can't be used with x-image-meta-store header or stores parameter");
  await refused({ method: { name: 'glance-direct' }, stores: ['swift'] }, 400, "Stores parameter and x-image-meta-store header can't be both specified", { 'x-image-meta-store': 'swift' });
  await refused({ method: { name: 'glance-direct' }, stores: ['swift', 'ceph'] }, 409, "Unknown scheme 'ceph' found in URI");
  await refused({ method: { name: 'glance-direct' } }, 409, "Unknown scheme 'file' found in URI", { 'x-image-meta-store': 'file' });
  // With a store that exists, the image's own state is what refuses: nothing staged.
  await refused({ method: { name: 'glance-direct' }, stores: ['swift'] }, 409, "Image needs to be staged before 'glance-direct' method can be used");
  assert.equal((await api('GET', `/v2/images/${id}`, owner)).json.status, 'queued');
});

test('web-download failures after the request are asynchronous: 202, importing to the store, then back to queued with the store failed', async () => {
  // A source that answers its headers, then holds the body until the test cuts it.
  const held: http.ServerResponse[] = [];
  const slow = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(4 * MiB) });
    res.write(randomBytes(1024));
    held.push(res);
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  // A port nothing listens on: the connection is refused.
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  try {
    const cut = await newImage();
    const started = await api('POST', `/v2/images/${cut}/import`, owner, { method: { name: 'web-download', uri: `${slowUrl}/disk.img` } });
    assert.equal(started.status, 202, started.text);
    const importing = await waitForStatus(cut, ['importing']);
    assert.equal(importing.os_glance_importing_to_stores, 'swift');
    assert.equal(importing.os_glance_failed_import, '');
    assert.equal(typeof importing.os_glance_import_task, 'string');
    for (let i = 0; held.length === 0 && i < 500; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(held.length, 1, 'the source was asked for once');
    held[0]!.destroy();
    const failed = await waitForFailedImport(async (path) => (await api('GET', path, owner)).json, cut);
    assert.equal(failed.os_glance_importing_to_stores, '');
    assert.equal(failed.os_glance_failed_import, 'swift');
    assert.equal(failed.os_glance_import_task, undefined);
    assert.equal(failed.size, null);

    const refused = await newImage();
    const res = await api('POST', `/v2/images/${refused}/import`, owner, { method: { name: 'web-download', uri: `${closedUrl}/disk.img` } });
    assert.equal(res.status, 202, 'the connection is made after the answer');
    const after = await waitForFailedImport(async (path) => (await api('GET', path, owner)).json, refused);
    assert.equal(after.os_glance_failed_import, 'swift');
    assert.equal(after.os_glance_importing_to_stores, '');
    // A failed import can be retried: the image is queued again, and the failure is cleared when it starts.
    const retried = await api('POST', `/v2/images/${refused}/import`, owner, { method: { name: 'web-download', uri: `${webUrl}/disk.img` } });
    assert.equal(retried.status, 202);
    const active = await waitForStatus(refused, ['active']);
    assert.equal(active.os_glance_failed_import, '');
    assert.equal(active.checksum, md5(served));
  } finally {
    for (const res of held) res.destroy();
    slow.close();
  }
});
