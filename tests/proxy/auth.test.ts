// Tempauth and ACLs as a user meets them: logging in, using (or forging) tokens, other
// people's accounts, and container ACLs for other users and for anonymous readers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TempAuth } from '../../proxy/auth/tempauth.js';
import { DEFAULT_SETTINGS, TEST_USERS } from '../../proxy/config.js';
import { AuthAttempts } from '../../proxy/auth/attempts.js';
import { Session, TestCluster } from './harness.js';

const TOKEN_SECRET = 'auth-test-secret';
let cluster: TestCluster;
let admin: Session;

before(async () => {
  cluster = await TestCluster.start({
    proxy: {
      token_secret: TOKEN_SECRET,
      users: { ...TEST_USERS, 'reseller:root': { key: 'rootpw', groups: ['.admin', '.reseller_admin'] } },
    },
  });
  admin = await Session.login(cluster);
});

after(() => cluster?.stop());

describe('GET /auth/v1.0', () => {
  test('good credentials give a token and the storage URL of the host the client used', async () => {
    const res = await cluster.request('GET', '/auth/v1.0', { headers: { 'x-auth-user': 'test:tester', 'x-auth-key': 'testing' } });
    assert.equal(res.status, 200);
    const token = res.headers.get('x-auth-token')!;
    assert.match(token, /^AUTH_tk/);
    assert.equal(res.headers.get('x-storage-token'), token);
    assert.equal(res.headers.get('x-storage-url'), `${cluster.url}/v1/AUTH_test`);
    const expires = Number(res.headers.get('x-auth-token-expires'));
    assert.ok(expires > 86000 && expires <= 86400, `X-Auth-Token-Expires ${expires}`);
  });

  test('X-Storage-User/X-Storage-Pass, a trailing slash and /auth/v1/<account>/auth work too', async () => {
    const storage = await cluster.request('GET', '/auth/v1.0/', { headers: { 'x-storage-user': 'test2:tester2', 'x-storage-pass': 'testing2' } });
    assert.equal(storage.status, 200);
    assert.equal(storage.headers.get('x-storage-url'), `${cluster.url}/v1/AUTH_test2`);
    const legacy = await cluster.request('GET', '/auth/v1/test/auth', { headers: { 'x-storage-user': 'tester3', 'x-storage-pass': 'testing3' } });
    assert.equal(legacy.status, 200);
    assert.equal(legacy.headers.get('x-storage-url'), `${cluster.url}/v1/AUTH_test`);
  });

  test('a wrong key, an unknown user or no credentials are 401', async () => {
    const attempts: Record<string, string>[] = [
      { 'x-auth-user': 'test:tester', 'x-auth-key': 'wrong' },
      { 'x-auth-user': 'test:nobody', 'x-auth-key': 'testing' },
      { 'x-auth-user': 'tester', 'x-auth-key': 'testing' },
      {},
    ];
    for (const headers of attempts) {
      const res = await cluster.request('GET', '/auth/v1.0', { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get('x-auth-token'), null);
    }
  });
});

describe('tokens', () => {
  test('no token, a forged token or an expired token on an account is 401', async () => {
    assert.equal((await cluster.request('GET', '/v1/AUTH_test')).status, 401);
    const forged = admin.token.slice(0, -4) + (admin.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await cluster.request('GET', '/v1/AUTH_test', { token: forged })).status, 401);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test', { token: 'AUTH_tk0123456789abcdef' })).status, 401);
    const users = new Map(Object.entries(TEST_USERS));
    const attempts = new AuthAttempts(DEFAULT_SETTINGS);
    const twoDaysAgo = Math.floor(Date.now() / 1000) - 2 * 86400;
    const expired = new TempAuth(users, TOKEN_SECRET, 86400, attempts).issueToken('test:tester', twoDaysAgo).token;
    assert.equal((await cluster.request('GET', '/v1/AUTH_test', { token: expired })).status, 401);
    const signedElsewhere = new TempAuth(users, 'another-secret', 86400, attempts).issueToken('test:tester').token;
    assert.equal((await cluster.request('GET', '/v1/AUTH_test', { token: signedElsewhere })).status, 401);
  });

  test('X-Storage-Token works like X-Auth-Token, and tokens survive a proxy restart (signed, not stored)', async () => {
    const session = await Session.login(cluster);
    await cluster.restartProxy();
    const res = await cluster.request('HEAD', '/v1/AUTH_test', { headers: { 'x-storage-token': session.token } });
    assert.equal(res.status, 204);
  });

  test("another account's admin gets 403, a reseller admin gets in", async () => {
    const test2 = await Session.login(cluster, 'test2:tester2', 'testing2');
    assert.equal((await cluster.request('GET', '/v1/AUTH_test', { token: test2.token })).status, 403);
    assert.equal((await cluster.request('PUT', '/v1/AUTH_test/from-test2', { token: test2.token })).status, 403);
    const root = await Session.login(cluster, 'reseller:root', 'rootpw');
    assert.equal((await cluster.request('PUT', '/v1/AUTH_test/by-reseller', { token: root.token })).status, 201);
    assert.equal((await cluster.request('HEAD', '/v1/AUTH_test/by-reseller', { token: root.token })).status, 204);
  });
});

