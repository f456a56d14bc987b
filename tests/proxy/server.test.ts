// The proxy process itself: /healthcheck, /info, unknown paths, and shutdown on SIGTERM
// (an upload in flight finishes; one that cannot finish in time is dropped and leaves
// nothing behind).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, TestCluster } from './harness.js';

const SHUTDOWN_TIMEOUT_MS = 1500;
let cluster: TestCluster;
let s: Session;

before(async () => {
  cluster = await TestCluster.start({ proxy: { shutdown_timeout_ms: SHUTDOWN_TIMEOUT_MS } });
  s = await Session.login(cluster);
  assert.equal((await s.request('PUT', '/sig')).status, 201);
});

after(() => cluster?.stop());

test('/healthcheck answers OK', async () => {
  const res = await cluster.request('GET', '/healthcheck');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'OK');
});

test('/info reports the Swift limits and the large-object settings', async () => {
  const res = await cluster.request('GET', '/info');
  assert.equal(res.status, 200);
  const info = JSON.parse(res.text) as Record<string, Record<string, unknown>>;
  assert.equal(info.swift!.max_file_size, 5368709122);
  assert.equal(info.swift!.max_meta_name_length, 128);
  assert.equal(info.swift!.max_meta_value_length, 256);
  assert.equal(info.swift!.max_meta_count, 90);
  assert.equal(info.swift!.max_meta_overall_size, 4096);
  assert.equal(info.swift!.max_header_size, 8192);
  assert.equal(info.swift!.max_object_name_length, 1024);
  assert.equal(info.swift!.container_listing_limit, 10000);
  assert.equal(info.swift!.account_listing_limit, 10000);
  assert.equal(info.swift!.max_account_name_length, 256);
  assert.equal(info.swift!.max_container_name_length, 256);
  assert.equal(info.swift!.extra_header_count, 0);
  assert.deepEqual(info.slo, { max_manifest_segments: 1000, max_manifest_size: 8388608, min_segment_size: 1, yield_frequency: 10 });
  assert.ok(info.tempauth && info.dlo);
});

test('every response carries a transaction id; paths off the API are refused as Swift does', async () => {
  const res = await cluster.request('GET', '/nothing/here');
  assert.equal(res.status, 400);
  assert.match(res.headers.get('x-trans-id') ?? '', /^tx[0-9a-f]{21}-[0-9a-f]{10}$/);
  assert.equal(res.headers.get('x-openstack-request-id'), res.headers.get('x-trans-id'));
  assert.equal((await cluster.request('GET', '/v1')).status, 412);
});

/** A chunked PUT that sends `first` now and returns a function sending the rest. */
function startUpload(path: string, first: string) {
  const req = http.request(`${cluster.url}/v1/${s.account}${path}`, {
    method: 'PUT',
    headers: { 'x-auth-token': s.token, 'transfer-encoding': 'chunked' },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  response.catch(() => {});
  req.write(first);
  return { finish: (rest: string) => req.end(rest), response, abort: () => req.destroy() };
}

test('SIGTERM lets an upload in flight finish, then the proxy exits 0', async () => {
  const upload = startUpload('/sig/inflight', 'first half, ');
  await sleep(200);
  const proxy = cluster.proxy.process;
  proxy.kill('SIGTERM');
  await sleep(200);
  upload.finish('second half');
  assert.equal(await upload.response, 201);
  const [code] = await once(proxy, 'exit');
  assert.equal(code, 0);
  await cluster.restartProxy();
  assert.equal((await s.request('GET', '/sig/inflight')).text, 'first half, second half');
});

test('an upload still unfinished when shutdown_timeout_ms is up is dropped and stores nothing', async () => {
  const upload = startUpload('/sig/stuck', 'never finished');
  await sleep(200);
  const proxy = cluster.proxy.process;
  const started = Date.now();
  proxy.kill('SIGTERM');
  const [code] = await once(proxy, 'exit');
  assert.equal(code, 0);
  assert.ok(Date.now() - started >= SHUTDOWN_TIMEOUT_MS - 100, 'the proxy waited for the upload first');
  await assert.rejects(upload.response);
  upload.abort();
  await cluster.restartProxy();
  assert.equal((await s.request('HEAD', '/sig/stuck', { headers: { 'x-newest': 'true' } })).status, 404);
});
