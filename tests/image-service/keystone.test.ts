// The image service with real identity tokens: tokens validated by identity (401 without
// or with a bad one), the owner taken from the token's project, Glance's policy between
// projects, and the image bytes stored through the proxy as the `glance` service user in
// the `service` project's account, found through the catalog's object-store endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startIdentity, type RunningIdentity } from '../identity/harness.js';
import { MiB, startImageStack, type ImageStack } from './harness.js';

let identity: RunningIdentity;
let stack: ImageStack;
let alice: { projectId: string; token: string };
let bob: { projectId: string; token: string };
let adminToken: string;
const OCTET = { 'content-type': 'application/octet-stream' };

before(async () => {
  identity = await startIdentity();
  stack = await startImageStack({ identity: { v3: identity.v3, servicePassword: identity.servicePassword }, nodes: 3 });
  await identity.setEndpoint('object-store', `${stack.cluster.url}/v1/AUTH_%(project_id)s`);
  const a = await identity.makeUser('alice-project', 'alice', 'alice-pass');
  const b = await identity.makeUser('bob-project', 'bob', 'bob-pass');
  alice = { projectId: a.projectId, token: a.login.token };
  bob = { projectId: b.projectId, token: b.login.token };
  adminToken = (await identity.adminToken()).token;
});

after(async () => {
  await stack?.stop();
  await identity?.destroy();
});

test('requests need a valid token', async () => {
  const none = await stack.service.request('GET', '/v2/images');
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /Keystone/);
  const bad = await stack.service.request('GET', '/v2/images', { caller: { token: 'gAAAA-not-a-token' } });
  assert.equal(bad.status, 401);
  // Version documents are public, as Glance's.
  assert.equal((await stack.service.request('GET', '/versions')).status, 200);
});

test("the owner is the token's project; bytes go to the service project's account through the proxy", async () => {
  const created = await stack.service.request('POST', '/v2/images', { caller: { token: alice.token }, body: { name: 'alice-disk', disk_format: 'raw', container_format: 'bare', visibility: 'private' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.owner, alice.projectId);
  const id = created.json.id;
  const data = randomBytes(2 * MiB + 1);
  const put = await stack.service.request('PUT', `/v2/images/${id}/file`, { caller: { token: alice.token }, body: data, headers: OCTET });
  assert.equal(put.status, 204, `${put.text}\n${stack.service.logs.slice(-2000)}`);
  const back = await stack.service.request('GET', `/v2/images/${id}/file`, { caller: { token: alice.token } });
  assert.equal(createHash('md5').update(back.body).digest('hex'), createHash('md5').update(data).digest('hex'));

  // The data is in the service project's account, container glance, under the image id.
  const glance = await identity.token('glance', identity.servicePassword, 'service');
  const listing = await fetch(`${stack.cluster.url}/v1/AUTH_${glance.projectId}/glance?format=json&prefix=${id}/`, { headers: { 'x-auth-token': glance.token } });
  assert.equal(listing.status, 200);
  const objects = (await listing.json()) as { name: string }[];
  assert.ok(objects.length >= 1, 'the image has objects in the glance container');

  // Bob's project does not see it; the admin does, and only the admin may make it public.
  assert.equal((await stack.service.request('GET', `/v2/images/${id}`, { caller: { token: bob.token } })).status, 404);
  const publicize = (token: string) =>
    stack.service.request('PATCH', `/v2/images/${id}`, {
      caller: { token },
      body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }]),
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });
  assert.equal((await publicize(alice.token)).status, 403);
  assert.equal((await publicize(adminToken)).status, 200);
  assert.equal((await stack.service.request('GET', `/v2/images/${id}`, { caller: { token: bob.token } })).status, 200);
  assert.equal((await stack.service.request('DELETE', `/v2/images/${id}`, { caller: { token: bob.token } })).status, 403);
  assert.equal((await stack.service.request('DELETE', `/v2/images/${id}`, { caller: { token: alice.token } })).status, 204);
});

test('the admin role on a project other than the admin project gives no image-admin powers', async () => {
  const carol = await identity.makeUser('carol-project', 'carol', 'carol-pass', 'admin');
  const created = await stack.service.request('POST', '/v2/images', { caller: { token: carol.login.token }, body: { name: 'carol-disk', disk_format: 'raw', container_format: 'bare' } });
  assert.equal(created.status, 201, created.text);
  const publicize = await stack.service.request('PATCH', `/v2/images/${created.json.id}`, {
    caller: { token: carol.login.token },
    body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }]),
    headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
  });
  assert.equal(publicize.status, 403);
  // Nor does it see another project's private image, as the cloud admin does.
  const hidden = await stack.service.request('POST', '/v2/images', { caller: { token: alice.token }, body: { name: 'alice-private', disk_format: 'raw', container_format: 'bare' } });
  assert.equal((await stack.service.request('GET', `/v2/images/${hidden.json.id}`, { caller: { token: carol.login.token } })).status, 404);
  assert.equal((await stack.service.request('GET', `/v2/images/${hidden.json.id}`, { caller: { token: adminToken } })).status, 200);
});
