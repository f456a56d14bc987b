// Attacks on the proxy's own front: guessing tempauth keys in a burst, a proxy configured
// without users, the well-known test keys on a proxy others can reach, and an info cache
// fed ever new names. Each is refused or bounded, and the legitimate form still works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, loadProxyConfig, TEST_USERS, wellKnownUsers } from '../../proxy/config.js';
import { InfoCache, type ResourceInfo } from '../../proxy/swift/info-cache.js';
import type { Rings } from '../../proxy/rings.js';
import type { Replicas } from '../../proxy/replicas.js';
import type { SwiftRequest } from '../../proxy/swift/request.js';
import { TestCluster } from './harness.js';

const MAX_FAILED_PER_USER = 3;
const WINDOW_S = 2;

describe('guessing tempauth keys', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({
      nodes: 3,
      proxy: { max_failed_auth_per_user: MAX_FAILED_PER_USER, max_failed_auth_per_source: 1000, failed_auth_window_s: WINDOW_S },
    });
  });
  after(() => cluster?.stop());

  const login = (user: string, key: string) => fetch(`${cluster.url}/auth/v1.0`, { headers: { 'x-auth-user': user, 'x-auth-key': key } });

  test('40 concurrent wrong keys: only the limit is checked, the rest get 429 with Retry-After, and so does the right key', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login('test2:tester2', `guess-${i}`)));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, MAX_FAILED_PER_USER);
    assert.equal(statuses.filter((s) => s === 429).length, 40 - MAX_FAILED_PER_USER);
    const refused = answers.find((r) => r.status === 429)!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_S, `Retry-After ${retryAfter}`);
    assert.match(await refused.text(), /Too many failed authentication attempts/);
    // The right key does not unlock the user inside the window.
    assert.equal((await login('test2:tester2', 'testing2')).status, 429);
    // Another user is not held back by test2's failures.
    assert.equal((await login('test:tester', 'testing')).status, 200);
  });

  test('after the window the right key works again', async () => {
    let res = await login('test2:tester2', 'testing2');
    for (let i = 0; res.status === 429 && i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      res = await login('test2:tester2', 'testing2');
    }
    assert.equal(res.status, 200);
  });
});

describe('users', () => {
  test('a proxy whose config has no users section has none, and says so', async () => {
    const cluster = await TestCluster.start({ nodes: 3, proxy: { users: undefined } });
    try {
      const res = await fetch(`${cluster.url}/auth/v1.0`, { headers: { 'x-auth-user': 'test:tester', 'x-auth-key': 'testing' } });
      assert.equal(res.status, 401);
      assert.match(cluster.proxy.logTail, /no tempauth users configured/);
    } finally {
      await cluster.stop();
    }
  });

  test('the config loader gives no users by default, and the test users only when named', () => {
    const secrets = { hash_path_prefix: 'p', hash_path_suffix: 's' };
    assert.equal(loadProxyConfig(secrets, {}, {}).users.size, 0);
    const named = loadProxyConfig({ ...secrets, proxy: { users: TEST_USERS } }, {}, {});
    assert.deepEqual([...named.users.keys()].sort(), Object.keys(TEST_USERS).sort());
  });

  test('well-known test keys are recognised, so a proxy reachable from other hosts can warn about them', () => {
    const users = new Map([
      ['test:tester', { key: 'testing', groups: ['.admin'] }],
      ['test2:tester2', { key: 'a-real-secret', groups: ['.admin'] }],
      ['ops:root', { key: 'testing', groups: [] }],
    ]);
    assert.deepEqual(wellKnownUsers(users), ['test:tester']);
    assert.equal(isLoopback('127.0.0.1'), true);
    assert.equal(isLoopback('127.3.0.9'), true);
    assert.equal(isLoopback('::1'), true);
    assert.equal(isLoopback('0.0.0.0'), false);
    assert.equal(isLoopback('::'), false);
    assert.equal(isLoopback('192.0.2.10'), false);
  });
});

describe('the info cache', () => {
  /** An InfoCache whose HEADs are counted instead of sent. */
  function countingCache(maxEntries: number, ttlMs = 60_000) {
    const heads: string[] = [];
    const ring = { getNodes: (...names: string[]) => ({ part: 0, nodes: [], names }) };
    const rings = { account: ring, container: ring } as unknown as Rings;
    const replicas = {
      read: async (target: { path: { account: string; container?: string } }): Promise<ResourceInfo & { body: null }> => {
        heads.push(target.path.container ?? target.path.account);
        return { status: 204, headers: {}, body: null };
      },
    } as unknown as Replicas;
    const req = { headers: {}, transId: 'tx', log: { warn() {}, info() {}, error() {} } } as unknown as SwiftRequest;
    return { cache: new InfoCache(rings, replicas, { account: ttlMs, container: ttlMs }, maxEntries), heads, req };
  }

  test('names never seen before cannot grow it past its bound', async () => {
    const { cache, heads, req } = countingCache(50);
    for (let i = 0; i < 1000; i++) await cache.account(req, `AUTH_probe${i}`);
    assert.equal(heads.length, 1000);
    assert.equal(cache.size, 50);
  });

  test('a recent name is served from the cache; an expired one is looked up again', async () => {
    const { cache, heads, req } = countingCache(50, 200);
    await cache.account(req, 'AUTH_a');
    await cache.account(req, 'AUTH_a');
    assert.equal(heads.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cache.account(req, 'AUTH_a');
    assert.equal(heads.length, 2);
  });
});
