// Object and bucket tagging with the SDK against a real cluster: tags set on PutObject,
// CopyObject (both tagging directives) and CreateMultipartUpload; Get/Put/DeleteObjectTagging
// and Get/Put/DeleteBucketTagging; every S3 limit with S3's code and message;
// x-amz-tagging-count on GET.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TestCluster } from '../proxy/harness.js';
import { s3Client } from './client.js';

const BUCKET = 'tags';
let cluster: TestCluster;
let s3: S3Client;

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(() => cluster?.stop());

/** The S3 error (code, message, status) of a call that must fail. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; status: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? 0 };
  }
  throw new Error('the call succeeded');
}

const tagSet = async (key: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet?.map((t) => [t.Key, t.Value]);

describe('object tags', () => {
  test('x-amz-tagging on PutObject: kept in order, URL-decoded (spaces, +, unicode), counted on GET not HEAD', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a', Body: 'x', Tagging: 'team=data%20eng&cost-center=%C3%A9t%C3%A9%2B1&empty=' }));
    assert.deepEqual(await tagSet('a'), [['team', 'data eng'], ['cost-center', 'été+1'], ['empty', '']]);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a' }));
    assert.equal(got.TagCount, 3);
    await got.Body?.transformToString();
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a' }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    // An object without tags: an empty TagSet and no count.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain', Body: 'x' }));
    assert.deepEqual(await tagSet('plain'), []);
    const plain = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain' }));
    assert.equal(plain.TagCount, undefined);
    await plain.Body?.transformToString();
    // Overwriting without tags drops them, as S3 does.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a', Body: 'y' }));
    assert.deepEqual(await tagSet('a'), []);
  });

  test('PutObjectTagging replaces the set and keeps the object, its metadata and content headers; DeleteObjectTagging empties it', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b', Body: 'body', ContentType: 'text/plain', CacheControl: 'max-age=60', Metadata: { color: 'blue' }, Tagging: 'k=v' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'b', Tagging: { TagSet: [{ Key: 'x', Value: '1' }, { Key: 'y', Value: '2' }] } }));
    assert.deepEqual(await tagSet('b'), [['x', '1'], ['y', '2']]);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'b' }));
    assert.equal(await got.Body?.transformToString(), 'body');
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.CacheControl, 'max-age=60');
    assert.deepEqual(got.Metadata, { color: 'blue' });
    assert.equal(got.TagCount, 2);
    const deleted = await s3.send(new DeleteObjectTaggingCommand({ Bucket: BUCKET, Key: 'b' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.deepEqual(await tagSet('b'), []);
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'b' }))).Metadata, { color: 'blue' });
  });

  test('CopyObject: tagging directive COPY (default) keeps the source tags, REPLACE takes x-amz-tagging', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'src', Body: 'x', Tagging: 'from=source' }));
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy1', CopySource: `${BUCKET}/src`, Tagging: 'ignored=yes' }));
    assert.deepEqual(await tagSet('copy1'), [['from', 'source']]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy2', CopySource: `${BUCKET}/src`, TaggingDirective: 'REPLACE', Tagging: 'new=tag' }));
    assert.deepEqual(await tagSet('copy2'), [['new', 'tag']]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy3', CopySource: `${BUCKET}/src`, TaggingDirective: 'REPLACE' }));
    assert.deepEqual(await tagSet('copy3'), []);
    const bad = await failure(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy6', CopySource: `${BUCKET}/src`, TaggingDirective: 'MERGE' as 'COPY' })));
    assert.deepEqual([bad.code, bad.message, bad.status], ['InvalidArgument', 'Unknown tagging directive.', 400]);
  });

  test('CopyObject copies tags changed after the write, with either metadata directive', async () => {
    await s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'src', Tagging: { TagSet: [{ Key: 'later', Value: 'set' }] } }));
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy4', CopySource: `${BUCKET}/src` }));
    assert.deepEqual(await tagSet('copy4'), [['later', 'set']]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy5', CopySource: `${BUCKET}/src`, MetadataDirective: 'REPLACE' }));
    assert.deepEqual(await tagSet('copy5'), [['later', 'set']]);
  });

  test('CreateMultipartUpload with x-amz-tagging: the completed object has the tags', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', Tagging: 'stage=upload' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp', UploadId, PartNumber: 1, Body: 'only part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    assert.deepEqual(await tagSet('mp'), [['stage', 'upload']]);
  });

  test('PutObjectTagging on a multipart object keeps it whole', async () => {
    await s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'mp', Tagging: { TagSet: [{ Key: 'stage', Value: 'done' }] } }));
    assert.deepEqual(await tagSet('mp'), [['stage', 'done']]);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp' }));
    assert.equal(await got.Body?.transformToString(), 'only part');
    assert.equal(got.TagCount, 1);
  });

  test("S3's limits: count (BadRequest), key and value length, characters, aws: prefix, duplicates (InvalidTag); nothing changes", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lim', Body: 'x', Tagging: 'keep=me' }));
    const put = (tags: Array<[string, string]>) =>
      failure(s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'lim', Tagging: { TagSet: tags.map(([Key, Value]) => ({ Key, Value })) } })));
    const eleven = Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'] as [string, string]);
    assert.deepEqual(Object.values(await put(eleven)), ['BadRequest', 'Object tags cannot be greater than 10', 400]);
    assert.deepEqual(Object.values(await put([['k'.repeat(129), 'v']])), ['InvalidTag', 'The TagKey you have provided is too long, max 128', 400]);
    assert.deepEqual(Object.values(await put([['k', 'v'.repeat(257)]])), ['InvalidTag', 'The TagValue you have provided is too long, max 256', 400]);
    assert.deepEqual(Object.values(await put([['bad*key', 'v']])), ['InvalidTag', 'The TagKey you have provided is invalid', 400]);
    assert.deepEqual(Object.values(await put([['k', 'bad#value']])), ['InvalidTag', 'The TagValue you have provided is invalid', 400]);
    assert.deepEqual(Object.values(await put([['aws:system', 'v']])), ['InvalidTag', 'Your TagKey cannot be prefixed with aws:', 400]);
    assert.deepEqual(Object.values(await put([['k', '1'], ['k', '2']])), ['InvalidTag', 'Cannot provide multiple Tags with the same key', 400]);
    assert.deepEqual(await tagSet('lim'), [['keep', 'me']]);
    // At the limits exactly: 10 tags, 128-character keys (unicode counts characters), 256-character values.
    const ten = Array.from({ length: 10 }, (_, i) => [`${'é'.repeat(127)}${i}`, 'ü'.repeat(256)] as [string, string]);
    const tagging = ten.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lim', Body: 'x', Tagging: tagging }));
    assert.deepEqual(await tagSet('lim'), ten);
    // The header form: eleven tags, duplicates.
    const header = await failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lim2', Body: 'x', Tagging: eleven.map(([k, v]) => `${k}=${v}`).join('&') })));
    assert.deepEqual(Object.values(header), ['BadRequest', 'Object tags cannot be greater than 10', 400]);
    const dup = await failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lim2', Body: 'x', Tagging: 'a=1&a=2' })));
    assert.equal(dup.code, 'InvalidArgument');
    assert.equal(dup.message, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
    assert.equal((await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'lim2' })))).status, 404);
  });

  test('tagging a missing key is NoSuchKey, in a missing bucket NoSuchBucket; an unknown version NoSuchVersion', async () => {
    assert.equal((await failure(s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'nope' })))).code, 'NoSuchKey');
    assert.equal((await failure(s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'nope', Tagging: { TagSet: [] } })))).code, 'NoSuchKey');
    assert.equal((await failure(s3.send(new DeleteObjectTaggingCommand({ Bucket: BUCKET, Key: 'nope' })))).code, 'NoSuchKey');
    assert.equal((await failure(s3.send(new GetObjectTaggingCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).code, 'NoSuchBucket');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'v', Body: 'x', Tagging: 'a=b' }));
    assert.equal((await failure(s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'v', VersionId: '1700000000.00000' })))).code, 'NoSuchVersion');
  });
});

describe('bucket tags', () => {
  test('none: NoSuchTagSet; put (up to 50), get, delete; limits', async () => {
    const none = await failure(s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET })));
    assert.deepEqual(Object.values(none), ['NoSuchTagSet', 'The TagSet does not exist', 404]);
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `key ${i}`, Value: `value+${i}` }));
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: fifty } }));
    assert.equal(put.$metadata.httpStatusCode, 204);
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET }));
    assert.deepEqual(got.TagSet, fifty);
    const tooMany = await failure(s3.send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: [...fifty, { Key: 'one more', Value: '' }] } })));
    assert.deepEqual(Object.values(tooMany), ['BadRequest', 'Bucket tag count cannot be greater than 50', 400]);
    const dup = await failure(s3.send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })));
    assert.equal(dup.code, 'InvalidTag');
    assert.equal((await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET }))).TagSet?.length, 50);
    assert.equal((await s3.send(new DeleteBucketTaggingCommand({ Bucket: BUCKET }))).$metadata.httpStatusCode, 204);
    assert.equal((await failure(s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET })))).code, 'NoSuchTagSet');
    assert.equal((await failure(s3.send(new GetBucketTaggingCommand({ Bucket: 'no-such-bucket' })))).code, 'NoSuchBucket');
  });

  test('a malformed Tagging document is MalformedXML', async () => {
    const { rawRequest, xmlField } = await import('./raw.js');
    for (const body of ['<Tagging><TagSet><Tag><Key>a</Key>', '<NotTagging/>', '<Tagging></Tagging>']) {
      const res = await rawRequest(cluster.url, { method: 'PUT', path: `/${BUCKET}`, query: [['tagging', '']], body });
      assert.equal(res.status, 400, body);
      assert.equal(xmlField(res.body, 'Code'), 'MalformedXML', body);
    }
  });
});
