// The identity service against a hostile or careless client: wrong passwords (401 that
// gives nothing away), brute force (refused past a limit per user and per source), a
// non-admin reaching for admin operations (403), and secrets kept out of the logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentity, type RunningIdentity } from './harness.js';

let identity: RunningIdentity;

before(async () => {
  // Logged at info level, so the test can check what the log holds.
  identity = await startIdentity({ identity: { log_level: 'info', max_failed_auth_per_user: 3, max_failed_auth_per_source: 1000, failed_auth_window_s: 3600 } });
});

after(async () => {
  await identity?.destroy();
});

describe('wrong credentials', () => {
  test('a wrong password, an unknown user and an unknown domain all get the same 401', async () => {
    await identity.makeUser('hint', 'hinted', 'right-pw');
    const wrongPassword = await identity.login('hinted', 'wrong-pw', 'hint');
    const unknownUser = await identity.login('nobody-like-this', 'right-pw', 'hint');
    const unknownDomain = await identity.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'hinted', domain: { name: 'Elsewhere' }, password: 'right-pw' } } } } },
    });
    for (const res of [wrongPassword, unknownUser, unknownDomain]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('x-subject-token'), null);
      assert.deepEqual(res.json, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    }
  });
});

describe('brute force', () => {
  test('after too many failures for one user, even the right password is refused with 429 and Retry-After; other users are not', async () => {
    await identity.makeUser('brute', 'target', 'target-pw');
    await identity.makeUser('brute', 'bystander', 'bystander-pw');
    for (let i = 0; i < 3; i++) assert.equal((await identity.login('target', `guess-${i}`, 'brute')).status, 401);
    const blocked = await identity.login('target', 'target-pw', 'brute');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.json.error.code, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.equal((await identity.login('bystander', 'bystander-pw', 'brute')).status, 201);
  });

  test('guessing across many users from one source is stopped by the per-source limit', async () => {
    const sprayed = await startIdentity({ identity: { max_failed_auth_per_user: 100, max_failed_auth_per_source: 5, failed_auth_window_s: 3600 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await sprayed.login(`spray-${i}`, 'password1', 'admin')).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
      assert.equal((await sprayed.login('admin', sprayed.admin.password, 'admin')).status, 429, 'the source is held back whoever it claims to be');
    } finally {
      await sprayed.destroy();
    }
  });
});

describe('policy', () => {
  test('a non-admin cannot create or list users, create projects or grant roles (403); an admin can', async () => {
    const limitedIdentity = await startIdentity();
    try {
      const { login, projectId, userId } = await limitedIdentity.makeUser('plain', 'plain-user', 'plain-pw');
      const asUser = { token: login.token };
      const create = await limitedIdentity.request('POST', '/v3/users', { ...asUser, body: { user: { name: 'sneaky', password: 'x' } } });
      assert.equal(create.status, 403);
      assert.equal(create.json.error.title, 'Forbidden');
      assert.equal((await limitedIdentity.request('GET', '/v3/users', asUser)).status, 403);
      assert.equal((await limitedIdentity.request('GET', '/v3/projects', asUser)).status, 403);
      assert.equal((await limitedIdentity.request('POST', '/v3/projects', { ...asUser, body: { project: { name: 'mine' } } })).status, 403);
      const admin = await limitedIdentity.adminToken();
      const roles = await limitedIdentity.request('GET', '/v3/roles?name=admin', { token: admin.token });
      const grant = await limitedIdentity.request('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roles.json.roles[0].id}`, asUser);
      assert.equal(grant.status, 403, 'no granting oneself admin');
      assert.equal((await limitedIdentity.request('GET', `/v3/users/${admin.userId}`, asUser)).status, 403, 'not another user’s record');
      assert.equal((await limitedIdentity.request('GET', `/v3/users/${userId}`, asUser)).status, 200, 'one’s own record');
      const ec2 = await limitedIdentity.request('POST', `/v3/users/${admin.userId}/credentials/OS-EC2`, { ...asUser, body: { tenant_id: projectId } });
      assert.equal(ec2.status, 403, 'no EC2 credentials for somebody else');
      const byAdmin = await limitedIdentity.request('POST', '/v3/users', { token: admin.token, body: { user: { name: 'legit', password: 'legit-pw' } } });
      assert.equal(byAdmin.status, 201);
      assert.equal(byAdmin.json.user.password, undefined);
      assert.equal(byAdmin.json.user.password_hash, undefined);
      const duplicate = await limitedIdentity.request('POST', '/v3/users', { token: admin.token, body: { user: { name: 'legit', password: 'other' } } });
      assert.equal(duplicate.status, 409);
    } finally {
      await limitedIdentity.destroy();
    }
  });

  test('no token is 401, bad input is 400, unknown ids are 404', async () => {
    assert.equal((await identity.request('GET', '/v3/users')).status, 401);
    const admin = (await identity.adminToken()).token;
    const bad = await identity.request('POST', '/v3/projects', { token: admin, body: { project: { name: 42 } } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /name/);
    const missing = await identity.request('GET', '/v3/projects/0123456789abcdef', { token: admin });
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message, /Could not find project/);
  });
});

describe('secrets', () => {
  test('passwords and tokens never reach the log', async () => {
    const { login } = await identity.makeUser('logged', 'logged-user', 'very-secret-password-1');
    await identity.login('logged-user', 'very-secret-password-2', 'logged');
    const ec2 = await identity.request('POST', `/v3/users/${login.userId}/credentials/OS-EC2`, { token: login.token, body: { tenant_id: login.projectId } });
    assert.equal(ec2.status, 201);
    const logs = identity.logs;
    assert.match(logs, /token issued/, 'the log is captured at all');
    assert.ok(!logs.includes('very-secret-password'), 'no password in the log');
    assert.ok(!logs.includes(login.token), 'no token in the log');
    assert.ok(!logs.includes(ec2.json.credential.secret), 'no EC2 secret in the log');
  });
});