describe('container ACLs', () => {
  before(async () => {
    assert.equal((await admin.request('PUT', '/shared')).status, 201);
    assert.equal((await admin.request('PUT', '/shared/doc.txt', { body: 'shared text' })).status, 201);
  });

  test('a non-admin user of the account needs ACLs for everything', async () => {
    const tester3 = await Session.login(cluster, 'test:tester3', 'testing3');
    assert.equal((await tester3.request('GET', '')).status, 403);
    assert.equal((await tester3.request('GET', '/shared')).status, 403);
    assert.equal((await tester3.request('GET', '/shared/doc.txt')).status, 403);
    assert.equal((await tester3.request('PUT', '/shared/new.txt', { body: 'x' })).status, 403);
    assert.equal((await tester3.request('PUT', '/mine')).status, 403, 'only owners create containers');
  });

  test('account:user in X-Container-Read and X-Container-Write grants that user reads and writes', async () => {
    const set = await admin.request('POST', '/shared', {
      headers: { 'x-container-read': 'test:tester3', 'x-container-write': 'test:tester3' },
    });
    assert.equal(set.status, 204);
    const tester3 = await Session.login(cluster, 'test:tester3', 'testing3');
    const listing = await tester3.request('GET', '/shared');
    assert.equal(listing.status, 200);
    assert.equal(listing.text, 'doc.txt\n');
    assert.equal((await tester3.request('GET', '/shared/doc.txt')).text, 'shared text');
    assert.equal((await tester3.request('PUT', '/shared/by3.txt', { body: 'from tester3' })).status, 201);
    const head = await tester3.request('HEAD', '/shared');
    assert.equal(head.status, 204);
    assert.equal(head.headers.get('x-container-read'), null, 'ACLs are shown to owners only');
    assert.equal((await admin.request('HEAD', '/shared')).headers.get('x-container-read'), 'test:tester3');
    assert.equal((await tester3.request('POST', '/shared', { headers: { 'x-container-read': '.r:*' } })).status, 403);
    // Another user of the same account is still out.
    const test2 = await Session.login(cluster, 'test2:tester2', 'testing2');
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt', { token: test2.token })).status, 403);
  });

  test('an account name in the ACL grants every user of that account; "*" every authenticated user', async () => {
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': 'test2' } })).status, 204);
    const test2 = await Session.login(cluster, 'test2:tester2', 'testing2');
    const test5 = await Session.login(cluster, 'test5:tester5', 'testing5');
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt', { token: test2.token })).status, 200);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt', { token: test5.token })).status, 403);
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': '*' } })).status, 204);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt', { token: test5.token })).status, 200);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt')).status, 401, '"*" is not anonymous');
  });

  test('.r:* lets anyone read objects but not list; .rlistings adds listing; writes stay closed', async () => {
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': '.r:*' } })).status, 204);
    const anonymous = await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt');
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.text, 'shared text');
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared')).status, 401);
    assert.equal((await cluster.request('PUT', '/v1/AUTH_test/shared/anon.txt', { body: 'x' })).status, 401);
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': '.r:*,.rlistings' } })).status, 204);
    const listing = await cluster.request('GET', '/v1/AUTH_test/shared?format=json');
    assert.equal(listing.status, 200);
    assert.deepEqual((JSON.parse(listing.text) as { name: string }[]).map((o) => o.name), ['by3.txt', 'doc.txt']);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test')).status, 401, 'the account stays private');
  });

  test('referrer rules: .r:.example.com admits that domain only', async () => {
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': '.r:.example.com' } })).status, 204);
    const from = (referer: string) => cluster.request('GET', '/v1/AUTH_test/shared/doc.txt', { headers: { referer } });
    assert.equal((await from('http://www.example.com/page')).status, 200);
    assert.equal((await from('http://example.org/page')).status, 401);
  });

  test('malformed ACLs are refused with 400 and a reason', async () => {
    const empty = await admin.request('POST', '/shared', { headers: { 'x-container-read': '.r:' } });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /No host\/domain value/);
    const writeReferrer = await admin.request('POST', '/shared', { headers: { 'x-container-write': '.r:*' } });
    assert.equal(writeReferrer.status, 400);
    assert.match(writeReferrer.text, /Referrers not allowed in write ACL/);
    const unknown = await admin.request('PUT', '/acl-bad', { headers: { 'x-container-read': '.x:y' } });
    assert.equal(unknown.status, 400);
    assert.equal((await admin.request('HEAD', '/acl-bad')).status, 404, 'nothing was created');
  });

  test('X-Remove-Container-Read takes the ACL away', async () => {
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-container-read': '.r:*' } })).status, 204);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt')).status, 200);
    assert.equal((await admin.request('POST', '/shared', { headers: { 'x-remove-container-read': 'x' } })).status, 204);
    assert.equal((await cluster.request('GET', '/v1/AUTH_test/shared/doc.txt')).status, 401);
  });
});
