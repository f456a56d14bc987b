// Conditional requests as S3 answers them: GetObject/HeadObject with S3's precedence of
// If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since (RFC 7232 section 6),
// x-amz-copy-source-if-* on CopyObject and UploadPartCopy, and conditional writes
// (If-None-Match: *, If-Match: <etag>) on PutObject and CompleteMultipartUpload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TestCluster } from '../proxy/harness.js';
import { s3Client } from './client.js';
import { rawRequest, xmlField } from './raw.js';

const BUCKET = 'cond';
let cluster: TestCluster;
let s3: S3Client;
let etag = '';
let past = '';
let future = '';

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  etag = (await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'obj', Body: 'content' }))).ETag!;
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj' }));
  const modified = head.LastModified!.getTime();
  past = new Date(modified - 3600_000).toUTCString();
  future = new Date(modified + 3600_000).toUTCString();
});
after(() => cluster?.stop());

const OTHER = '"0123456789abcdef0123456789abcdef"';

/** A raw GET (or HEAD) of obj with conditional headers: status and error code. */
async function read(headers: Record<string, string>, method = 'GET'): Promise<{ status: number; code?: string; condition?: string; body: string; etag?: string }> {
  const res = await rawRequest(cluster.url, { method, path: `/${BUCKET}/obj`, headers });
  const out: { status: number; code?: string; condition?: string; body: string; etag?: string } = { status: res.status, body: res.body };
  const code = xmlField(res.body, 'Code');
  const condition = xmlField(res.body, 'Condition');
  if (code) out.code = code;
  if (condition) out.condition = condition;
  if (typeof res.headers.etag === 'string') out.etag = res.headers.etag;
  return out;
}

describe('GetObject and HeadObject conditions', () => {
  test('each condition alone', async () => {
    assert.equal((await read({ 'if-match': etag })).status, 200);
    assert.deepEqual(await read({ 'if-match': OTHER }).then((r) => [r.status, r.code, r.condition]), [412, 'PreconditionFailed', 'If-Match']);
    const notModified = await read({ 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, '');
    assert.equal(notModified.etag, etag);
    assert.equal((await read({ 'if-none-match': OTHER })).status, 200);
    assert.equal((await read({ 'if-modified-since': past })).status, 200);
    assert.equal((await read({ 'if-modified-since': future })).status, 304);
    assert.equal((await read({ 'if-unmodified-since': future })).status, 200);
    assert.deepEqual(await read({ 'if-unmodified-since': past }).then((r) => [r.status, r.code, r.condition]), [412, 'PreconditionFailed', 'If-Unmodified-Since']);
    // Several ETags, and *.
    assert.equal((await read({ 'if-match': `${OTHER}, ${etag}` })).status, 200);
    assert.equal((await read({ 'if-match': '*' })).status, 200);
    assert.equal((await read({ 'if-none-match': '*' })).status, 304);
  });

  test("S3's precedence: If-Match true + If-Unmodified-Since false is 200; If-None-Match false + If-Modified-Since true is 304", async () => {
    assert.equal((await read({ 'if-match': etag, 'if-unmodified-since': past })).status, 200);
    assert.equal((await read({ 'if-none-match': etag, 'if-modified-since': past })).status, 304);
    // If-None-Match true decides: If-Modified-Since false is then ignored.
    assert.equal((await read({ 'if-none-match': OTHER, 'if-modified-since': future })).status, 200);
    // A failed 412 kind wins over a failed 304 kind.
    assert.deepEqual(await read({ 'if-match': OTHER, 'if-none-match': etag }).then((r) => [r.status, r.condition]), [412, 'If-Match']);
    assert.deepEqual(await read({ 'if-unmodified-since': past, 'if-modified-since': future }).then((r) => [r.status, r.condition]), [412, 'If-Unmodified-Since']);
    assert.equal((await read({ 'if-match': etag, 'if-none-match': etag })).status, 304);
    assert.equal((await read({ 'if-match': etag, 'if-none-match': OTHER, 'if-unmodified-since': past, 'if-modified-since': future })).status, 200);
  });

  test('HEAD answers the same statuses without a body; the SDK sees them', async () => {
    const failed = await read({ 'if-match': OTHER }, 'HEAD');
    assert.equal(failed.status, 412);
    assert.equal(failed.body, '');
    assert.equal((await read({ 'if-match': etag, 'if-unmodified-since': past }, 'HEAD')).status, 200);
    assert.equal((await read({ 'if-none-match': etag, 'if-modified-since': past }, 'HEAD')).status, 304);
    const sdk = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj', IfMatch: etag, IfUnmodifiedSince: new Date(past) }));
    assert.equal(await sdk.Body?.transformToString(), 'content');
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'obj', IfNoneMatch: etag })), (err: { $metadata: { httpStatusCode: number } }) => err.$metadata.httpStatusCode === 304);
  });

  test("a multipart object's conditions compare its S3 ETag", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    assert.match(done.ETag!, /-1"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp', IfMatch: done.ETag!, IfUnmodifiedSince: new Date(past) }));
    assert.equal(await got.Body?.transformToString(), 'part');
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp', IfMatch: part.ETag! })), { name: 'PreconditionFailed' });
  });
});

