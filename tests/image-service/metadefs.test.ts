// The metadata definitions catalog: the default set loaded at the first start, reads for
// everyone, changes for admins only, and the nested resources of a namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startImageStack, type Caller, type ImageStack } from './harness.js';

const user: Caller = { project: 'someone', roles: ['member'] };
const admin: Caller = { project: 'ops', roles: ['admin'] };
let stack: ImageStack;
const api = (method: string, path: string, caller: Caller, body?: unknown) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}) });

before(async () => {
  stack = await startImageStack({ nodes: 3 });
});

after(async () => {
  await stack?.stop();
});

test('the default namespaces are there, with properties and resource type associations', async () => {
  const list = await api('GET', '/v2/metadefs/namespaces?limit=100', user);
  assert.equal(list.status, 200);
  const names = list.json.namespaces.map((n: any) => n.namespace);
  for (const n of ['OS::Compute::Hypervisor', 'OS::Compute::Libvirt', 'OS::Compute::Watchdog', 'CIM::ProcessorAllocationSettingData']) assert.ok(names.includes(n), n);
  assert.equal(list.json.schema, '/v2/schemas/metadefs/namespaces');

  const libvirt = await api('GET', '/v2/metadefs/namespaces/OS::Compute::Libvirt', user);
  assert.equal(libvirt.status, 200);
  assert.ok(libvirt.json.properties.hw_disk_bus.enum.includes('virtio'));
  assert.equal(libvirt.json.resource_type_associations[0].name, 'OS::Glance::Image');

  const watchdog = await api('GET', '/v2/metadefs/namespaces/OS::Compute::Watchdog?resource_type=OS::Glance::Image', user);
  assert.ok('hw_watchdog_action' in watchdog.json.properties, 'properties carry the association prefix');

  const filtered = await api('GET', '/v2/metadefs/namespaces?resource_types=OS::Cinder::Volume', user);
  assert.deepEqual(filtered.json.namespaces.map((n: any) => n.namespace), ['CIM::StorageAllocationSettingData']);

  const types = await api('GET', '/v2/metadefs/resource_types', user);
  assert.ok(types.json.resource_types.some((t: any) => t.name === 'OS::Nova::Flavor'));

  const page = await api('GET', '/v2/metadefs/namespaces?limit=2&sort_key=namespace&sort_dir=asc', user);
  assert.equal(page.json.namespaces.length, 2);
  assert.match(page.json.next, /marker=/);
});

test('admins create a namespace and its objects, properties, tags and associations; others may not', async () => {
  const ns = { namespace: 'Stowage::Test', display_name: 'Test', visibility: 'public', description: 'for tests' };
  assert.equal((await api('POST', '/v2/metadefs/namespaces', user, ns)).status, 403);
  const created = await api('POST', '/v2/metadefs/namespaces', admin, ns);
  assert.equal(created.status, 201, created.text);
  assert.equal((await api('POST', '/v2/metadefs/namespaces', admin, ns)).status, 409);
  const base = '/v2/metadefs/namespaces/Stowage::Test';

  const prop = await api('POST', `${base}/properties`, admin, { name: 'speed', title: 'Speed', type: 'integer', minimum: 1 });
  assert.equal(prop.status, 201, prop.text);
  assert.equal((await api('POST', `${base}/properties`, admin, { name: 'bad', title: 'Bad', type: 'colour' })).status, 400);
  assert.equal((await api('GET', `${base}/properties/speed`, user)).json.minimum, 1);
  assert.equal((await api('PUT', `${base}/properties/speed`, admin, { name: 'speed', title: 'Speed', type: 'integer', minimum: 2 })).json.minimum, 2);

  const obj = await api('POST', `${base}/objects`, admin, { name: 'Engine', required: ['speed'], properties: { speed: { title: 'Speed', type: 'integer' } } });
  assert.equal(obj.status, 201, obj.text);
  assert.equal((await api('GET', `${base}/objects`, user)).json.objects[0].name, 'Engine');
  assert.equal((await api('GET', `${base}/objects/Engine`, user)).json.required[0], 'speed');

  assert.equal((await api('POST', `${base}/tags/fast`, admin)).status, 201);
  assert.equal((await api('POST', `${base}/tags/fast`, admin)).status, 409);
  assert.deepEqual((await api('GET', `${base}/tags`, user)).json.tags.map((t: any) => t.name), ['fast']);
  assert.equal((await api('POST', `${base}/tags`, admin, { tags: [{ name: 'a' }, { name: 'b' }] })).status, 201);
  assert.deepEqual((await api('GET', `${base}/tags`, user)).json.tags.map((t: any) => t.name), ['a', 'b']);

  assert.equal((await api('POST', `${base}/resource_types`, admin, { name: 'OS::Glance::Image', prefix: 'test_' })).status, 201);
  assert.equal((await api('GET', `${base}/resource_types`, user)).json.resource_type_associations[0].prefix, 'test_');

  assert.equal((await api('DELETE', `${base}/properties/speed`, user)).status, 403);
  assert.equal((await api('DELETE', `${base}/properties/speed`, admin)).status, 204);
  assert.equal((await api('GET', `${base}/properties/speed`, user)).status, 404);
  assert.equal((await api('DELETE', `${base}/objects/Engine`, admin)).status, 204);
  assert.equal((await api('DELETE', base, admin)).status, 204);
  assert.equal((await api('GET', base, user)).status, 404);
});

