// Bucket and object ACLs (canned private / public-read on Swift's container read ACL),
// CORS configuration and the browser's preflight, against a real cluster with the SDK.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Session, TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from './client.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
let cluster: TestCluster;
let s3: S3Client;
let swift: Session;

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  swift = await Session.login(cluster);
});
after(() => cluster?.stop());

const publicGrant = (grants: Array<{ Grantee?: { URI?: string }; Permission?: string }> | undefined) =>
  (grants ?? []).some((g) => g.Grantee?.URI === ALL_USERS && g.Permission === 'READ');

describe('ACLs', () => {
  test('a bucket goes public-read and back; Swift serves it anonymously only while public', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'acl-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'acl-bucket', Key: 'page.html', Body: '<p>hi</p>' }));
    const initial = await s3.send(new GetBucketAclCommand({ Bucket: 'acl-bucket' }));
    assert.equal(initial.Owner?.ID, 'test:tester');
    assert.deepEqual(initial.Grants?.map((g) => [g.Grantee?.ID, g.Grantee?.Type, g.Permission]), [['test:tester', 'CanonicalUser', 'FULL_CONTROL']]);
    const anonymous = () => fetch(`${cluster.url}/v1/${swift.account}/acl-bucket/page.html`);
    assert.equal((await anonymous()).status, 401);

    await s3.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', ACL: 'public-read' }));
    const opened = await s3.send(new GetBucketAclCommand({ Bucket: 'acl-bucket' }));
    assert.ok(publicGrant(opened.Grants));
    const container = await swift.request('HEAD', '/acl-bucket');
    assert.equal(container.headers.get('x-container-read'), '.r:*,.rlistings');
    const read = await anonymous();
    assert.equal(read.status, 200);
    assert.equal(await read.text(), '<p>hi</p>');
    const objectAcl = await s3.send(new GetObjectAclCommand({ Bucket: 'acl-bucket', Key: 'page.html' }));
    assert.ok(publicGrant(objectAcl.Grants));
    // The object's ACL is its bucket's: setting the same one works, another does not.
    await s3.send(new PutObjectAclCommand({ Bucket: 'acl-bucket', Key: 'page.html', ACL: 'public-read' }));
    assert.equal(await errorCode(s3.send(new PutObjectAclCommand({ Bucket: 'acl-bucket', Key: 'page.html', ACL: 'private' }))), 'NotImplemented');

    // Back to private with an AccessControlPolicy body instead of a canned header.
    await s3.send(
      new PutBucketAclCommand({
        Bucket: 'acl-bucket',
        AccessControlPolicy: { Owner: { ID: 'test:tester' }, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: 'test:tester' }, Permission: 'FULL_CONTROL' }] },
      }),
    );
    assert.equal(publicGrant((await s3.send(new GetBucketAclCommand({ Bucket: 'acl-bucket' }))).Grants), false);
    assert.equal((await anonymous()).status, 401);
  });

  test('errors: NoSuchBucket, NoSuchKey, unsupported ACLs', async () => {
    assert.equal(await errorCode(s3.send(new GetBucketAclCommand({ Bucket: 'no-such-bucket' }))), 'NoSuchBucket');
    assert.equal(await errorCode(s3.send(new GetObjectAclCommand({ Bucket: 'acl-bucket', Key: 'missing' }))), 'NoSuchKey');
    assert.equal(await errorCode(s3.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', ACL: 'public-read-write' }))), 'NotImplemented');
    assert.equal(await errorCode(s3.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', GrantRead: 'id="someone"' }))), 'NotImplemented');
    assert.equal(
      await errorCode(
        s3.send(
          new PutBucketAclCommand({
            Bucket: 'acl-bucket',
            AccessControlPolicy: { Owner: { ID: 'test:tester' }, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: 'someone:else' }, Permission: 'READ' }] },
          }),
        ),
      ),
      'NotImplemented',
    );
  });
});

