// The proxy trusting identity's tokens, as a user of both sees it: a member owns their
// project's account, cannot touch another project's, a reader only reads, the cloud admin
// reaches every account; revoked, expired and tampered tokens are refused at the proxy;
// tempauth keeps working alongside; S3 requests signed with an EC2 credential land in the
// owner's project account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Session, TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from '../s3/client.js';
import { startIdentity, type RunningIdentity } from './harness.js';

const CACHE_S = 2;
let identity: RunningIdentity;
let cluster: TestCluster;

before(async () => {
  identity = await startIdentity();
  cluster = await TestCluster.start({
    proxy: { identity_url: identity.v3, identity_cache_s: CACHE_S, identity_service_password: identity.servicePassword },
  });
  await identity.setEndpoint('object-store', `${cluster.url}/v1/AUTH_%(project_id)s`);
});

after(async () => {
  await cluster?.stop();
  await identity?.destroy();
});

const swift = (method: string, path: string, token: string, body?: string) => cluster.request(method, path, { token, ...(body !== undefined ? { body } : {}) });

/** Polls until the proxy answers `want` (its cache holds a validation for CACHE_S seconds). */
async function eventually(method: string, path: string, token: string, want: number): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100; i++) {
    status = (await swift(method, path, token)).status;
    if (status === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return status;
}

describe('Keystone tokens at the proxy', () => {
  test('a member owns their project account through the catalog URL', async () => {
    const { login, projectId } = await identity.makeUser('alpha', 'alice', 'alice-pw');
    const store = login.body.token.catalog.find((s: { type: string }) => s.type === 'object-store');
    const url = new URL(store.endpoints.find((e: { interface: string }) => e.interface === 'public').url);
    assert.equal(url.pathname, `/v1/AUTH_${projectId}`);
    assert.equal((await swift('PUT', `${url.pathname}/docs`, login.token)).status, 201);
    assert.equal((await swift('PUT', `${url.pathname}/docs/hello.txt`, login.token, 'hello from alice')).status, 201);
    const got = await swift('GET', `${url.pathname}/docs/hello.txt`, login.token);
    assert.equal(got.status, 200);
    assert.equal(got.text, 'hello from alice');
    const listing = await swift('GET', url.pathname, login.token);
    assert.equal(listing.text.trim(), 'docs');
  });

  test('a member of project A cannot read or write project B’s account (403), nobody anonymous (401)', async () => {
    const a = await identity.makeUser('proj-a', 'user-a', 'pw-a');
    const b = await identity.makeUser('proj-b', 'user-b', 'pw-b');
    const bAccount = `/v1/AUTH_${b.projectId}`;
    assert.equal((await swift('PUT', `${bAccount}/private`, b.login.token)).status, 201);
    assert.equal((await swift('PUT', `${bAccount}/private/secret.txt`, b.login.token, 'for b only')).status, 201);
    assert.equal((await swift('GET', bAccount, a.login.token)).status, 403);
    assert.equal((await swift('GET', `${bAccount}/private`, a.login.token)).status, 403);
    assert.equal((await swift('GET', `${bAccount}/private/secret.txt`, a.login.token)).status, 403);
    assert.equal((await swift('PUT', `${bAccount}/private/planted.txt`, a.login.token, 'x')).status, 403);
    assert.equal((await cluster.request('GET', `${bAccount}/private/secret.txt`)).status, 401);
    // keystoneauth-style ACL: B lets A read the container.
    const acl = await cluster.request('POST', `${bAccount}/private`, { token: b.login.token, headers: { 'x-container-read': `${a.projectId}:${a.userId}` } });
    assert.equal(acl.status, 204);
    assert.equal((await swift('GET', `${bAccount}/private/secret.txt`, a.login.token)).status, 200);
  });

  test('a reader may read the project account but not write it', async () => {
    const owner = await identity.makeUser('readers', 'writer', 'writer-pw');
    const reader = await identity.makeUser('readers', 'looker', 'looker-pw', 'reader');
    const account = `/v1/AUTH_${owner.projectId}`;
    assert.equal((await swift('PUT', `${account}/shelf`, owner.login.token)).status, 201);
    assert.equal((await swift('PUT', `${account}/shelf/book.txt`, owner.login.token, 'words')).status, 201);
    assert.equal((await swift('GET', `${account}/shelf/book.txt`, reader.login.token)).text, 'words');
    assert.equal((await swift('GET', account, reader.login.token)).status, 200);
    assert.equal((await swift('PUT', `${account}/shelf/graffiti.txt`, reader.login.token, 'x')).status, 403);
    assert.equal((await swift('DELETE', `${account}/shelf/book.txt`, reader.login.token)).status, 403);
  });

  test('the admin of the admin project is reseller admin: any account', async () => {
    const other = await identity.makeUser('tenant-x', 'user-x', 'pw-x');
    assert.equal((await swift('PUT', `/v1/AUTH_${other.projectId}/box`, other.login.token)).status, 201);
    const admin = await identity.adminToken();
    assert.equal((await swift('GET', `/v1/AUTH_${other.projectId}`, admin.token)).text.trim(), 'box');
    // The admin role on any other project is only that project's operator.
    const local = await identity.makeUser('tenant-y', 'local-admin', 'pw-y', 'admin');
    assert.equal((await swift('GET', `/v1/AUTH_${other.projectId}`, local.login.token)).status, 403);
  });

  test('tempauth tokens keep working alongside', async () => {
    const session = await Session.login(cluster);
    assert.equal((await session.request('PUT', '/tempauth-box')).status, 201);
    assert.equal((await session.request('GET', '')).status, 200);
  });
});

describe('tokens that stop working', () => {
  test('revoked: refused at once when the proxy has not seen it, within the cache time when it has', async () => {
    const fresh = await identity.makeUser('rev-proxy', 'rev-fresh', 'pw-fresh');
    const used = await identity.makeUser('rev-proxy', 'rev-used', 'pw-used');
    const account = `/v1/AUTH_${used.projectId}`;
    assert.equal((await swift('PUT', `${account}/c`, used.login.token)).status, 201);
    for (const t of [fresh.login.token, used.login.token]) {
      const del = await identity.request('DELETE', '/v3/auth/tokens', { token: t, headers: { 'x-subject-token': t } });
      assert.equal(del.status, 204);
    }
    assert.equal((await swift('GET', account, fresh.login.token)).status, 401);
    assert.equal(await eventually('GET', account, used.login.token, 401), 401);
  });

  test('tampered and made-up tokens are refused', async () => {
    const { login, projectId } = await identity.makeUser('tamper-proxy', 'tamperer', 'pw-t');
    const [payload, sig] = login.token.split('.') as [string, string];
    const admin = await identity.adminToken();
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const escalated = `${Buffer.from(JSON.stringify({ ...claims, u: admin.userId, p: admin.projectId })).toString('base64url')}.${sig}`;
    for (const bad of [escalated, `${payload}.${sig.slice(1)}`, 'not-a-token', `AUTH_tk${payload}`]) {
      assert.equal((await swift('GET', `/v1/AUTH_${projectId}`, bad)).status, 401, bad);
    }
  });

  test('expired: refused once its time is up, even with a validation cached', async () => {
    const config = JSON.parse(readFileSync(identity.configPath, 'utf8'));
    writeFileSync(identity.configPath, JSON.stringify({ ...config, identity: { ...config.identity, token_life_s: 2 } }));
    await identity.restart();
    try {
      const { login, projectId } = await identity.makeUser('expiring', 'brief', 'pw-brief');
      const account = `/v1/AUTH_${projectId}`;
      assert.equal((await swift('PUT', `${account}/c`, login.token)).status, 201);
      assert.equal(await eventually('GET', account, login.token, 401), 401);
    } finally {
      writeFileSync(identity.configPath, JSON.stringify(config));
      await identity.restart();
    }
  });
});

describe('S3 with EC2 credentials', () => {
  test('a request signed with an EC2 credential works in the owner’s project account', async () => {
    const { login, projectId, userId } = await identity.makeUser('s3-proj', 's3-user', 'pw-s3');
    const created = await identity.request('POST', `/v3/users/${userId}/credentials/OS-EC2`, { token: login.token, body: { tenant_id: projectId } });
    assert.equal(created.status, 201);
    const { access, secret } = created.json.credential;
    const s3 = s3Client(cluster, { user: access, key: secret });
    await s3.send(new CreateBucketCommand({ Bucket: 'ec2-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'ec2-bucket', Key: 'note.txt', Body: 'via s3' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'ec2-bucket', Key: 'note.txt' }));
    assert.equal(await got.Body!.transformToString(), 'via s3');
    // The same bytes through the Swift API, in AUTH_<project_id>.
    assert.equal((await swift('GET', `/v1/AUTH_${projectId}/ec2-bucket/note.txt`, login.token)).text, 'via s3');
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(buckets.Buckets?.map((b) => b.Name), ['ec2-bucket']);

    assert.equal(await errorCode(s3Client(cluster, { user: access, key: 'wrong-secret' }).send(new ListBucketsCommand({}))), 'SignatureDoesNotMatch');
    assert.equal(await errorCode(s3Client(cluster, { user: 'unknownaccesskey', key: secret }).send(new ListBucketsCommand({}))), 'InvalidAccessKeyId');
    // Another project's bucket is out of reach.
    const other = await identity.makeUser('s3-other', 's3-other-user', 'pw-o');
    const otherCred = await identity.request('POST', `/v3/users/${other.userId}/credentials/OS-EC2`, { token: other.login.token, body: { tenant_id: other.projectId } });
    const otherS3 = s3Client(cluster, { user: otherCred.json.credential.access, key: otherCred.json.credential.secret });
    assert.equal((await otherS3.send(new ListBucketsCommand({}))).Buckets?.length ?? 0, 0);
    assert.equal(await errorCode(otherS3.send(new GetObjectCommand({ Bucket: 'ec2-bucket', Key: 'note.txt' }))), 'NoSuchBucket');
  });
});

describe('identity down', () => {
  test('an unknown Keystone token gets 503 while identity is unreachable; tempauth is unaffected', async () => {
    const { login, projectId } = await identity.makeUser('outage', 'outage-user', 'pw-out');
    await identity.stop();
    try {
      const res = await swift('GET', `/v1/AUTH_${projectId}`, login.token);
      assert.equal(res.status, 503);
      const session = await Session.login(cluster);
      assert.equal((await session.request('GET', '')).status, 200);
    } finally {
      await identity.start();
    }
  });
});
