// The Glance v2 API as clients see it (noauth mode: the caller's project and roles come
// from headers): version documents, create/show/list with filters, sorting and pages,
// JSON-patch updates and their refusals, tags, members and shared visibility, deactivate
// and reactivate, protected images, schemas and info.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startImageStack, type Caller, type ImageStack } from './harness.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const alice: Caller = { project: 'alice-project', roles: ['member'] };
const bob: Caller = { project: 'bob-project', roles: ['member'] };
const carol: Caller = { project: 'carol-project', roles: ['member'] };
const admin: Caller = { project: 'admin-project', roles: ['admin'] };

let stack: ImageStack;
const api = (method: string, path: string, caller: Caller, body?: unknown, headers?: Record<string, string>) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
const create = async (caller: Caller, body: Record<string, unknown>) => {
  const res = await api('POST', '/v2/images', caller, body);
  assert.equal(res.status, 201, res.text);
  return res.json;
};
const patch = (caller: Caller, id: string, ops: unknown) => api('PATCH', `/v2/images/${id}`, caller, JSON.stringify(ops), PATCH);

before(async () => {
  stack = await startImageStack();
});

after(async () => {
  await stack?.stop();
});

test('version documents: / answers 300 and /versions 200, v2.16 current', async () => {
  const root = await stack.service.request('GET', '/');
  assert.equal(root.status, 300);
  const versions = await stack.service.request('GET', '/versions');
  assert.equal(versions.status, 200);
  assert.equal(versions.json.versions[0].id, 'v2.16');
  assert.equal(versions.json.versions[0].status, 'CURRENT');
  assert.match(versions.json.versions[0].links[0].href, /\/v2\/$/);
});

test('create: defaults, custom properties, owner from the caller, and Location', async () => {
  const res = await api('POST', '/v2/images', alice, { name: 'debian', disk_format: 'qcow2', container_format: 'bare', os_distro: 'debian', tags: ['linux', 'linux'] });
  assert.equal(res.status, 201);
  const image = res.json;
  assert.equal(res.headers.get('location'), `/v2/images/${image.id}`);
  assert.match(res.headers.get('openstack-image-import-methods') ?? '', /glance-direct/);
  assert.equal(image.status, 'queued');
  assert.equal(image.visibility, 'shared');
  assert.equal(image.owner, alice.project);
  assert.equal(image.os_distro, 'debian');
  assert.deepEqual(image.tags, ['linux']);
  assert.equal(image.protected, false);
  assert.equal(image.min_disk, 0);
  assert.equal(image.size, null);
  assert.equal(image.self, `/v2/images/${image.id}`);
  const shown = await api('GET', `/v2/images/${image.id}`, alice);
  assert.deepEqual(shown.json, image);
});

test('create refuses unknown formats (400), read-only and reserved attributes (403), public by non-admins (403), a taken id (409)', async () => {
  const disk = await api('POST', '/v2/images', alice, { name: 'x', disk_format: 'floppy' });
  assert.equal(disk.status, 400);
  assert.match(disk.json.message, /floppy/);
  assert.equal((await api('POST', '/v2/images', alice, { container_format: 'zip' })).status, 400);
  const ro = await api('POST', '/v2/images', alice, { status: 'active' });
  assert.equal(ro.status, 403);
  assert.match(ro.json.message, /read-only/);
  assert.equal((await api('POST', '/v2/images', alice, { deleted: true })).status, 403);
  assert.equal((await api('POST', '/v2/images', alice, { os_glance_import_task: 'x' })).status, 403);
  assert.equal((await api('POST', '/v2/images', alice, { visibility: 'public' })).status, 403);
  assert.equal((await api('POST', '/v2/images', alice, { min_ram: -1 })).status, 400);
  assert.equal((await api('POST', '/v2/images', alice, { my_prop: 5 })).status, 400, 'custom properties are strings');
  assert.equal((await api('POST', '/v2/images', alice, '{not json', { 'content-type': 'application/json' })).status, 400);
  const id = '7c3e7c4e-2c3e-4c1e-9a51-3d2b8c9a0f11';
  assert.equal((await api('POST', '/v2/images', alice, { id })).status, 201);
  assert.equal((await api('POST', '/v2/images', alice, { id })).status, 409);
  assert.equal((await api('POST', '/v2/images', admin, { visibility: 'public', name: 'admin-public' })).status, 201);
});

