// Body-less requests with a JSON Content-Type, as openstacksdk and tempest send them, in
// both framings (Content-Length: 0, and chunked with no bytes): the routes that take no
// body work; the routes that need one answer Glance's 400 "Body expected in request."
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startImageStack, type Caller, type ImageStack } from './harness.js';

const owner: Caller = { project: 'bodies-project', roles: ['member'] };
const JSON_TYPE = { 'content-type': 'application/json' };

let stack: ImageStack;

before(async () => {
  stack = await startImageStack();
});

after(async () => {
  await stack?.stop();
});

const FRAMINGS = {
  'content-length: 0': () => '',
  'chunked, no bytes': () => new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
};

for (const [framing, empty] of Object.entries(FRAMINGS)) {
  const call = (method: string, path: string, caller: Caller, headers: Record<string, string> = JSON_TYPE) =>
    stack.service.request(method, path, { caller, body: empty(), headers });

  test(`routes that take no body accept an empty one with a JSON Content-Type (${framing})`, async () => {
    const created = await stack.service.request('POST', '/v2/images', { caller: owner, body: { name: 'bodies', disk_format: 'raw', container_format: 'bare', visibility: 'shared' } });
    assert.equal(created.status, 201);
    const id = created.json.id;
    assert.equal((await call('PUT', `/v2/images/${id}/tags/golden`, owner)).status, 204);
    assert.equal((await call('DELETE', `/v2/images/${id}/tags/golden`, owner)).status, 204);
    assert.equal((await stack.service.request('POST', `/v2/images/${id}/members`, { caller: owner, body: { member: 'partner' } })).status, 200);
    assert.equal((await call('DELETE', `/v2/images/${id}/members/partner`, owner)).status, 204);
    // Deactivating an image without data is refused by the route itself, not by the body.
    const deactivate = await call('POST', `/v2/images/${id}/actions/deactivate`, owner);
    assert.equal(deactivate.status, 403);
    assert.match(deactivate.json.message, /queued/);
    assert.equal((await call('DELETE', `/v2/images/${id}`, owner)).status, 204);
    assert.equal((await call('DELETE', `/v2/images/${id}`, owner)).status, 404);
  });

  test(`routes that need a body answer Glance's 400 when it is empty (${framing})`, async () => {
    const id = (await stack.service.request('POST', '/v2/images', { caller: owner, body: { name: `needs-body ${framing}`, visibility: 'shared' } })).json.id;
    const cases: [string, string, Record<string, string>][] = [
      ['POST', '/v2/images', JSON_TYPE],
      ['PATCH', `/v2/images/${id}`, { 'content-type': 'application/openstack-images-v2.1-json-patch' }],
      ['POST', `/v2/images/${id}/members`, JSON_TYPE],
      ['PUT', `/v2/images/${id}/members/partner`, JSON_TYPE],
      ['POST', `/v2/images/${id}/import`, JSON_TYPE],
    ];
    for (const [method, path, headers] of cases) {
      const res = await call(method, path, owner, headers);
      assert.equal(res.status, 400, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.message, 'Body expected in request.', `${method} ${path}`);
    }
    assert.equal((await stack.service.request('GET', `/v2/images/${id}`, { caller: owner })).json.name, `needs-body ${framing}`, 'nothing changed');
    const images = (await stack.service.request('GET', `/v2/images?name=${encodeURIComponent(`needs-body ${framing}`)}`, { caller: owner })).json.images;
    assert.equal(images.length, 1, 'no image was created from an empty body');
  });
}
