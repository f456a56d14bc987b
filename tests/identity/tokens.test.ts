// Tokens as a client meets them: logging in by name or id, scoped or not, rescoping,
// validating (one's own token, or any as an admin), revoking, and every way a token stops
// working: expiry, revocation, tampering, a deleted user or project, a removed role, a
// changed password. Also: tokens survive a restart of the identity process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentity, type RunningIdentity } from './harness.js';

let identity: RunningIdentity;

before(async () => {
  identity = await startIdentity({ identity: { token_life_s: 3600 } });
});

after(async () => {
  await identity?.destroy();
});

const validate = (caller: string, subject: string, method = 'GET') =>
  identity.request(method, '/v3/auth/tokens', { token: caller, headers: { 'x-subject-token': subject } });

describe('POST /v3/auth/tokens', () => {
  test('a password login scoped to a project gives the token, user, project, roles, times, methods and catalog', async () => {
    const res = await identity.login('admin', identity.admin.password, 'admin');
    assert.equal(res.status, 201);
    const token = res.headers.get('x-subject-token');
    assert.ok(token && token.length > 32);
    const t = res.json.token;
    assert.equal(t.user.name, 'admin');
    assert.deepEqual(t.user.domain, { id: 'default', name: 'Default' });
    assert.equal(t.project.name, 'admin');
    assert.deepEqual(t.methods, ['password']);
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name), ['admin']);
    assert.ok(Date.parse(t.expires_at) > Date.parse(t.issued_at));
    assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const types = t.catalog.map((s: { type: string }) => s.type).sort();
    assert.deepEqual(types, ['identity', 'image', 'object-store']);
    const store = t.catalog.find((s: { type: string }) => s.type === 'object-store');
    const publicUrl = store.endpoints.find((e: { interface: string }) => e.interface === 'public').url;
    assert.equal(publicUrl, `http://127.0.0.1:8080/v1/AUTH_${t.project.id}`, 'the project id is filled into the object-store URL');
  });

  test('login by user id, unscoped (then the default project), and with ?nocatalog', async () => {
    const { userId } = await identity.adminToken();
    const byId = await identity.request('POST', '/v3/auth/tokens?nocatalog', {
      body: { auth: { identity: { methods: ['password'], password: { user: { id: userId, password: identity.admin.password } } }, scope: 'unscoped' } },
    });
    assert.equal(byId.status, 201);
    assert.equal(byId.json.token.user.id, userId);
    assert.equal(byId.json.token.catalog, undefined);
    // The bootstrap admin's default project is `admin`: an unspecified scope lands there.
    const unscoped = await identity.login('admin', identity.admin.password, null);
    assert.equal(unscoped.status, 201);
    assert.equal(unscoped.json.token.project.name, 'admin');
    const { login } = await identity.makeUser('nodefault', 'floater', 'floater-pw');
    const floating = await identity.login('floater', 'floater-pw', null);
    assert.equal(floating.status, 201);
    assert.equal(floating.json.token.project, undefined, 'a user without a default project gets an unscoped token');
    assert.equal(floating.json.token.roles, undefined);
    assert.ok(login.projectId);
  });

  test('the token method rescopes an unscoped token to a project, keeping its expiry', async () => {
    await identity.makeUser('rescope', 'rita', 'rita-pw');
    const unscoped = await identity.login('rita', 'rita-pw', null);
    const token = unscoped.headers.get('x-subject-token')!;
    const scoped = await identity.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { name: 'rescope', domain: { name: 'Default' } } } } },
    });
    assert.equal(scoped.status, 201);
    assert.equal(scoped.json.token.project.name, 'rescope');
    assert.deepEqual(scoped.json.token.methods, ['password', 'token']);
    assert.equal(scoped.json.token.expires_at, unscoped.json.token.expires_at);
    assert.equal(scoped.json.token.audit_ids[1], unscoped.json.token.audit_ids[0]);
  });

  test('a project the user has no role on is refused', async () => {
    await identity.makeUser('mine', 'owner1', 'owner1-pw');
    const res = await identity.login('owner1', 'owner1-pw', 'admin');
    assert.equal(res.status, 401);
  });

  test('malformed bodies get 400 with Keystone error bodies', async () => {
    for (const body of [{}, { auth: {} }, { auth: { identity: { methods: ['password'] } } }, { auth: { identity: { methods: ['password'], password: { user: { name: 'x' } } } } }]) {
      const res = await identity.request('POST', '/v3/auth/tokens', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 400);
      assert.equal(res.json.error.title, 'Bad Request');
      assert.equal(typeof res.json.error.message, 'string');
    }
    const broken = await fetch(`${identity.url}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"auth":' });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { error: { code: number } }).error.code, 400);
  });
});

describe('validation and revocation', () => {
  test('a user validates their own token (GET and HEAD); a non-admin may not validate somebody else’s', async () => {
    const a = await identity.makeUser('val-a', 'val-a', 'val-a-pw');
    const b = await identity.makeUser('val-b', 'val-b', 'val-b-pw');
    const own = await validate(a.login.token, a.login.token);
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('x-subject-token'), a.login.token);
    assert.equal(own.json.token.user.name, 'val-a');
    assert.equal(own.json.token.project.id, a.projectId);
    assert.equal((await validate(a.login.token, a.login.token, 'HEAD')).status, 200);
    assert.equal((await validate(a.login.token, b.login.token)).status, 403);
    const admin = await identity.adminToken();
    const byAdmin = await validate(admin.token, b.login.token);
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.json.token.user.name, 'val-b');
  });

  test('a revoked token is dead at once, for every call, and tokens rescoped from it too', async () => {
    const { login } = await identity.makeUser('rev', 'rev-user', 'rev-pw');
    const rescoped = await identity.request('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: login.token } }, scope: { project: { name: 'rev', domain: { id: 'default' } } } } },
    });
    const child = rescoped.headers.get('x-subject-token')!;
    const del = await identity.request('DELETE', '/v3/auth/tokens', { token: login.token, headers: { 'x-subject-token': login.token } });
    assert.equal(del.status, 204);
    const after = await validate(login.token, login.token);
    assert.equal(after.status, 401);
    assert.equal(after.json.error.code, 401);
    assert.equal((await identity.request('GET', '/v3/auth/projects', { token: login.token })).status, 401);
    const admin = await identity.adminToken();
    assert.equal((await validate(admin.token, login.token)).status, 404, 'an admin is told the subject token does not exist');
    assert.equal((await validate(child, child)).status, 401, 'the rescoped token goes with its parent');
  });

  test('a tampered token is refused: changed claims, changed signature, garbage', async () => {
    const { login } = await identity.makeUser('tamper', 'tamper-user', 'tamper-pw');
    const [payload, sig] = login.token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const admin = await identity.adminToken();
    const forgedClaims = `${Buffer.from(JSON.stringify({ ...claims, u: admin.userId, p: admin.projectId })).toString('base64url')}.${sig}`;
    const flipped = `${payload}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [forgedClaims, flipped, 'garbage', `${payload}.`, '']) {
      const res = await identity.request('GET', '/v3/auth/projects', { token: bad });
      assert.equal(res.status, 401, bad);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
  });

  test('a token dies with its role assignment, its project, its user, and its user’s old password', async () => {
    const admin = (await identity.adminToken()).token;
    const a = await identity.makeUser('life', 'life-user', 'life-pw');
    const member = (await identity.request('GET', '/v3/roles?name=member', { token: admin })).json.roles[0].id;
    assert.equal((await validate(a.login.token, a.login.token)).status, 200);
    await identity.request('DELETE', `/v3/projects/${a.projectId}/users/${a.userId}/roles/${member}`, { token: admin });
    assert.equal((await validate(a.login.token, a.login.token)).status, 401, 'no role on the project: the scoped token is dead');

    const b = await identity.makeUser('life-p', 'life-p-user', 'life-p-pw');
    await identity.request('DELETE', `/v3/projects/${b.projectId}`, { token: admin });
    assert.equal((await validate(b.login.token, b.login.token)).status, 401, 'project deleted');

    const c = await identity.makeUser('life-u', 'life-u-user', 'life-u-pw');
    await identity.request('DELETE', `/v3/users/${c.userId}`, { token: admin });
    assert.equal((await validate(c.login.token, c.login.token)).status, 401, 'user deleted');

    const d = await identity.makeUser('life-pw', 'life-pw-user', 'old-pw');
    const change = await identity.request('POST', `/v3/users/${d.userId}/password`, {
      token: d.login.token,
      body: { user: { original_password: 'old-pw', password: 'new-pw' } },
    });
    assert.equal(change.status, 204);
    assert.equal((await validate(d.login.token, d.login.token)).status, 401, 'password changed');
    assert.equal((await identity.login('life-pw-user', 'old-pw', 'life-pw')).status, 401);
    assert.equal((await identity.login('life-pw-user', 'new-pw', 'life-pw')).status, 201);
  });

  test('tokens and records survive a restart of the identity process', async () => {
    const { login, projectId } = await identity.makeUser('durable', 'durable-user', 'durable-pw');
    await identity.restart();
    const res = await validate(login.token, login.token);
    assert.equal(res.status, 200);
    assert.equal(res.json.token.project.id, projectId);
    assert.equal((await identity.login('durable-user', 'durable-pw', 'durable')).status, 201);
  });
});

