// Attacks on the S3 front, each refused, and the legitimate form beside it still working:
// unsigned x-amz-* headers added to presigned and signed requests, signature guessing
// (the shared attempt budgets), listings that would read a whole segments container or
// account, XML bodies with a DOCTYPE, and CORS preflights probing other accounts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  PutBucketCorsCommand,
  DeleteBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { signV2, stringToSignV2 } from '../../proxy/s3/signature-v2.js';
import { UNSIGNED_PAYLOAD, canonicalRequest, parseQueryPairs, sign, signingKey, stringToSign, toAmzDate } from '../../proxy/s3/signature-v4.js';
import { TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from './client.js';

const codeOf = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

/** Adds headers to every request of `client` after the SDK has signed it (as a man in the middle would). */
function addUnsignedHeaders(client: S3Client, headers: Record<string, string>): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      Object.assign(request.headers, headers);
      return next(args);
    },
    { step: 'deserialize', name: 'addUnsignedHeaders' },
  );
}

/** A header-signed request as test:tester (signed with the proxy's own SigV4 functions; no SDK retries). */
function signedFetch(cluster: TestCluster, method: string, path: string, secret: string, body?: string): Promise<Response> {
  const url = new URL(path, cluster.url);
  const amzDate = toAmzDate(Date.now());
  const scope = { accessKey: 'test:tester', date: amzDate.slice(0, 8), region: 'us-east-1', service: 's3' };
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(headers).sort();
  const query = parseQueryPairs(url.search.slice(1));
  const canonical = canonicalRequest({ method, path: url.pathname, query, headers, signedHeaders, payloadHash: UNSIGNED_PAYLOAD });
  const signature = sign(signingKey(secret, scope), stringToSign(amzDate, scope, canonical));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=test:tester/${scope.date}/us-east-1/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>';
const EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>';

describe('with the default limits', () => {
  let cluster: TestCluster;
  let s3: S3Client;
  let s3Other: S3Client;

  before(async () => {
    // Small backend pages, so that listings span several of them.
    cluster = await TestCluster.start({ proxy: { container_listing_limit: 3, account_listing_limit: 3 } });
    s3 = s3Client(cluster);
    s3Other = s3Client(cluster, { user: 'test2:tester2', key: 'testing2' });
    await s3.send(new CreateBucketCommand({ Bucket: 'inbox' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'private' }));
    await s3.send(new PutObjectCommand({ Bucket: 'private', Key: 'secret.txt', Body: 'the secret' }));
  });
  after(async () => cluster.stop());

  describe('unsigned x-amz-* headers', () => {
    test('a presigned PUT cannot be turned into a copy of another object', async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'inbox', Key: 'upload.txt' }), { expiresIn: 60 });
      const attack = await fetch(url, { method: 'PUT', headers: { 'x-amz-copy-source': '/private/secret.txt' } });
      assert.equal(attack.status, 403);
      const text = await attack.text();
      assert.match(text, /<Code>AccessDenied<\/Code>/);
      assert.match(text, /<Message>There were headers present in the request which were not signed<\/Message>/);
      assert.match(text, /<HeadersNotSigned>x-amz-copy-source<\/HeadersNotSigned>/);
      assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'upload.txt' }))), 'NoSuchKey');

      const plain = await fetch(url, { method: 'PUT', body: 'uploaded' });
      assert.equal(plain.status, 200, await plain.text());
      const got = await s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'upload.txt' }));
      assert.equal(await got.Body!.transformToString(), 'uploaded');
    });

    test('unsigned metadata on a presigned PUT is refused, listed in HeadersNotSigned', async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'inbox', Key: 'meta.txt' }), { expiresIn: 60 });
      const res = await fetch(url, { method: 'PUT', body: 'x', headers: { 'x-amz-meta-owner': 'mallory', 'x-amz-metadata-directive': 'REPLACE' } });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<HeadersNotSigned>x-amz-meta-owner, x-amz-metadata-directive<\/HeadersNotSigned>/);
    });

    test('a header-signed request with an extra unsigned x-amz-meta-foo is AccessDenied', async () => {
      const tampered = s3Client(cluster);
      addUnsignedHeaders(tampered, { 'x-amz-meta-foo': 'bar' });
      assert.equal(await errorCode(tampered.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'tampered.txt', Body: 'x' }))), 'AccessDenied');
      assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'tampered.txt' }))), 'NoSuchKey');
      // The SDK's own (signed) metadata goes through.
      await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'signed.txt', Body: 'x', Metadata: { foo: 'bar' } }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'signed.txt' }));
      assert.equal(got.Metadata?.foo, 'bar');
    });

    test('Signature V2 signs every x-amz-* header: one added afterwards breaks the signature', async () => {
      const date = new Date().toUTCString();
      const headers: Record<string, string> = { date, 'content-type': 'text/plain' };
      const toSign = stringToSignV2({ method: 'PUT', rawPath: '/inbox/v2.txt', query: [], headers }, { kind: 'header' });
      headers.authorization = `AWS test:tester:${signV2('testing', toSign)}`;
      const attack = await fetch(`${cluster.url}/inbox/v2.txt`, { method: 'PUT', body: 'v2', headers: { ...headers, 'x-amz-copy-source': '/private/secret.txt' } });
      assert.equal(attack.status, 403);
      assert.equal(await codeOf(attack), 'SignatureDoesNotMatch');
      const expires = Math.floor(Date.now() / 1000) + 60;
      const queryToSign = stringToSignV2({ method: 'PUT', rawPath: '/inbox/v2.txt', query: [], headers: {} }, { kind: 'query', expires });
      const params = new URLSearchParams({ AWSAccessKeyId: 'test:tester', Expires: String(expires), Signature: signV2('testing', queryToSign) });
      const url = `${cluster.url}/inbox/v2.txt?${params}`;
      const body = new TextEncoder().encode('v2'); // no Content-Type, which V2 would sign
      const queryAttack = await fetch(url, { method: 'PUT', body, headers: { 'x-amz-copy-source': '/private/secret.txt' } });
      assert.equal(await codeOf(queryAttack), 'SignatureDoesNotMatch');
      assert.equal((await fetch(url, { method: 'PUT', body })).status, 200);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'v2.txt' }));
      assert.equal(await got.Body!.transformToString(), 'v2');
    });
  });

  describe('listings read the backend page by page', () => {
    test('ListMultipartUploads: max-uploads pages in key order across backend pages', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
      // "a-b/…" is listed before "a/…" by the backend, yet "a" sorts first in S3.
      const keys = ['a-b', 'a', 'b', 'c', 'a-b', 'd', 'e'];
      const created: Array<[string, string]> = [];
      for (const key of keys) {
        const res = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: key }));
        created.push([key, res.UploadId!]);
      }
      const expected = created
        .sort(([ka, ua], [kb, ub]) => (ka < kb ? -1 : ka > kb ? 1 : ua < ub ? -1 : 1))
        .map(([k, u]) => `${k} ${u}`);
      const seen: string[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads', MaxUploads: 2, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
        const got = (res.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
        assert.ok(got.length <= 2);
        seen.push(...got);
        if (!res.IsTruncated) break;
        assert.equal(`${res.NextKeyMarker} ${res.NextUploadIdMarker}`, got[got.length - 1]);
        keyMarker = res.NextKeyMarker;
        uploadIdMarker = res.NextUploadIdMarker;
      }
      assert.deepEqual(seen, expected);
      const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }));
      assert.equal(all.IsTruncated, false);
      assert.deepEqual((all.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`), expected);
    });

    test('ListBuckets: max-buckets and continuation-token page through the account', async () => {
      for (const name of ['lb-1', 'lb-2', 'lb-3', 'lb-4', 'lb-5']) await s3Other.send(new CreateBucketCommand({ Bucket: name }));
      const names: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await s3Other.send(new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: token }));
        const got = (res.Buckets ?? []).map((b) => b.Name!);
        assert.ok(got.length <= 2);
        names.push(...got);
        token = res.ContinuationToken;
        if (!token) break;
      }
      assert.deepEqual(names, ['lb-1', 'lb-2', 'lb-3', 'lb-4', 'lb-5']);
      const all = await s3Other.send(new ListBucketsCommand({}));
      assert.deepEqual(all.Buckets?.map((b) => b.Name), names);
      assert.equal(all.ContinuationToken, undefined);
      const prefixed = await s3Other.send(new ListBucketsCommand({ Prefix: 'lb-4' }));
      assert.deepEqual(prefixed.Buckets?.map((b) => b.Name), ['lb-4']);
      assert.equal(await errorCode(s3Other.send(new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: 'not a token!' }))), 'InvalidArgument');
    });
  });

  describe('XML bodies with a DOCTYPE', () => {
    const signedPost = (path: string, body: string) => signedFetch(cluster, 'POST', path, 'testing', body);

    test('multi-delete and CompleteMultipartUpload answer 400 MalformedXML, and the objects stay', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'keep.txt', Body: 'kept' }));
      for (const doctype of [BILLION_LAUGHS, EXTERNAL_ENTITY]) {
        const entity = doctype === BILLION_LAUGHS ? '&lol2;' : '&x;';
        const del = await signedPost('/inbox?delete', `${doctype}<Delete><Object><Key>keep.txt</Key></Object><Object><Key>${entity}</Key></Object></Delete>`);
        assert.equal(del.status, 400);
        assert.equal(await codeOf(del), 'MalformedXML');
        const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'inbox', Key: 'mp.bin' }));
        const complete = await signedPost(
          `/inbox/mp.bin?uploadId=${upload.UploadId}`,
          `${doctype}<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${entity}</ETag></Part></CompleteMultipartUpload>`,
        );
        assert.equal(complete.status, 400);
        assert.equal(await codeOf(complete), 'MalformedXML');
      }
      const kept = await s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'keep.txt' }));
      assert.equal(await kept.Body!.transformToString(), 'kept');
      // The same document without a DOCTYPE is fine.
      const ok = await signedPost('/inbox?delete', '<Delete><Object><Key>keep.txt</Key></Object></Delete>');
      assert.equal(ok.status, 200);
      assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'inbox', Key: 'keep.txt' }))), 'NoSuchKey');
    });
  });

  describe('CORS preflights', () => {
    const preflight = (bucket: string, origin = 'https://app.example.com') =>
      fetch(`${cluster.url}/${bucket}/file.txt`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    const rules = (origin: string) => ({ CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET'], MaxAgeSeconds: 60 }] });

    test("a preflight answers from the bucket's claiming account only, and says nothing of buckets without rules", async () => {
      // Both accounts have a "site" bucket; test2's gets rules first and so owns the name for preflights.
      await s3.send(new CreateBucketCommand({ Bucket: 'site' }));
      await s3Other.send(new CreateBucketCommand({ Bucket: 'site' }));
      await s3Other.send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: rules('https://other.example.com') }));
      assert.equal(await errorCode(s3.send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: rules('https://app.example.com') }))), 'BucketAlreadyExists');

      const allowed = await preflight('site', 'https://other.example.com');
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://other.example.com');
      assert.equal(allowed.headers.get('access-control-max-age'), '60');
      const refused = await preflight('site', 'https://app.example.com');
      assert.equal(refused.status, 403);
      assert.equal(await codeOf(refused), 'AccessForbidden');

      // "private" exists (in test's account) without rules: the same answer as a bucket that does not exist.
      const existing = await preflight('private');
      const missing = await preflight('no-such-bucket-anywhere');
      assert.equal(existing.status, 403);
      assert.equal(missing.status, 403);
      const withoutId = (text: string) => text.replace(/<RequestId>[^<]*<\/RequestId>/, '');
      assert.equal(withoutId(await existing.text()), withoutId(await missing.text()));
    });

    test('when the owner drops its rules, the name is free for the other account', async () => {
      await s3Other.send(new DeleteBucketCorsCommand({ Bucket: 'site' }));
      assert.equal((await preflight('site', 'https://other.example.com')).status, 403);
      await s3.send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: rules('https://app.example.com') }));
      const res = await preflight('site', 'https://app.example.com');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET');
    });
  });
});

describe('signature guessing', () => {
  const LIMIT = 3;
  let cluster: TestCluster;

  before(async () => {
    // Per-user budget small; per-source large (every test request comes from 127.0.0.1).
    cluster = await TestCluster.start({
      proxy: { max_failed_auth_per_user: LIMIT, max_failed_auth_per_source: 1000, failed_auth_window_s: 2, max_concurrent_auth_checks: 100 },
    });
  });
  after(async () => cluster.stop());

  async function listBucketsAs(secret: string): Promise<{ status: number; code: string | undefined; retryAfter: string | null }> {
    const res = await signedFetch(cluster, 'GET', '/', secret);
    return { status: res.status, code: await codeOf(res), retryAfter: res.headers.get('retry-after') };
  }

  test('40 concurrent bad signatures: only the budget is checked, the rest are throttled, then the right key waits too', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => listBucketsAs('wrong-secret')));
    const mismatches = answers.filter((a) => a.code === 'SignatureDoesNotMatch');
    const throttled = answers.filter((a) => a.code === 'SlowDown');
    assert.equal(mismatches.length, LIMIT);
    assert.equal(throttled.length, 40 - LIMIT);
    for (const a of throttled) {
      assert.equal(a.status, 429);
      assert.ok(Number(a.retryAfter) >= 1, `Retry-After ${a.retryAfter}`);
    }

    // The right secret is refused too while the key is locked out; another user is not.
    const locked = await listBucketsAs('testing');
    assert.equal(locked.code, 'SlowDown');
    const other = s3Client(cluster, { user: 'test2:tester2', key: 'testing2' });
    await other.send(new ListBucketsCommand({}));

    // Once the window is over, the right secret works again.
    await new Promise((resolve) => setTimeout(resolve, (Number(locked.retryAfter) + 0.2) * 1000));
    const after = await listBucketsAs('testing');
    assert.equal(after.status, 200, after.code);
  });
});
