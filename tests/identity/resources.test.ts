// The resources an operator manages, through the Keystone API: projects, users, roles and
// their assignments (with the filters `openstack role assignment list` uses), the catalog
// (services, endpoints, regions) and domains; with bad input and what deletion takes along.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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

const as = (method: string, path: string, body?: unknown) => identity.request(method, path, { token: admin, ...(body !== undefined ? { body } : {}) });

test('bootstrap: default domain, four roles, admin and service projects with their users', async () => {
  const roles = (await as('GET', '/v3/roles')).json.roles.map((r: { name: string }) => r.name).sort();
  assert.deepEqual(roles, ['admin', 'member', 'reader', 'service']);
  const projects = (await as('GET', '/v3/projects')).json.projects.map((p: { name: string }) => p.name).sort();
  assert.deepEqual(projects, ['admin', 'service']);
  const users = (await as('GET', '/v3/users')).json.users.map((u: { name: string }) => u.name).sort();
  assert.deepEqual(users, ['admin', 'glance', 'swift']);
  const domain = await as('GET', '/v3/domains/default');
  assert.equal(domain.json.domain.name, 'Default');
  const glance = await identity.token('glance', identity.servicePassword, 'service');
  assert.deepEqual(glance.body.token.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'service']);
  assert.equal(glance.body.token.is_admin_project, false, 'a service user is not the cloud admin');
  assert.deepEqual((await as('GET', '/v3/regions')).json.regions.map((r: { id: string }) => r.id), ['RegionOne']);
});