describe('expiry', () => {
  test('a token stops working once expired, at identity', async () => {
    const shortLived = await startIdentity({ identity: { token_life_s: 1 } });
    try {
      const { token } = await shortLived.adminToken();
      let status = 200;
      // Bounded: the token lives one second; give a loaded machine plenty of rounds.
      for (let i = 0; i < 100 && status === 200; i++) {
        status = (await shortLived.request('GET', '/v3/auth/tokens', { token, headers: { 'x-subject-token': token } })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 401);
    } finally {
      await shortLived.destroy();
    }
  });
});

describe('discovery', () => {
  test('GET / lists v3 (300) and GET /v3 describes it', async () => {
    const root = await identity.request('GET', '/');
    assert.equal(root.status, 300);
    assert.equal(root.json.versions.values[0].id, 'v3.14');
    const v3 = await identity.request('GET', '/v3');
    assert.equal(v3.status, 200);
    assert.equal(v3.json.version.status, 'stable');
    assert.match(v3.json.version.links[0].href, /\/v3\/$/);
  });

  test('catalog, projects of the token’s user, and unknown paths', async () => {
    const { login, projectId, userId } = await identity.makeUser('disc', 'disc-user', 'disc-pw');
    const catalog = await identity.request('GET', '/v3/auth/catalog', { token: login.token });
    assert.equal(catalog.status, 200);
    assert.ok(catalog.json.catalog.some((s: { type: string }) => s.type === 'object-store'));
    const projects = await identity.request('GET', '/v3/auth/projects', { token: login.token });
    assert.deepEqual(projects.json.projects.map((p: { id: string }) => p.id), [projectId]);
    const mine = await identity.request('GET', `/v3/users/${userId}/projects`, { token: login.token });
    assert.deepEqual(mine.json.projects.map((p: { name: string }) => p.name), ['disc']);
    const missing = await identity.request('GET', '/v3/nothing-here', { token: login.token });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.title, 'Not Found');
  });
});