test('protected namespaces cannot be deleted; private ones are invisible to other projects', async () => {
  const refused = await api('DELETE', '/v2/metadefs/namespaces/OS::Compute::Libvirt', admin);
  assert.equal(refused.status, 403);
  assert.equal((await api('POST', '/v2/metadefs/namespaces', admin, { namespace: 'Ops::Private', visibility: 'private' })).status, 201);
  assert.equal((await api('GET', '/v2/metadefs/namespaces/Ops::Private', user)).status, 404);
  assert.equal((await api('GET', '/v2/metadefs/namespaces/Ops::Private', admin)).status, 200);
});

test("DELETE of a namespace's tags, objects or properties empties that part; protected, unknown and non-admin are refused", async () => {
  const ns = 'Ops::Clearable';
  assert.equal((await api('POST', '/v2/metadefs/namespaces', admin, { namespace: ns, properties: { speed: { type: 'integer', title: 'Speed' } }, objects: [{ name: 'Disk' }], tags: [{ name: 'a' }, { name: 'b' }] })).status, 201);
  const base = `/v2/metadefs/namespaces/${encodeURIComponent(ns)}`;
  assert.equal((await api('DELETE', `${base}/tags`, user)).status, 403);
  assert.equal((await api('GET', `${base}/tags`, admin)).json.tags.length, 2);

  const cleared = await api('DELETE', `${base}/tags`, admin);
  assert.equal(cleared.status, 204);
  assert.equal(cleared.text, '');
  assert.deepEqual((await api('GET', `${base}/tags`, admin)).json.tags, []);
  assert.equal((await api('GET', `${base}/objects`, admin)).json.objects.length, 1, 'only the tags went');
  // Emptying what is empty is no error; the namespace stays.
  assert.equal((await api('DELETE', `${base}/tags`, admin)).status, 204);
  assert.equal((await api('DELETE', `${base}/objects`, admin)).status, 204);
  assert.deepEqual((await api('GET', `${base}/objects`, admin)).json.objects, []);
  assert.equal((await api('DELETE', `${base}/properties`, admin)).status, 204);
  assert.deepEqual((await api('GET', `${base}/properties`, admin)).json.properties, {});
  assert.equal((await api('GET', base, admin)).status, 200);

  assert.equal((await api('DELETE', '/v2/metadefs/namespaces/No::Such/tags', admin)).status, 404);
  const guarded = await api('DELETE', '/v2/metadefs/namespaces/OS::Compute::Libvirt/properties', admin);
  assert.equal(guarded.status, 403);
  assert.equal(guarded.json.message, 'Metadata definition namespace OS::Compute::Libvirt is protected and cannot be deleted.');
  assert.notDeepEqual((await api('GET', '/v2/metadefs/namespaces/OS::Compute::Libvirt/properties', admin)).json.properties, {});
});
