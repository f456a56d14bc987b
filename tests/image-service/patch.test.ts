// Image updates in both of Glance's JSON-patch media types: 2.1 (draft 10, `op` and `path`
// members) and 2.0 (draft 4, one member named for the operation whose value is the path,
// and an `add` that refuses to overwrite), as older clients and test tooling send them:
// the name, a custom property, the owner (admin only), protected; and the refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startImageStack, type Caller, type ImageStack } from './harness.js';

const V20 = 'application/openstack-images-v2.0-json-patch';
const V21 = 'application/openstack-images-v2.1-json-patch';
const alice: Caller = { project: 'alice-project', roles: ['member'] };
const admin: Caller = { project: 'admin-project', roles: ['admin'] };

let stack: ImageStack;
const api = (method: string, path: string, caller: Caller, body?: unknown, headers?: Record<string, string>) =>
  stack.service.request(method, path, { caller, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
const patch = (caller: Caller, id: string, type: string, ops: unknown) => api('PATCH', `/v2/images/${id}`, caller, JSON.stringify(ops), { 'content-type': type });
const newImage = async (): Promise<string> => {
  const res = await api('POST', '/v2/images', alice, { name: 'patch-me', disk_format: 'raw', container_format: 'bare', os_distro: 'debian' });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
};

before(async () => {
  stack = await startImageStack();
});

after(async () => {
  await stack?.stop();
});

/** The same four updates written in each draft's syntax. */
const SYNTAX = {
  [V21]: (op: string, path: string, value?: unknown) => ({ op, path, ...(value !== undefined ? { value } : {}) }),
  [V20]: (op: string, path: string, value?: unknown) => ({ [op]: path, ...(value !== undefined ? { value } : {}) }),
};

for (const [type, change] of Object.entries(SYNTAX)) {
  test(`${type}: name, a property, owner as admin, protected`, async () => {
    const id = await newImage();
    const renamed = await patch(alice, id, type, [change('replace', '/name', 'renamed'), change('replace', '/os_distro', 'ubuntu'), change('add', '/hw_disk_bus', 'scsi')]);
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.name, 'renamed');
    assert.equal(renamed.json.os_distro, 'ubuntu');
    assert.equal(renamed.json.hw_disk_bus, 'scsi');
    const removed = await patch(alice, id, type, [change('remove', '/hw_disk_bus')]);
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.json.hw_disk_bus, undefined);

    const notAdmin = await patch(alice, id, type, [change('replace', '/owner', 'bob-project')]);
    assert.equal(notAdmin.status, 403);
    const owner = await patch(admin, id, type, [change('replace', '/owner', 'bob-project')]);
    assert.equal(owner.status, 200, owner.text);
    assert.equal(owner.json.owner, 'bob-project');

    const guarded = await patch(admin, id, type, [change('replace', '/protected', true)]);
    assert.equal(guarded.status, 200, guarded.text);
    assert.equal(guarded.json.protected, true);
    assert.equal((await api('DELETE', `/v2/images/${id}`, admin)).status, 403);
    assert.equal((await patch(admin, id, type, [change('replace', '/protected', false)])).json.protected, false);
    assert.equal((await api('DELETE', `/v2/images/${id}`, admin)).status, 204);
  });
}

test('2.0: add of an attribute or a property that exists is a conflict; add of a new one, or 2.1 add, sets it', async () => {
  const id = await newImage();
  for (const path of ['/name', '/protected', '/os_distro']) {
    const res = await patch(alice, id, V20, [{ add: path, value: 'x' }]);
    assert.equal(res.status, 409, path);
    assert.equal(res.json.message, `Property ${path.slice(1)} already present.`);
  }
  assert.equal((await patch(alice, id, V20, [{ add: '/fresh', value: 'one' }])).json.fresh, 'one');
  // 2.1's add replaces what is there.
  const added = await patch(alice, id, V21, [{ op: 'add', path: '/name', value: 'by-add' }, { op: 'add', path: '/fresh', value: 'two' }]);
  assert.equal(added.status, 200);
  assert.equal(added.json.name, 'by-add');
  assert.equal(added.json.fresh, 'two');
});

test("each draft's malformed operations: Glance's 400s; nothing of a refused patch applies", async () => {
  const id = await newImage();
  const refused = async (type: string, ops: unknown, status: number, message: string) => {
    const res = await patch(alice, id, type, ops);
    assert.equal(res.status, status, `${JSON.stringify(ops)}: ${res.text}`);
    assert.equal(res.json.message, message);
  };
  const one = 'Operation objects must contain exactly one member named "add", "remove", or "replace".';
  await refused(V20, [{ op: 'replace', path: '/name', value: 'x' }], 400, one);
  await refused(V20, [{ replace: '/name', add: '/name', value: 'x' }], 400, 'Operation objects must contain only one member named "add", "remove", or "replace".');
  await refused(V20, [{ replace: '/name' }], 400, 'Operation "replace" requires a member named "value".');
  await refused(V20, [{ replace: 'name', value: 'x' }], 400, 'Pointer `name` does not start with "/".');
  await refused(V21, [{ replace: '/name', value: 'x' }], 400, 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.');
  await refused(V21, [{ op: 'replace', value: 'x' }], 400, "Unable to find 'path' in JSON Schema change");
  await refused(V21, [{ op: 'replace', path: '/a//b', value: 'x' }], 400, 'Pointer `/a//b` contains adjacent "/".');
  await refused(V21, [{ op: 'replace', path: '/name/', value: 'x' }], 400, 'Pointer `/name/` end with "/".');
  await refused(V21, [{ op: 'replace', path: '/a~2', value: 'x' }], 400, 'Pointer `/a~2` contains "~" not part of a recognized escape sequence.');
  await refused(V21, [{ op: 'replace', path: '/os_distro/x', value: 'x' }], 400, "Invalid JSON pointer for this resource: '/os_distro/x'");
  // A valid change before a refused one is not applied either.
  await refused(V20, [{ replace: '/name', value: 'half' }, { add: '/os_distro', value: 'x' }], 409, 'Property os_distro already present.');
  assert.equal((await api('GET', `/v2/images/${id}`, alice)).json.name, 'patch-me');
  // An escaped slash names one property.
  const escaped = await patch(alice, id, V21, [{ op: 'add', path: '/a~1b', value: 'slash' }]);
  assert.equal(escaped.status, 200);
  assert.equal(escaped.json['a/b'], 'slash');
});

test('other media types: 415 with both in Accept-Patch', async () => {
  const id = await newImage();
  for (const type of ['application/json', 'application/json-patch+json']) {
    const res = await patch(alice, id, type, [{ op: 'replace', path: '/name', value: 'x' }]);
    assert.equal(res.status, 415, type);
    assert.equal(res.headers.get('accept-patch'), `${V20}, ${V21}`);
    assert.equal(res.json.message, `The request media type ${type} is not supported by this server.`);
  }
  // Parameters on the media type are allowed.
  assert.equal((await patch(alice, id, `${V20}; charset=UTF-8`, [{ replace: '/name', value: 'typed' }])).json.name, 'typed');
});