test('role assignments: list with user, project and role filters, with and without names', async () => {
  const a = await identity.makeUser('ra-1', 'ra-user', 'ra-pw');
  const member = (await as('GET', '/v3/roles?name=member')).json.roles[0].id;
  const reader = (await as('GET', '/v3/roles?name=reader')).json.roles[0].id;
  assert.equal((await as('PUT', `/v3/projects/${a.projectId}/users/${a.userId}/roles/${reader}`)).status, 204);
  assert.equal((await as('HEAD', `/v3/projects/${a.projectId}/users/${a.userId}/roles/${reader}`)).status, 204);
  const byUser = await as('GET', `/v3/role_assignments?user.id=${a.userId}`);
  assert.deepEqual(byUser.json.role_assignments.map((x: { role: { id: string } }) => x.role.id).sort(), [member, reader].sort());
  assert.equal(byUser.json.role_assignments[0].role.name, undefined);
  const named = await as('GET', `/v3/role_assignments?scope.project.id=${a.projectId}&role.id=${reader}&include_names=True`);
  assert.equal(named.json.role_assignments.length, 1);
  const one = named.json.role_assignments[0];
  assert.equal(one.role.name, 'reader');
  assert.equal(one.user.name, 'ra-user');
  assert.equal(one.user.domain.name, 'Default');
  assert.equal(one.scope.project.name, 'ra-1');
  assert.equal((await as('GET', `/v3/role_assignments?group.id=x`)).json.role_assignments.length, 0);
  const roles = await identity.request('GET', `/v3/projects/${a.projectId}/users/${a.userId}/roles`, { token: a.login.token });
  assert.deepEqual(roles.json.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
  assert.equal((await as('DELETE', `/v3/projects/${a.projectId}/users/${a.userId}/roles/${reader}`)).status, 204);
  assert.equal((await as('HEAD', `/v3/projects/${a.projectId}/users/${a.userId}/roles/${reader}`)).status, 404);
  assert.equal((await as('PUT', `/v3/projects/${a.projectId}/users/${a.userId}/roles/nosuchrole`)).status, 404);
});

test('projects and users: update, name conflicts, filters, deletion takes assignments and credentials along', async () => {
  const p = await as('POST', '/v3/projects', { project: { name: 'res-p', description: 'first' } });
  assert.equal(p.status, 201);
  assert.equal(p.json.project.domain_id, 'default');
  assert.equal((await as('POST', '/v3/projects', { project: { name: 'res-p' } })).status, 409);
  const renamed = await as('PATCH', `/v3/projects/${p.json.project.id}`, { project: { name: 'res-p2', enabled: false } });
  assert.equal(renamed.json.project.name, 'res-p2');
  assert.equal(renamed.json.project.enabled, false);
  assert.equal((await as('GET', '/v3/projects?enabled=false')).json.projects.length, 1);
  assert.equal((await as('POST', '/v3/projects', { project: { name: 'elsewhere', domain_id: 'nope' } })).status, 404);

  const u = await identity.makeUser('res-q', 'res-user', 'res-pw');
  const cred = await identity.request('POST', `/v3/users/${u.userId}/credentials/OS-EC2`, { token: u.login.token, body: { tenant_id: u.projectId } });
  assert.equal(cred.status, 201);
  assert.equal((await as('GET', `/v3/credentials?user_id=${u.userId}`)).json.credentials.length, 1);
  const disabled = await as('PATCH', `/v3/users/${u.userId}`, { user: { enabled: false } });
  assert.equal(disabled.json.user.enabled, false);
  assert.equal((await identity.login('res-user', 'res-pw', 'res-q')).status, 401, 'a disabled user cannot log in');
  assert.equal((await as('DELETE', `/v3/projects/${u.projectId}`)).status, 204);
  assert.equal((await as('GET', `/v3/role_assignments?user.id=${u.userId}`)).json.role_assignments.length, 0);
  assert.equal((await as('GET', `/v3/credentials?user_id=${u.userId}`)).json.credentials.length, 0);
  assert.equal((await as('DELETE', `/v3/users/${u.userId}`)).status, 204);
  assert.equal((await as('GET', `/v3/users/${u.userId}`)).status, 404);
});

test('the catalog: services, endpoints and regions; tokens carry the change', async () => {
  const region = await as('POST', '/v3/regions', { region: { id: 'RegionTwo', description: 'second' } });
  assert.equal(region.status, 201);
  const service = await as('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } });
  assert.equal(service.status, 201);
  const bad = await as('POST', '/v3/endpoints', { endpoint: { service_id: service.json.service.id, interface: 'sideways', url: 'http://127.0.0.1:8774/v2.1' } });
  assert.equal(bad.status, 400);
  assert.equal((await as('POST', '/v3/endpoints', { endpoint: { service_id: service.json.service.id, interface: 'public', url: 'not a url' } })).status, 400);
  const endpoint = await as('POST', '/v3/endpoints', { endpoint: { service_id: service.json.service.id, interface: 'public', region_id: 'RegionTwo', url: 'http://127.0.0.1:8774/v2.1/%(project_id)s' } });
  assert.equal(endpoint.status, 201);
  const login = await identity.adminToken();
  const compute = login.body.token.catalog.find((s: { type: string }) => s.type === 'compute');
  assert.equal(compute.endpoints[0].url, `http://127.0.0.1:8774/v2.1/${login.projectId}`);
  assert.equal(compute.endpoints[0].region_id, 'RegionTwo');
  assert.equal((await as('GET', `/v3/endpoints?service_id=${service.json.service.id}`)).json.endpoints.length, 1);
  assert.equal((await as('DELETE', '/v3/regions/RegionTwo')).status, 409, 'a region in use stays');
  assert.equal((await as('DELETE', `/v3/services/${service.json.service.id}`)).status, 204);
  assert.equal((await as('GET', `/v3/endpoints/${endpoint.json.endpoint.id}`)).status, 404, 'the endpoints went with the service');
  assert.equal((await as('DELETE', '/v3/regions/RegionTwo')).status, 204);
});

test('domains: create, a user in it logs in by domain name, an enabled domain cannot be deleted', async () => {
  const d = await as('POST', '/v3/domains', { domain: { name: 'Partners' } });
  assert.equal(d.status, 201);
  const domainId = d.json.domain.id;
  const p = await as('POST', '/v3/projects', { project: { name: 'shared', domain_id: domainId } });
  const u = await as('POST', '/v3/users', { user: { name: 'pat', password: 'pat-pw', domain_id: domainId } });
  const member = (await as('GET', '/v3/roles?name=member')).json.roles[0].id;
  await as('PUT', `/v3/projects/${p.json.project.id}/users/${u.json.user.id}/roles/${member}`);
  const login = await identity.request('POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['password'], password: { user: { name: 'pat', domain: { name: 'Partners' }, password: 'pat-pw' } } }, scope: { project: { name: 'shared', domain: { name: 'Partners' } } } } },
  });
  assert.equal(login.status, 201);
  assert.equal(login.json.token.user.domain.name, 'Partners');
  assert.equal((await as('DELETE', `/v3/domains/${domainId}`)).status, 403);
  await as('PATCH', `/v3/domains/${domainId}`, { domain: { enabled: false } });
  const token = login.headers.get('x-subject-token')!;
  assert.equal((await identity.request('GET', '/v3/auth/projects', { token })).status, 401, 'a disabled domain’s tokens die');
  assert.equal((await as('DELETE', `/v3/domains/${domainId}`)).status, 204);
  assert.equal((await as('GET', `/v3/users/${u.json.user.id}`)).status, 404);
  assert.equal((await as('PATCH', '/v3/domains/default', { domain: { enabled: false } })).status, 403);
});
