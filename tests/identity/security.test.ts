// The identity service against a hostile or careless client: wrong passwords (401 that
// gives nothing away), brute force (counted before the password is hashed, refused past a
// limit per user and per source), a non-admin or a project admin reaching for cloud-admin
// operations (403), and secrets kept out of the logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

describe('brute force, concurrent', () => {
  test('40 concurrent wrong passwords: only the limit reach the password check (401), the rest get 429; the user stays locked from any source until the window ends', async () => {
    const limited = await startIdentity({ identity: { max_failed_auth_per_user: 3, max_failed_auth_per_source: 1000, failed_auth_window_s: 3 } });
    try {
      await limited.makeUser('storm', 'stormed', 'stormed-pw');
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => limited.login('stormed', `guess-${i}`, 'storm')));
      const statuses = answers.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 3, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, 37, statuses.join(','));
      for (const r of answers.filter((a) => a.status === 429)) assert.ok(Number(r.headers.get('retry-after')) >= 1);

      // The right password, from another address, while the user is locked.
      const locked = await limited.login('stormed', 'stormed-pw', 'storm', '127.0.0.2');
      assert.equal(locked.status, 429);
      assert.deepEqual(locked.json.error, { code: 429, title: 'Too Many Requests', message: 'Too many failed authentication attempts; try again later.' });
      const wait = Number(locked.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 3, String(wait));
      await new Promise((r) => setTimeout(r, wait * 1000));
      assert.equal((await limited.login('stormed', 'stormed-pw', 'storm', '127.0.0.2')).status, 201, 'the window has ended');
    } finally {
      await limited.destroy();
    }
  });

  test('a right password resets the user’s count, so a legitimate user under the limit keeps logging in', async () => {
    await identity.makeUser('forgetful', 'forgetful-user', 'real-pw');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) assert.equal((await identity.login('forgetful-user', `typo-${i}`, 'forgetful')).status, 401);
      assert.equal((await identity.login('forgetful-user', 'real-pw', 'forgetful')).status, 201, `round ${round}`);
    }
  });

  test('changing one’s password checks the original one under the same limit', async () => {
    const { login } = await identity.makeUser('changer', 'changer-user', 'changer-pw');
    const change = (original: string) =>
      identity.request('POST', `/v3/users/${login.userId}/password`, { token: login.token, body: { user: { original_password: original, password: 'new-pw' } } });
    for (let i = 0; i < 3; i++) assert.equal((await change(`guess-${i}`)).status, 401);
    assert.equal((await change('changer-pw')).status, 429);
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

  test('the admin role on a project other than the admin project administers nothing in identity (403); the cloud admin does', async () => {
    const scoped = await startIdentity();
    try {
      const local = await scoped.makeUser('tenant-p', 'p-admin', 'p-admin-pw', 'admin');
      assert.equal(local.login.body.token.is_admin_project, false);
      const other = await scoped.makeUser('tenant-q', 'q-user', 'q-user-pw');
      const otherEc2 = await scoped.request('POST', `/v3/users/${other.userId}/credentials/OS-EC2`, { token: other.login.token, body: { tenant_id: other.projectId } });
      assert.equal(otherEc2.status, 201);
      const cloud = await scoped.adminToken();
      assert.equal(cloud.body.token.is_admin_project, true);
      const adminRole = (await scoped.request('GET', '/v3/roles?name=admin', { token: cloud.token })).json.roles[0].id;
      const credentialId = createHash('sha256').update(otherEc2.json.credential.access).digest('hex');

      const attempts: Array<[string, string, string, unknown?]> = [
        ['identity:create_grant', 'PUT', `/v3/projects/${cloud.projectId}/users/${local.userId}/roles/${adminRole}`],
        ['identity:create_user', 'POST', '/v3/users', { user: { name: 'p-made', password: 'x' } }],
        ['identity:ec2_list_credentials', 'GET', `/v3/users/${other.userId}/credentials/OS-EC2`],
        ['identity:ec2_get_credential', 'GET', `/v3/users/${other.userId}/credentials/OS-EC2/${otherEc2.json.credential.access}`],
        ['identity:get_credential', 'GET', `/v3/credentials/${credentialId}`],
        ['identity:list_role_assignments', 'GET', '/v3/role_assignments'],
      ];
      for (const [action, method, path, body] of attempts) {
        const res = await scoped.request(method, path, { token: local.login.token, ...(body !== undefined ? { body } : {}) });
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.deepEqual(res.json.error, { code: 403, title: 'Forbidden', message: `You are not authorized to perform the requested action: ${action}.` });
      }
      const listed = await scoped.request('GET', '/v3/credentials', { token: local.login.token });
      assert.deepEqual(listed.json.credentials, [], 'nobody else’s credentials in its list');
      const rescoped = await scoped.request('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: local.login.token } }, scope: { project: { id: cloud.projectId } } } } });
      assert.equal(rescoped.status, 401, 'no token on the admin project without a role there');

      // The cloud admin can do each of them.
      assert.equal((await scoped.request('GET', `/v3/credentials/${credentialId}`, { token: cloud.token })).status, 200);
      assert.equal((await scoped.request('GET', `/v3/users/${other.userId}/credentials/OS-EC2`, { token: cloud.token })).json.credentials.length, 1);
      assert.equal((await scoped.request('POST', '/v3/users', { token: cloud.token, body: { user: { name: 'cloud-made', password: 'x' } } })).status, 201);
      assert.equal((await scoped.request('PUT', `/v3/projects/${cloud.projectId}/users/${local.userId}/roles/${adminRole}`, { token: cloud.token })).status, 204);
      const promoted = await scoped.token('p-admin', 'p-admin-pw', 'admin');
      assert.equal(promoted.body.token.is_admin_project, true, 'once the cloud admin grants it, p-admin is a cloud admin too');
      assert.equal((await scoped.request('GET', '/v3/role_assignments', { token: promoted.token })).status, 200);
    } finally {
      await scoped.destroy();
    }
  });

  test('a service user reads EC2 credentials and validates tokens for its service, and administers nothing', async () => {
    const { login } = await identity.makeUser('svc-target', 'svc-target-user', 'svc-pw');
    const ec2 = await identity.request('POST', `/v3/users/${login.userId}/credentials/OS-EC2`, { token: login.token, body: { tenant_id: login.projectId } });
    const swift = await identity.token('swift', identity.servicePassword, 'service');
    assert.equal(swift.body.token.is_admin_project, false);
    const id = createHash('sha256').update(ec2.json.credential.access).digest('hex');
    assert.equal((await identity.request('GET', `/v3/credentials/${id}`, { token: swift.token })).status, 200);
    assert.equal((await identity.request('GET', '/v3/auth/tokens', { token: swift.token, headers: { 'x-subject-token': login.token } })).status, 200);
    assert.equal((await identity.request('DELETE', `/v3/credentials/${id}`, { token: swift.token })).status, 403);
    assert.equal((await identity.request('POST', '/v3/users', { token: swift.token, body: { user: { name: 'svc-made', password: 'x' } } })).status, 403);
    // A member validates only its own tokens.
    const other = await identity.makeUser('svc-target', 'svc-other-user', 'svc-other-pw');
    assert.equal((await identity.request('GET', '/v3/auth/tokens', { token: other.login.token, headers: { 'x-subject-token': login.token } })).status, 403);
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
