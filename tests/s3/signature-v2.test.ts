// Signature Version 2: AWS's published examples for the string to sign and the signature,
// then a real cluster answering V2-signed requests (Authorization header and query-string
// URLs) and refusing bad signatures, unknown keys, skewed clocks and expired URLs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { signV2, stringToSignV2 } from '../../proxy/s3/signature-v2.js';
import { Session, TestCluster } from '../proxy/harness.js';
import { s3Client } from './client.js';

const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('V2 string to sign (AWS examples)', () => {
  test('object GET, virtual-hosted', () => {
    const toSign = stringToSignV2(
      { method: 'GET', rawPath: '/photos/puppy.jpg', virtualBucket: 'johnsmith', query: [], headers: { date: 'Tue, 27 Mar 2007 19:36:42 +0000' } },
      { kind: 'header' },
    );
    assert.equal(toSign, 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
    assert.equal(signV2(EXAMPLE_SECRET, toSign), 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  });

  test('object PUT with a content type', () => {
    const toSign = stringToSignV2(
      {
        method: 'PUT',
        rawPath: '/photos/puppy.jpg',
        virtualBucket: 'johnsmith',
        query: [],
        headers: { 'content-type': 'image/jpeg', 'content-length': '94328', date: 'Tue, 27 Mar 2007 21:15:45 +0000' },
      },
      { kind: 'header' },
    );
    assert.equal(toSign, 'PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg');
    assert.equal(signV2(EXAMPLE_SECRET, toSign), 'MyyxeRY7whkBe+bq8fHCL/2kKUg=');
  });

  test('x-amz-* headers are signed in order, x-amz-date replaces Date, sub-resources are part of the resource', () => {
    const toSign = stringToSignV2(
      {
        method: 'PUT',
        rawPath: '/bucket/key',
        query: [['uploadId', 'abc'], ['partNumber', '2'], ['foo', 'bar']],
        headers: { date: 'ignored', 'x-amz-date': 'Tue, 27 Mar 2007 21:20:26 +0000', 'x-amz-meta-b': ' two ', 'x-amz-meta-a': 'one', 'content-md5': 'md5' },
      },
      { kind: 'header' },
    );
    assert.equal(toSign, 'PUT\nmd5\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-meta-a:one\nx-amz-meta-b:two\n/bucket/key?partNumber=2&uploadId=abc');
  });
});

let cluster: TestCluster;
let s3: S3Client;
let swift: Session;

/** A V2-signed request with fetch, path-style. */
function v2Fetch(method: string, path: string, options: { body?: string; headers?: Record<string, string>; secret?: string; key?: string; date?: Date } = {}) {
  // fetch would add its own Content-Type to a string body; the signed one must be what is sent.
  const headers: Record<string, string> = {
    date: (options.date ?? new Date()).toUTCString(),
    ...(options.body !== undefined ? { 'content-type': 'application/octet-stream' } : {}),
    ...(options.headers ?? {}),
  };
  const toSign = stringToSignV2({ method, rawPath: path, query: [], headers }, { kind: 'header' });
  headers.authorization = `AWS ${options.key ?? 'test:tester'}:${signV2(options.secret ?? 'testing', toSign)}`;
  return fetch(new URL(path, cluster.url), { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
}

/** A V2 query-string URL (what boto 2's generate_url made). */
function v2Url(method: string, path: string, expires: number): string {
  const toSign = stringToSignV2({ method, rawPath: path, query: [], headers: {} }, { kind: 'query', expires });
  const params = new URLSearchParams({ AWSAccessKeyId: 'test:tester', Expires: String(expires), Signature: signV2('testing', toSign) });
  return new URL(`${path}?${params}`, cluster.url).toString();
}

const codeOf = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

describe('V2 against a cluster', () => {
  before(async () => {
    cluster = await TestCluster.start();
    s3 = s3Client(cluster);
    swift = await Session.login(cluster);
    await s3.send(new CreateBucketCommand({ Bucket: 'legacy' }));
  });
  after(() => cluster?.stop());

  test('PUT, GET, list and DELETE signed in the Authorization header', async () => {
    const put = await v2Fetch('PUT', '/legacy/old%20client.txt', { body: 'signed with v2', headers: { 'content-type': 'text/plain', 'x-amz-meta-era': '2006' } });
    assert.equal(put.status, 200, await put.clone().text());
    const viaSwift = await swift.request('GET', '/legacy/old%20client.txt');
    assert.equal(viaSwift.text, 'signed with v2');
    assert.equal(viaSwift.headers.get('x-object-meta-era'), '2006');
    const got = await v2Fetch('GET', '/legacy/old%20client.txt');
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'signed with v2');
    const listed = await v2Fetch('GET', '/legacy');
    assert.match(await listed.text(), /<Key>old client.txt<\/Key>/);
    const del = await v2Fetch('DELETE', '/legacy/old%20client.txt');
    assert.equal(del.status, 204);
  });

  test('query-string URLs work until they expire', async () => {
    await v2Fetch('PUT', '/legacy/shared', { body: 'for a link' });
    const now = Math.floor(Date.now() / 1000);
    const ok = await fetch(v2Url('GET', '/legacy/shared', now + 60));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'for a link');
    const expired = await fetch(v2Url('GET', '/legacy/shared', now - 60));
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /Request has expired/);
    const forPut = await fetch(v2Url('PUT', '/legacy/uploaded', now + 60), { method: 'PUT', body: Buffer.from('put by url') });
    assert.equal(forPut.status, 200);
    const back = await v2Fetch('GET', '/legacy/uploaded');
    assert.equal(await back.text(), 'put by url');
  });

  test('SignatureDoesNotMatch, InvalidAccessKeyId, RequestTimeTooSkewed; nothing stored', async () => {
    const bad = await v2Fetch('PUT', '/legacy/refused', { body: 'x', secret: 'wrong' });
    assert.equal(bad.status, 403);
    assert.equal(await codeOf(bad), 'SignatureDoesNotMatch');
    const unknown = await v2Fetch('GET', '/legacy/shared', { key: 'nobody:none' });
    assert.equal(await codeOf(unknown), 'InvalidAccessKeyId');
    const skewed = await v2Fetch('PUT', '/legacy/refused', { body: 'x', date: new Date(Date.now() - 20 * 60 * 1000) });
    assert.equal(skewed.status, 403);
    assert.equal(await codeOf(skewed), 'RequestTimeTooSkewed');
    assert.equal((await swift.request('HEAD', '/legacy/refused')).status, 404);
  });
});