test('JSON patch: add, replace, remove custom properties and base attributes; refusals', async () => {
  const image = await create(alice, { name: 'patch-me', color: 'red' });
  let res = await patch(alice, image.id, [
    { op: 'replace', path: '/name', value: 'patched' },
    { op: 'add', path: '/size_hint', value: 'large' },
    { op: 'replace', path: '/color', value: 'blue' },
    { op: 'add', path: '/tags', value: ['x', 'y'] },
    { op: 'replace', path: '/min_ram', value: 512 },
  ]);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.name, 'patched');
  assert.equal(res.json.size_hint, 'large');
  assert.equal(res.json.color, 'blue');
  assert.deepEqual(res.json.tags, ['x', 'y']);
  assert.equal(res.json.min_ram, 512);
  res = await patch(alice, image.id, [{ op: 'remove', path: '/color' }]);
  assert.equal(res.status, 200);
  assert.equal(res.json.color, undefined);

  const refused = async (ops: unknown, status: number, pattern: RegExp) => {
    const r = await patch(alice, image.id, ops);
    assert.equal(r.status, status, `${JSON.stringify(ops)}: ${r.text}`);
    assert.match(r.json.message, pattern);
  };
  await refused([{ op: 'replace', path: '/status', value: 'active' }], 403, /read-only/);
  await refused([{ op: 'replace', path: '/checksum', value: 'abc' }], 403, /read-only/);
  await refused([{ op: 'add', path: '/deleted', value: 'true' }], 403, /reserved/);
  await refused([{ op: 'add', path: '/locations/-', value: { url: 'http://x', metadata: {} } }], 403, /reserved/);
  await refused([{ op: 'replace', path: '/disk_format', value: 'floppy' }], 400, /floppy/);
  await refused([{ op: 'move', path: '/name', from: '/x' }], 400, /op/);
  await refused({ op: 'replace', path: '/name', value: 'x' }, 400, /array/);
  await refused([{ op: 'replace', path: '/name' }], 400, /value/);
  await refused([{ op: 'replace', path: 'name', value: 'x' }], 400, /^Pointer `name` does not start with "\/"\.$/);
  await refused([{ op: 'replace', path: '/missing', value: 'x' }], 409, /does not exist/);
  await refused([{ op: 'remove', path: '/missing' }], 409, /does not exist/);
  await refused([{ op: 'replace', path: '/visibility', value: 'public' }], 403, /publicize/);
  const invalidJson = await api('PATCH', `/v2/images/${image.id}`, alice, '[{"op": "replace",', PATCH);
  assert.equal(invalidJson.status, 400);
  const wrongType = await api('PATCH', `/v2/images/${image.id}`, alice, JSON.stringify([]), { 'content-type': 'application/json' });
  assert.equal(wrongType.status, 415);
  assert.equal(wrongType.headers.get('accept-patch'), 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch');
  // Nothing of the refused patches was applied.
  const shown = await api('GET', `/v2/images/${image.id}`, alice);
  assert.equal(shown.json.status, 'queued');
  assert.equal(shown.json.name, 'patched');
  // Others may not change it.
  const bobTry = await patch(bob, image.id, [{ op: 'replace', path: '/name', value: 'mine' }]);
  assert.equal(bobTry.status, 404, 'a private-to-alice (shared, no members) image is invisible to bob');
});