describe('CORS', () => {
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cors-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'cors-bucket', Key: 'data.json', Body: '{}' }));
  });

  const preflight = (path: string, origin: string, method: string, headers?: string) =>
    fetch(`${cluster.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
    });

  test('put, get, use and delete a CORS configuration', async () => {
    assert.equal(await errorCode(s3.send(new GetBucketCorsCommand({ Bucket: 'cors-bucket' }))), 'NoSuchCORSConfiguration');
    assert.equal((await preflight('/cors-bucket/data.json', 'https://app.example.com', 'GET')).status, 403);
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: 'cors-bucket',
        CORSConfiguration: {
          CORSRules: [
            { ID: 'app', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['x-amz-*', 'content-type'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
            { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
          ],
        },
      }),
    );
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: 'cors-bucket' }));
    assert.equal(got.CORSRules?.length, 2);
    assert.deepEqual(got.CORSRules?.[0]?.AllowedOrigins, ['https://*.example.com']);
    assert.deepEqual(got.CORSRules?.[0]?.AllowedMethods, ['GET', 'PUT']);
    assert.equal(got.CORSRules?.[0]?.MaxAgeSeconds, 600);

    const ok = await preflight('/cors-bucket/data.json', 'https://app.example.com', 'PUT', 'Content-Type, X-Amz-Date');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(ok.headers.get('access-control-allow-methods'), 'GET, PUT');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, x-amz-date');
    assert.equal(ok.headers.get('access-control-max-age'), '600');
    assert.equal(ok.headers.get('access-control-expose-headers'), 'ETag');
    // Virtual-hosted preflight, answered by the catch-all rule.
    const hosted = await rawRequest('OPTIONS', '/data.json', {
      host: `cors-bucket.localhost:${new URL(cluster.url).port}`,
      origin: 'https://other.org',
      'access-control-request-method': 'GET',
    });
    assert.equal(hosted.status, 200);
    assert.equal(hosted.headers['access-control-allow-origin'], '*');
    // Refused: a method or header no rule allows, an origin no rule names.
    assert.equal((await preflight('/cors-bucket/data.json', 'https://other.org', 'PUT')).status, 403);
    assert.equal((await preflight('/cors-bucket/data.json', 'https://app.example.com', 'DELETE')).status, 403);
    assert.equal((await preflight('/cors-bucket/data.json', 'https://app.example.com', 'PUT', 'x-custom')).status, 403);
    assert.equal((await preflight('/no-such-bucket/x', 'https://app.example.com', 'GET')).status, 403);

    // A signed request with an Origin gets the matching headers.
    const res = await fetch(await presignedGet('cors-bucket', 'data.json'), { headers: { origin: 'https://app.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('access-control-expose-headers'), 'ETag');

    await s3.send(new DeleteBucketCorsCommand({ Bucket: 'cors-bucket' }));
    assert.equal(await errorCode(s3.send(new GetBucketCorsCommand({ Bucket: 'cors-bucket' }))), 'NoSuchCORSConfiguration');
    assert.equal((await preflight('/cors-bucket/data.json', 'https://app.example.com', 'GET')).status, 403);
  });

  test('errors: MalformedXML, InvalidRequest for an unsupported method, NoSuchBucket', async () => {
    assert.equal(
      await errorCode(s3.send(new PutBucketCorsCommand({ Bucket: 'cors-bucket', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } }))),
      'InvalidRequest',
    );
    assert.equal(await errorCode(s3.send(new PutBucketCorsCommand({ Bucket: 'cors-bucket', CORSConfiguration: { CORSRules: [] } }))), 'MalformedXML');
    assert.equal(
      await errorCode(s3.send(new PutBucketCorsCommand({ Bucket: 'no-such-bucket', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] } }))),
      'NoSuchBucket',
    );
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'cors-bucket', Key: 'absent' }))), 'NoSuchKey');
  });
});

/** A request with exactly these headers (fetch will not send another Host than the URL's). */
function rawRequest(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const url = new URL(cluster.url);
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function presignedGet(bucket: string, key: string): Promise<string> {
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
}
