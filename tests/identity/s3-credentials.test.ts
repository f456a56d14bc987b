// EC2 credentials stop working with their owner: a disabled user, project or domain, a
// deleted user or project, or a user who lost its role gets its S3 requests refused
// within the proxy's cache lifetime (made short here), exactly as its tokens are — and
// works again once re-enabled. Identity's POST /v3/s3tokens (the check behind it, which
// Swift's s3token middleware also calls) is tested directly, both signature versions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from '../s3/client.js';
import { startIdentity, type RunningIdentity } from './harness.js';

const CACHE_S = 1;
let identity: RunningIdentity;
let cluster: TestCluster;
let admin: string;

before(async () => {
  identity = await startIdentity();
  cluster = await TestCluster.start({
    proxy: { identity_url: identity.v3, identity_cache_s: CACHE_S, identity_service_password: identity.servicePassword },
  });
  admin = (await identity.adminToken()).token;
});

after(async () => {
  await cluster?.stop();
  await identity?.destroy();
});

const asAdmin = (method: string, path: string, body?: unknown) => identity.request(method, path, { token: admin, ...(body !== undefined ? { body } : {}) });

interface Owner {
  userId: string;
  projectId: string;
  access: string;
  secret: string;
  s3: S3Client;
}

/** A user with a member role on its own project and an EC2 credential there. */
async function owner(name: string): Promise<Owner> {
  const { login, projectId, userId } = await identity.makeUser(`${name}-project`, name, `${name}-pw`);
  const created = await identity.request('POST', `/v3/users/${userId}/credentials/OS-EC2`, { token: login.token, body: { tenant_id: projectId } });
  assert.equal(created.status, 201);
  const { access, secret } = created.json.credential;
  return { userId, projectId, access, secret, s3: s3Client(cluster, { user: access, key: secret }) };
}

/** The S3 outcome of ListBuckets: "ok" or the error code. */
const listOutcome = async (s3: S3Client) => {
  try {
    await s3.send(new ListBucketsCommand({}));
    return 'ok';
  } catch (err) {
    return (err as { Code?: string; name: string }).Code ?? (err as { name: string }).name;
  }
};