test('tags: add, add again, remove, remove a missing one (404)', async () => {
  const image = await create(alice, { name: 'tagged' });
  assert.equal((await api('PUT', `/v2/images/${image.id}/tags/blue`, alice)).status, 204);
  assert.equal((await api('PUT', `/v2/images/${image.id}/tags/blue`, alice)).status, 204);
  assert.equal((await api('PUT', `/v2/images/${image.id}/tags/green`, alice)).status, 204);
  assert.deepEqual((await api('GET', `/v2/images/${image.id}`, alice)).json.tags, ['blue', 'green']);
  assert.equal((await api('DELETE', `/v2/images/${image.id}/tags/blue`, alice)).status, 204);
  assert.equal((await api('DELETE', `/v2/images/${image.id}/tags/blue`, alice)).status, 404);
  assert.deepEqual((await api('GET', `/v2/images/${image.id}`, alice)).json.tags, ['green']);
});

test('list: filters, sort, marker/limit pages with next links', async () => {
  const owner: Caller = { project: 'lister', roles: ['member'] };
  const made = [];
  for (let i = 0; i < 7; i++) {
    made.push(await create(owner, { name: `img-${i}`, visibility: 'private', disk_format: i % 2 ? 'raw' : 'qcow2', container_format: 'bare', tier: i < 3 ? 'gold' : 'silver', tags: i === 4 ? ['special'] : [] }));
  }
  const list = async (query: string) => {
    const res = await api('GET', `/v2/images?owner=lister&${query}`, owner);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const names = (body: any) => body.images.map((i: any) => i.name);
  assert.equal((await list('')).images.length, 7);
  assert.deepEqual(names(await list('sort=name:asc')), made.map((m) => m.name));
  assert.deepEqual(names(await list('sort_key=name&sort_dir=desc')), made.map((m) => m.name).reverse());
  assert.deepEqual(names(await list('name=img-3')), ['img-3']);
  assert.deepEqual(names(await list('name=in:img-1,img-5&sort=name:asc')), ['img-1', 'img-5']);
  assert.equal((await list('disk_format=raw')).images.length, 3);
  assert.deepEqual(names(await list('tier=gold&sort=name:asc')), ['img-0', 'img-1', 'img-2']);
  assert.deepEqual(names(await list('tag=special')), ['img-4']);
  assert.equal((await list('status=queued')).images.length, 7);
  assert.equal((await list('status=active')).images.length, 0);
  assert.equal((await list('visibility=private')).images.length, 7);
  assert.equal((await list(`owner=lister`)).images.length, 7);
  assert.equal((await list('created_at=gt:2000-01-01T00:00:00Z')).images.length, 7);
  assert.equal((await list('created_at=lt:2000-01-01T00:00:00Z')).images.length, 0);
  assert.equal((await list('updated_at=gte:2000-01-01T00:00:00Z')).images.length, 7);

  // Pages of 3, following `next` until it stops.
  const seen: string[] = [];
  let path: string | undefined = '/v2/images?owner=lister&sort=name:asc&limit=3';
  let pages = 0;
  while (path) {
    const res = await api('GET', path, owner);
    assert.equal(res.status, 200);
    seen.push(...names(res.json));
    assert.equal(res.json.first, '/v2/images');
    path = res.json.next;
    if (path) assert.match(path, /limit=3/);
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen, made.map((m) => m.name));

  assert.equal((await api('GET', '/v2/images?sort=bogus:asc', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?sort=name:sideways', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?sort=name&sort_key=name', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?limit=-1', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?marker=6a0d2b9c-0000-4000-8000-000000000000', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?created_at=gt:yesterday', owner)).status, 400);
  assert.equal((await api('GET', '/v2/images?size_min=big', owner)).status, 400);
  // Other projects do not see private images.
  assert.equal((await api('GET', '/v2/images?owner=lister', bob)).json.images.length, 0);
});

test('os_hidden images are left out of listings unless asked for', async () => {
  const owner: Caller = { project: 'hider', roles: ['member'] };
  const hidden = await create(owner, { name: 'hidden', os_hidden: true });
  await create(owner, { name: 'shown' });
  const plain = await api('GET', '/v2/images?owner=hider', owner);
  assert.deepEqual(plain.json.images.map((i: any) => i.name), ['shown']);
  const asked = await api('GET', '/v2/images?os_hidden=true&owner=hider', owner);
  assert.deepEqual(asked.json.images.map((i: any) => i.id), [hidden.id]);
});

test('visibility: public for all, private for the owner, community on request, shared for accepted members', async () => {
  const pub = await create(admin, { name: 'vis-public', visibility: 'public' });
  const priv = await create(alice, { name: 'vis-private', visibility: 'private' });
  const community = await create(alice, { name: 'vis-community', visibility: 'community' });
  const shared = await create(alice, { name: 'vis-shared', visibility: 'shared' });
  const names = async (caller: Caller, query = '') => (await api('GET', `/v2/images?${query}`, caller)).json.images.map((i: any) => i.name);

  assert.ok((await names(bob)).includes('vis-public'));
  assert.ok(!(await names(bob)).includes('vis-private'));
  assert.equal((await api('GET', `/v2/images/${priv.id}`, bob)).status, 404);
  assert.ok(!(await names(bob)).includes('vis-community'), 'community images are not in default listings');
  assert.ok((await names(bob, 'visibility=community')).includes('vis-community'));
  assert.equal((await api('GET', `/v2/images/${community.id}`, bob)).status, 200);
  assert.equal((await api('GET', `/v2/images/${pub.id}`, bob)).status, 200);

  // Sharing: the owner adds bob; bob sees it once he accepts.
  assert.equal((await api('POST', `/v2/images/${priv.id}/members`, alice, { member: bob.project })).status, 403, 'only shared images have members');
  assert.equal((await api('POST', `/v2/images/${shared.id}/members`, bob, { member: bob.project })).status, 404, 'bob cannot see it yet');
  const added = await api('POST', `/v2/images/${shared.id}/members`, alice, { member: bob.project });
  assert.equal(added.status, 200, added.text);
  assert.equal(added.json.status, 'pending');
  assert.equal(added.json.member_id, bob.project);
  assert.equal(added.json.schema, '/v2/schemas/member');
  assert.equal((await api('POST', `/v2/images/${shared.id}/members`, alice, { member: bob.project })).status, 409);
  assert.equal((await api('POST', `/v2/images/${shared.id}/members`, alice, {})).status, 400);
  assert.ok(!(await names(bob)).includes('vis-shared'), 'pending members do not list it');
  assert.ok((await names(bob, 'visibility=shared&member_status=pending')).includes('vis-shared'));
  assert.equal((await api('GET', `/v2/images/${shared.id}`, bob)).status, 200, 'a pending member can see it');

  // Only bob decides; the owner cannot accept for him.
  assert.equal((await api('PUT', `/v2/images/${shared.id}/members/${bob.project}`, alice, { status: 'accepted' })).status, 403);
  assert.equal((await api('PUT', `/v2/images/${shared.id}/members/${bob.project}`, bob, { status: 'maybe' })).status, 400);
  const accepted = await api('PUT', `/v2/images/${shared.id}/members/${bob.project}`, bob, { status: 'accepted' });
  assert.equal(accepted.status, 200);
  assert.equal(accepted.json.status, 'accepted');
  assert.ok((await names(bob)).includes('vis-shared'));
  assert.equal((await api('GET', `/v2/images/${shared.id}/members/${bob.project}`, bob)).json.status, 'accepted');

  // Members listing: the owner sees all, a member only itself, others nothing.
  await api('POST', `/v2/images/${shared.id}/members`, alice, { member: 'dave-project' });
  assert.equal((await api('GET', `/v2/images/${shared.id}/members`, alice)).json.members.length, 2);
  assert.deepEqual((await api('GET', `/v2/images/${shared.id}/members`, bob)).json.members.map((m: any) => m.member_id), [bob.project]);
  assert.equal((await api('GET', `/v2/images/${shared.id}/members`, carol)).status, 404);

  // A member may not change the image.
  assert.equal((await patch(bob, shared.id, [{ op: 'replace', path: '/name', value: 'bobs' }])).status, 403);
  assert.equal((await api('DELETE', `/v2/images/${shared.id}`, bob)).status, 403);

  // Rejecting hides it again; removing the member takes it away entirely.
  await api('PUT', `/v2/images/${shared.id}/members/${bob.project}`, bob, { status: 'rejected' });
  assert.ok(!(await names(bob)).includes('vis-shared'));
  assert.equal((await api('DELETE', `/v2/images/${shared.id}/members/${bob.project}`, alice)).status, 204);
  assert.equal((await api('GET', `/v2/images/${shared.id}`, bob)).status, 404);
  assert.equal((await api('DELETE', `/v2/images/${shared.id}/members/${bob.project}`, alice)).status, 404);

  // Admins see everything.
  const adminNames = await names(admin, 'limit=1000');
  for (const n of ['vis-private', 'vis-shared', 'vis-public']) assert.ok(adminNames.includes(n), n);
});

test('protected images cannot be deleted until unprotected; deleted images are gone', async () => {
  const image = await create(alice, { name: 'keep', protected: true });
  const refused = await api('DELETE', `/v2/images/${image.id}`, alice);
  assert.equal(refused.status, 403);
  assert.match(refused.json.message, /protected/);
  assert.equal((await patch(alice, image.id, [{ op: 'replace', path: '/protected', value: false }])).status, 200);
  assert.equal((await api('DELETE', `/v2/images/${image.id}`, alice)).status, 204);
  assert.equal((await api('GET', `/v2/images/${image.id}`, alice)).status, 404);
  assert.equal((await api('DELETE', `/v2/images/${image.id}`, alice)).status, 404);
  assert.equal((await api('GET', '/v2/images/not-a-uuid', alice)).status, 404);
});

test('deactivate and reactivate are refused for images without data', async () => {
  const image = await create(alice, { name: 'no-data' });
  const res = await api('POST', `/v2/images/${image.id}/actions/deactivate`, alice);
  assert.equal(res.status, 403);
  assert.match(res.json.message, /queued/);
});

test('schemas and info documents', async () => {
  const image = await api('GET', '/v2/schemas/image', alice);
  assert.equal(image.status, 200);
  assert.equal(image.json.name, 'image');
  assert.deepEqual(image.json.additionalProperties, { type: 'string' });
  assert.ok(image.json.properties.disk_format.enum.includes('qcow2'));
  assert.equal(image.json.properties.status.readOnly, true);
  for (const name of ['images', 'member', 'members', 'metadefs/namespace', 'metadefs/namespaces', 'metadefs/object', 'metadefs/property', 'metadefs/tag', 'metadefs/resource_type']) {
    const res = await api('GET', `/v2/schemas/${name}`, alice);
    assert.equal(res.status, 200, name);
  }
  const methods = await api('GET', '/v2/info/import', alice);
  assert.deepEqual(methods.json['import-methods'].value, ['glance-direct', 'web-download']);
  const stores = await api('GET', '/v2/info/stores', alice);
  assert.equal(stores.json.stores.length, 1);
  assert.equal(stores.json.stores[0].default, true);
  const usage = await api('GET', '/v2/info/usage', alice);
  assert.ok(usage.json.usage.image_count_total.usage >= 1);
  assert.equal(usage.json.usage.image_size_total.limit, -1);
  const missing = await api('GET', '/v2/nothing-here', alice);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, '404 Not Found');
});

test('an empty image id (a trailing slash) is 404 for every method; the list is /v2/images', async () => {
  await create(alice, { name: 'listed' });
  const list = await api('GET', '/v2/images', alice);
  assert.equal(list.status, 200);
  assert.ok(list.json.images.length >= 1);
  assert.equal((await api('GET', '/v2/images?limit=1', alice)).json.images.length, 1);
  for (const method of ['GET', 'DELETE', 'PATCH']) {
    const res = await api(method, '/v2/images/', alice, method === 'PATCH' ? '[]' : undefined, method === 'PATCH' ? PATCH : undefined);
    assert.equal(res.status, 404, method);
    assert.equal(res.json.code, '404 Not Found', method);
  }
  assert.equal((await api('GET', '/v2/images/?limit=1', alice)).status, 404);
  assert.equal((await api('GET', '/v2/images//file', alice)).status, 404);
});