describe('copy source conditions', () => {
  const copy = (headers: Partial<{ CopySourceIfMatch: string; CopySourceIfNoneMatch: string; CopySourceIfModifiedSince: Date; CopySourceIfUnmodifiedSince: Date }>) =>
    s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copied', CopySource: `${BUCKET}/obj`, ...headers }));

  test('CopyObject: every failing condition is 412 and nothing is copied; S3 precedence between them', async () => {
    for (const failing of [
      { CopySourceIfMatch: OTHER },
      { CopySourceIfNoneMatch: etag },
      { CopySourceIfModifiedSince: new Date(future) },
      { CopySourceIfUnmodifiedSince: new Date(past) },
      { CopySourceIfNoneMatch: etag, CopySourceIfModifiedSince: new Date(past) },
    ]) {
      await assert.rejects(copy(failing), { name: 'PreconditionFailed' }, JSON.stringify(failing));
    }
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'copied' })), { name: 'NotFound' });
    // if-match true + if-unmodified-since false copies; if-none-match true + if-modified-since false copies.
    await copy({ CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: new Date(past) });
    await copy({ CopySourceIfNoneMatch: OTHER, CopySourceIfModifiedSince: new Date(future) });
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copied' }));
    assert.equal(await got.Body?.transformToString(), 'content');
  });

  test('UploadPartCopy: the same conditions', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'upc' }));
    const partCopy = (extra: Record<string, unknown>) =>
      s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'upc', UploadId, PartNumber: 1, CopySource: `${BUCKET}/obj`, ...extra }));
    await assert.rejects(partCopy({ CopySourceIfMatch: OTHER }), { name: 'PreconditionFailed' });
    await assert.rejects(partCopy({ CopySourceIfNoneMatch: etag }), { name: 'PreconditionFailed' });
    await assert.rejects(partCopy({ CopySourceIfUnmodifiedSince: new Date(past) }), { name: 'PreconditionFailed' });
    const ok = await partCopy({ CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: new Date(past) });
    assert.equal(ok.CopyPartResult?.ETag, etag);
  });
});

describe('conditional writes', () => {
  test('PutObject If-None-Match: * creates once; a second is PreconditionFailed and changes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'second', IfNoneMatch: '*' })), (err: { name: string; $metadata: { httpStatusCode: number } }) => {
      return err.name === 'PreconditionFailed' && err.$metadata.httpStatusCode === 412;
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'once' }));
    assert.equal(await got.Body?.transformToString(), 'first');
    // Only "*" exists for writes.
    const other = await rawRequest(cluster.url, { method: 'PUT', path: `/${BUCKET}/once`, headers: { 'if-none-match': etag }, body: 'x' });
    assert.equal(other.status, 501);
    assert.equal(xmlField(other.body, 'Code'), 'NotImplemented');
  });

  test('PutObject If-Match: the current ETag writes, another is PreconditionFailed, a missing key NoSuchKey', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'v1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'v2', IfMatch: first.ETag! }));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas', Body: 'v3', IfMatch: first.ETag! })), { name: 'PreconditionFailed' });
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cas' }));
    assert.equal(await got.Body?.transformToString(), 'v2');
    assert.equal(got.ETag, second.ETag);
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'never-written', Body: 'x', IfMatch: first.ETag! })), { name: 'NoSuchKey' });
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x', IfMatch: first.ETag! })), { name: 'NoSuchBucket' });
  });

  test('concurrent If-Match writers of one key through one proxy: exactly one wins, the rest are PreconditionFailed', async () => {
    const base = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race', Body: 'base' }));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race', Body: `writer ${i}`, IfMatch: base.ETag! }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { name: string }).name, 'PreconditionFailed');
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'race' }));
    assert.equal(got.ETag, (won[0] as PromiseFulfilledResult<{ ETag?: string }>).value.ETag);
    await got.Body?.transformToString();
  });

  test('CompleteMultipartUpload: If-None-Match: * and If-Match; a refused completion leaves the upload completable', async () => {
    const upload = async (key: string) => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
      const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: `parts of ${key}` }));
      return { UploadId: UploadId!, parts: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } };
    };
    const a = await upload('obj');
    await assert.rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'obj', UploadId: a.UploadId, MultipartUpload: a.parts, IfNoneMatch: '*' })),
      { name: 'PreconditionFailed' },
    );
    await assert.rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'obj', UploadId: a.UploadId, MultipartUpload: a.parts, IfMatch: OTHER })),
      { name: 'PreconditionFailed' },
    );
    const unchanged = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj' }));
    assert.equal(await unchanged.Body?.transformToString(), 'content');
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'obj', UploadId: a.UploadId, MultipartUpload: a.parts, IfMatch: etag }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj' }));
    assert.equal(await got.Body?.transformToString(), 'parts of obj');
    assert.equal(got.ETag, done.ETag);
    const b = await upload('fresh-mp');
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'fresh-mp', UploadId: b.UploadId, MultipartUpload: b.parts, IfNoneMatch: '*' }));
  });
});
