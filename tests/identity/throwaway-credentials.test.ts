// The flow OpenStack's test tooling (tempest's dynamic credentials) drives before and after
// every test class: create a project, a user whose default project it is, assign roles,
// log in as the user; then delete the user and the project, which takes their role
// assignments and makes every token of theirs invalid. Through HTTP as the tooling sends it
// (JSON Content-Type on body-less PUTs), and through the unmodified `openstack` command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
/** A body-less request with the Content-Type openstacksdk and tempest put on every request. */
const bodiless = (method: string, path: string) => identity.request(method, path, { token: admin, headers: { 'content-type': 'application/json' } });
const roleId = async (name: string): Promise<string> => (await as('GET', `/v3/roles?name=${name}`)).json.roles[0].id;
const roleNames = (token: { roles: { name: string }[] }) => token.roles.map((r) => r.name).sort();

/** Validates `subject` as the admin: 200 with the token, 404 once it is invalid. */
const validate = (subject: string) => identity.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': subject } });

test('throw-away credentials over HTTP: project, user with a default project, member/reader/admin, tokens, deletion', async () => {
  const project = await as('POST', '/v3/projects', { project: { name: 'tempest-p-1', domain_id: 'default', description: 'tempest-p-1-desc' } });
  assert.equal(project.status, 201);
  const projectId = project.json.project.id;
  const user = await as('POST', '/v3/users', { user: { name: 'tempest-u-1', password: 'tempest-pw-1', domain_id: 'default', default_project_id: projectId, email: 'u1@example.org' } });
  assert.equal(user.status, 201);
  assert.equal(user.json.user.default_project_id, projectId);
  const userId = user.json.user.id;
  for (const role of ['member', 'reader', 'admin']) {
    assert.equal((await bodiless('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${await roleId(role)}`)).status, 204, role);
  }
  const listed = await as('GET', `/v3/role_assignments?scope.project.id=${projectId}&include_names=1`);
  assert.deepEqual(listed.json.role_assignments.map((a: { role: { name: string } }) => a.role.name).sort(), ['admin', 'member', 'reader']);

  // No scope asked: Keystone scopes the token to the user's default project.
  const unscoped = await identity.login('tempest-u-1', 'tempest-pw-1', null);
  assert.equal(unscoped.status, 201);
  assert.equal(unscoped.json.token.project.id, projectId);
  assert.deepEqual(roleNames(unscoped.json.token), ['admin', 'member', 'reader']);
  const scoped = await identity.login('tempest-u-1', 'tempest-pw-1', 'tempest-p-1');
  assert.equal(scoped.status, 201);
  const token = scoped.headers.get('x-subject-token')!;
  assert.equal((await validate(token)).status, 200);
  // The user's token works as a caller's token (it may read its own role list).
  assert.equal((await identity.request('GET', `/v3/projects/${projectId}/users/${userId}/roles`, { token })).status, 200);

  // Cleanup, as the tooling does it: user first, then project.
  assert.equal((await bodiless('DELETE', `/v3/users/${userId}`)).status, 204);
  const gone = await validate(token);
  assert.equal(gone.status, 404, 'a token of a deleted user no longer validates');
  assert.equal(gone.json.error.message, 'Could not find token: the X-Subject-Token.');
  assert.equal((await identity.request('GET', '/v3/auth/tokens', { token, headers: { 'x-subject-token': token } })).status, 401);
  assert.equal((await identity.login('tempest-u-1', 'tempest-pw-1', null)).status, 401);
  assert.deepEqual((await as('GET', `/v3/role_assignments?user.id=${userId}`)).json.role_assignments, []);
  assert.equal((await bodiless('DELETE', `/v3/projects/${projectId}`)).status, 204);
  assert.equal((await as('GET', `/v3/projects/${projectId}`)).status, 404);
  assert.equal((await bodiless('DELETE', `/v3/projects/${projectId}`)).status, 404);
});

test('deleting the project first: its assignments go, and tokens scoped to it no longer validate; the user stays', async () => {
  const project = (await as('POST', '/v3/projects', { project: { name: 'tempest-p-2', domain_id: 'default' } })).json.project;
  const user = (await as('POST', '/v3/users', { user: { name: 'tempest-u-2', password: 'tempest-pw-2', domain_id: 'default', default_project_id: project.id } })).json.user;
  assert.equal((await bodiless('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${await roleId('member')}`)).status, 204);
  const scoped = (await identity.token('tempest-u-2', 'tempest-pw-2', 'tempest-p-2')).token;
  const unscoped = (await identity.token('tempest-u-2', 'tempest-pw-2', null));
  assert.equal(unscoped.projectId, project.id);
  assert.equal((await bodiless('DELETE', `/v3/projects/${project.id}`)).status, 204);
  assert.equal((await validate(scoped)).status, 404);
  assert.equal((await validate(unscoped.token)).status, 404, 'the default-project token was scoped to the deleted project');
  assert.deepEqual((await as('GET', `/v3/role_assignments?user.id=${user.id}`)).json.role_assignments, []);
  // The user can still log in, unscoped now: the default project is gone.
  const after = await identity.login('tempest-u-2', 'tempest-pw-2', null);
  assert.equal(after.status, 201);
  assert.equal(after.json.token.project, undefined);
  assert.equal((await bodiless('DELETE', `/v3/users/${user.id}`)).status, 204);
});

const openstackCli = spawnSync('openstack', ['--version'], { encoding: 'utf8' }).status === 0;

test('throw-away credentials through the unmodified openstack command', { skip: openstackCli ? false : 'the openstack command is not installed' }, async () => {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
  const adminEnv = { ...base, OS_AUTH_URL: identity.v3, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: 'admin', OS_PASSWORD: identity.admin.password, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default' };
  const openstack = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync('openstack', args, { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `openstack ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const json = (env: Record<string, string>, ...args: string[]): any => JSON.parse(openstack(env, ...args, '-f', 'json'));

  const project = json(adminEnv, 'project', 'create', '--domain', 'default', 'cli-p-1');
  const user = json(adminEnv, 'user', 'create', '--domain', 'default', '--project', 'cli-p-1', '--password', 'cli-pw-1', 'cli-u-1');
  assert.equal(user.default_project_id, project.id);
  openstack(adminEnv, 'role', 'add', '--project', 'cli-p-1', '--user', 'cli-u-1', 'member');
  openstack(adminEnv, 'role', 'add', '--project', 'cli-p-1', '--user', 'cli-u-1', 'reader');
  const userEnv = { ...adminEnv, OS_USERNAME: 'cli-u-1', OS_PASSWORD: 'cli-pw-1', OS_PROJECT_NAME: 'cli-p-1' };
  const issued = json(userEnv, 'token', 'issue');
  assert.equal(issued.project_id, project.id);
  assert.equal((await validate(issued.id)).status, 200);
  openstack(adminEnv, 'role', 'remove', '--project', 'cli-p-1', '--user', 'cli-u-1', 'reader');
  assert.deepEqual(json(adminEnv, 'role', 'assignment', 'list', '--names', '--project', 'cli-p-1').map((a: { Role: string }) => a.Role), ['member']);
  openstack(adminEnv, 'user', 'delete', 'cli-u-1');
  openstack(adminEnv, 'project', 'delete', 'cli-p-1');
  assert.equal((await validate(issued.id)).status, 404);
  assert.equal((await as('GET', `/v3/projects/${project.id}`)).status, 404);
});