/** Polls until ListBuckets answers `want`; the proxy may hold the previous answer for CACHE_S seconds. */
async function eventually(s3: S3Client, want: string): Promise<string> {
  let outcome = '';
  for (let i = 0; i < 10 * (CACHE_S + 5); i++) {
    outcome = await listOutcome(s3);
    if (outcome === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return outcome;
}

describe('EC2 credentials at the proxy follow their owner', () => {
  test('a disabled user is refused (AccessDenied), and works again once re-enabled', async () => {
    const o = await owner('s3-disabled-user');
    assert.equal(await listOutcome(o.s3), 'ok');
    assert.equal((await asAdmin('PATCH', `/v3/users/${o.userId}`, { user: { enabled: false } })).status, 200);
    assert.equal(await eventually(o.s3, 'AccessDenied'), 'AccessDenied');
    assert.equal((await asAdmin('PATCH', `/v3/users/${o.userId}`, { user: { enabled: true } })).status, 200);
    assert.equal(await eventually(o.s3, 'ok'), 'ok');
  });

  test('a disabled project is refused, and works again once re-enabled', async () => {
    const o = await owner('s3-disabled-project');
    assert.equal(await listOutcome(o.s3), 'ok');
    assert.equal((await asAdmin('PATCH', `/v3/projects/${o.projectId}`, { project: { enabled: false } })).status, 200);
    assert.equal(await eventually(o.s3, 'AccessDenied'), 'AccessDenied');
    assert.equal((await asAdmin('PATCH', `/v3/projects/${o.projectId}`, { project: { enabled: true } })).status, 200);
    assert.equal(await eventually(o.s3, 'ok'), 'ok');
  });

  test('a disabled domain is refused for its users and projects, and works again once re-enabled', async () => {
    const domain = await asAdmin('POST', '/v3/domains', { domain: { name: 'S3Domain' } });
    assert.equal(domain.status, 201);
    const domainId = domain.json.domain.id;
    const project = await asAdmin('POST', '/v3/projects', { project: { name: 'in-domain', domain_id: domainId } });
    const user = await asAdmin('POST', '/v3/users', { user: { name: 'domain-user', password: 'domain-pw', domain_id: domainId } });
    const member = (await asAdmin('GET', '/v3/roles?name=member')).json.roles[0].id;
    const [projectId, userId] = [project.json.project.id, user.json.user.id];
    assert.equal((await asAdmin('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${member}`)).status, 204);
    const created = await asAdmin('POST', `/v3/users/${userId}/credentials/OS-EC2`, { tenant_id: projectId });
    assert.equal(created.status, 201);
    const s3 = s3Client(cluster, { user: created.json.credential.access, key: created.json.credential.secret });
    assert.equal(await listOutcome(s3), 'ok');
    assert.equal((await asAdmin('PATCH', `/v3/domains/${domainId}`, { domain: { enabled: false } })).status, 200);
    assert.equal(await eventually(s3, 'AccessDenied'), 'AccessDenied');
    assert.equal((await asAdmin('PATCH', `/v3/domains/${domainId}`, { domain: { enabled: true } })).status, 200);
    assert.equal(await eventually(s3, 'ok'), 'ok');
  });

  test('a user who lost its role on the project is refused', async () => {
    const o = await owner('s3-unassigned');
    assert.equal(await listOutcome(o.s3), 'ok');
    const member = (await asAdmin('GET', '/v3/roles?name=member')).json.roles[0].id;
    assert.equal((await asAdmin('DELETE', `/v3/projects/${o.projectId}/users/${o.userId}/roles/${member}`)).status, 204);
    assert.equal(await eventually(o.s3, 'AccessDenied'), 'AccessDenied');
  });

  test('a deleted user or project takes its credentials with it (InvalidAccessKeyId)', async () => {
    const gone = await owner('s3-deleted-user');
    const closed = await owner('s3-deleted-project');
    assert.equal(await listOutcome(gone.s3), 'ok');
    assert.equal(await listOutcome(closed.s3), 'ok');
    assert.equal((await asAdmin('DELETE', `/v3/users/${gone.userId}`)).status, 204);
    assert.equal((await asAdmin('DELETE', `/v3/projects/${closed.projectId}`)).status, 204);
    assert.equal(await eventually(gone.s3, 'InvalidAccessKeyId'), 'InvalidAccessKeyId');
    assert.equal(await eventually(closed.s3, 'InvalidAccessKeyId'), 'InvalidAccessKeyId');
  });
});

describe('a project admin administers its project only', () => {
  test('its EC2 credential reaches its own account, not another project’s; the cloud admin’s reaches both', async () => {
    const victim = await owner('s3-victim');
    await victim.s3.send(new CreateBucketCommand({ Bucket: 'victim-bucket' }));
    const local = await identity.makeUser('s3-local', 's3-local-admin', 'local-pw', 'admin');
    const cred = await identity.request('POST', `/v3/users/${local.userId}/credentials/OS-EC2`, { token: local.login.token, body: { tenant_id: local.projectId } });
    const localS3 = s3Client(cluster, { user: cred.json.credential.access, key: cred.json.credential.secret });
    assert.equal(await listOutcome(localS3), 'ok', 'its own account');
    // Its S3 requests land in its own account, where the victim's bucket does not exist.
    assert.equal(await errorCode(localS3.send(new ListObjectsV2Command({ Bucket: 'victim-bucket' }))), 'NoSuchBucket');
    // Through the Swift API, the victim's account is forbidden to it…
    assert.equal((await cluster.request('GET', `/v1/AUTH_${victim.projectId}`, { token: local.login.token })).status, 403);
    assert.equal((await cluster.request('GET', `/v1/AUTH_${victim.projectId}/victim-bucket`, { token: local.login.token })).status, 403);
    // …and open to the cloud admin.
    const listing = await cluster.request('GET', `/v1/AUTH_${victim.projectId}`, { token: admin });
    assert.equal(listing.status, 200);
    assert.equal(listing.text.trim(), 'victim-bucket');
    assert.equal(await errorCode(localS3.send(new GetObjectCommand({ Bucket: 'victim-bucket', Key: 'x' }))), 'NoSuchBucket');
  });
});

describe('POST /v3/s3tokens', () => {
  const v4StringToSign = (date: string) => `AWS4-HMAC-SHA256\n${date}T000000Z\n${date}/us-east-1/s3/aws4_request\n${'ab'.repeat(32)}`;
  const v4Signature = (secret: string, stringToSign: string) => {
    let key: Buffer = Buffer.from(`AWS4${secret}`);
    for (const part of stringToSign.split('\n')[2]!.split('/')) key = createHmac('sha256', key).update(part).digest();
    return createHmac('sha256', key).update(stringToSign).digest('hex');
  };
  const s3tokens = (access: string, stringToSign: string, signature: string) =>
    identity.request('POST', '/v3/s3tokens', { body: { credentials: { access, token: Buffer.from(stringToSign).toString('base64url'), signature } } });

  test('a right V4 or V1 signature gets the owner’s token on the credential’s project; a wrong one 401, an unknown key 404', async () => {
    const o = await owner('s3tokens-user');
    const v4 = v4StringToSign('20240101');
    const ok = await s3tokens(o.access, v4, v4Signature(o.secret, v4));
    assert.equal(ok.status, 200);
    assert.equal(ok.json.token.user.id, o.userId);
    assert.equal(ok.json.token.project.id, o.projectId);
    assert.deepEqual(ok.json.token.roles.map((r: { name: string }) => r.name), ['member']);
    assert.equal(ok.json.token.is_admin_project, false);
    const v1 = 'GET\n\n\nMon, 01 Jan 2024 00:00:00 GMT\n/bucket/key';
    assert.equal((await s3tokens(o.access, v1, createHmac('sha1', o.secret).update(v1).digest('base64'))).status, 200);

    const wrong = await s3tokens(o.access, v4, v4Signature('not-the-secret', v4));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.message, 'The request you have made requires authentication.');
    assert.equal((await s3tokens(o.access, 'AWS4-HMAC-SHA256\nmalformed', 'x')).status, 401);
    const unknown = await s3tokens('no-such-access-key', v4, 'x');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.message, 'EC2 access key not found.');
    assert.equal((await identity.request('POST', '/v3/s3tokens', { body: {} })).status, 400);
    assert.equal((await identity.request('GET', '/v3/s3tokens')).status, 405);
  });

  test('guessing a secret through s3tokens meets the password brake: 40 concurrent wrong signatures, only the limit checked', async () => {
    const o = await owner('s3tokens-guessed');
    const v4 = v4StringToSign('20240103');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => s3tokens(o.access, v4, v4Signature(`guess-${i}`, v4))));
    const statuses = answers.map((a) => a.status);
    // identity's default max_failed_auth_per_user is 5.
    assert.equal(statuses.filter((s) => s === 401).length, 5);
    assert.equal(statuses.filter((s) => s === 429).length, 35);
    assert.ok(Number(answers.find((a) => a.status === 429)!.headers.get('retry-after')) >= 1);
    // The right signature waits out the window too; another credential is not held back.
    assert.equal((await s3tokens(o.access, v4, v4Signature(o.secret, v4))).status, 429);
    const other = await owner('s3tokens-bystander');
    assert.equal((await s3tokens(other.access, v4, v4Signature(other.secret, v4))).status, 200);
  });

  test('a right signature for a disabled user gets 401', async () => {
    const o = await owner('s3tokens-disabled');
    const v4 = v4StringToSign('20240102');
    assert.equal((await asAdmin('PATCH', `/v3/users/${o.userId}`, { user: { enabled: false } })).status, 200);
    assert.equal((await s3tokens(o.access, v4, v4Signature(o.secret, v4))).status, 401);
  });
});
