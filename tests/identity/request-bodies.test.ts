// How the identity service reads request bodies, as Keystone's json_body hook does: clients
// (openstacksdk, tempest) send `Content-Type: application/json` on PUTs and DELETEs that
// carry no body, and an empty body is no body however it is framed; a route that needs a
// body still answers its own 400; a body that is not a JSON object is Keystone's 400.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startIdentity, type RunningIdentity } from './harness.js';

let identity: RunningIdentity;
let admin: string;

before(async () => {
  identity = await startIdentity();
  admin = (await identity.adminToken()).token;
});

after(async () => {
  await identity?.destroy();
});

type Framing = 'content-length: 0' | 'chunked, no bytes' | 'chunked';

/** One request with exact control of the body's framing (fetch decides it for itself). */
function raw(method: string, path: string, headers: Record<string, string>, framing: Framing, body = ''): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, identity.url);
    const req = httpRequest(url, { method, headers: { 'x-auth-token': admin, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    if (framing === 'content-length: 0') req.setHeader('content-length', '0');
    else req.setHeader('transfer-encoding', 'chunked');
    if (body !== '') req.write(body);
    req.end();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const keystoneMessage = (attribute: string, target: string) =>
  `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`;

for (const framing of ['content-length: 0', 'chunked, no bytes'] as const) {
  test(`a role assignment PUT, its check and its DELETE with a JSON Content-Type and an empty body (${framing})`, async () => {
    const made = await identity.makeUser(`bodies-${framing}`, `bodies-user-${framing}`, 'pw-1');
    const reader = (await identity.request('GET', '/v3/roles?name=reader', { token: admin })).json.roles[0].id;
    const grant = `/v3/projects/${made.projectId}/users/${made.userId}/roles/${reader}`;
    assert.equal((await raw('PUT', grant, JSON_TYPE, framing)).status, 204);
    assert.equal((await identity.request('HEAD', grant, { token: admin })).status, 204);
    // Granting again is no error (Keystone's grant is idempotent).
    assert.equal((await raw('PUT', grant, { 'content-type': 'application/json; charset=UTF-8' }, framing)).status, 204);
    assert.equal((await raw('DELETE', grant, JSON_TYPE, framing)).status, 204);
    assert.equal((await identity.request('HEAD', grant, { token: admin })).status, 404);
    // Deleting what is gone: the route's own 404, not a body error.
    const again = await raw('DELETE', grant, JSON_TYPE, framing);
    assert.equal(again.status, 404);
    assert.match(again.json.error.message, /^Could not find role assignment/);
  });

  test(`other body-less requests with a JSON Content-Type (${framing}): deleting a user and a project, revoking a token`, async () => {
    const made = await identity.makeUser(`bodies-del-${framing}`, `bodies-del-${framing}`, 'pw-2');
    assert.equal((await raw('DELETE', '/v3/auth/tokens', { ...JSON_TYPE, 'x-subject-token': made.login.token }, framing)).status, 204);
    assert.equal((await raw('DELETE', `/v3/users/${made.userId}`, JSON_TYPE, framing)).status, 204);
    assert.equal((await raw('DELETE', `/v3/projects/${made.projectId}`, JSON_TYPE, framing)).status, 204);
    assert.equal((await identity.request('GET', `/v3/projects/${made.projectId}`, { token: admin })).status, 404);
  });

  test(`a route that needs a body answers its own 400 when the body is empty (${framing})`, async () => {
    const project = await raw('POST', '/v3/projects', JSON_TYPE, framing);
    assert.equal(project.status, 400);
    assert.deepEqual(project.json, { error: { code: 400, title: 'Bad Request', message: 'Expecting to find project in the request body.' } });
    const update = await raw('PATCH', '/v3/roles/nothing-here', JSON_TYPE, framing);
    assert.equal(update.status, 400);
    assert.equal(update.json.error.message, 'Expecting to find role in the request body.');
    const auth = await raw('POST', '/v3/auth/tokens', JSON_TYPE, framing);
    assert.equal(auth.status, 400);
    assert.equal(auth.json.error.message, 'Expecting to find auth.identity.methods in the request body.');
  });
}

test('a body without a Content-Type is read as JSON; a chunked one too', async () => {
  const body = JSON.stringify({ project: { name: 'bodies-untyped', domain_id: 'default' } });
  const created = await raw('POST', '/v3/projects', {}, 'chunked', body);
  assert.equal(created.status, 201);
  assert.equal(created.json.project.name, 'bodies-untyped');
});

test("a body that is not a JSON object, or not JSON, or of another type: Keystone's 400", async () => {
  for (const body of ['{"project": ', '[1, 2]', '"project"', 'null']) {
    const res = await raw('POST', '/v3/projects', JSON_TYPE, 'chunked', body);
    assert.equal(res.status, 400, body);
    assert.deepEqual(res.json.error, { code: 400, title: 'Bad Request', message: keystoneMessage('valid JSON', 'request body') }, body);
  }
  const form = await raw('POST', '/v3/projects', { 'content-type': 'application/x-www-form-urlencoded' }, 'chunked', 'project=x');
  assert.equal(form.status, 400);
  assert.equal(form.json.error.message, keystoneMessage('application/json', 'Content-Type header'));
  // An empty body is no body whatever its type.
  const grantless = await raw('DELETE', '/v3/projects/absent', { 'content-type': 'text/plain' }, 'content-length: 0');
  assert.equal(grantless.status, 404);
});
