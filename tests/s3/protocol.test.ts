// Protocol corners real clients hit: Expect: 100-continue on every kind of PUT/POST with a
// body, SigV4 over keys that need URI encoding, response-* overrides, expected bucket
// owner, ListObjects v1/v2 encoding-type=url / fetch-owner / start-after, and
// ListMultipartUploads / ListParts pagination.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { TestCluster } from '../proxy/harness.js';
import { s3Client } from './client.js';
import { rawRequest, xmlField } from './raw.js';

const BUCKET = 'proto';
let cluster: TestCluster;
let s3: S3Client;

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(() => cluster?.stop());

describe('Expect: 100-continue', () => {
  test('every PUT and POST with a body gets 100 Continue then its answer, never 417', async () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('base64');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp' }));
    const deleteBody = '<Delete><Object><Key>nothing</Key></Object></Delete>';
    const tagging = '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>';
    const cases: Array<{ method: string; path: string; query?: Array<[string, string | null]>; body: string; headers?: Record<string, string>; status: number }> = [
      { method: 'PUT', path: `/${BUCKET}/put`, body: 'object body', status: 200 },
      { method: 'PUT', path: `/${BUCKET}/mp`, query: [['partNumber', '1'], ['uploadId', UploadId!]], body: 'part body', status: 200 },
      { method: 'PUT', path: '/expect-bucket', body: '<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>', status: 200 },
      { method: 'PUT', path: `/${BUCKET}`, query: [['tagging', '']], body: tagging, status: 204 },
      { method: 'PUT', path: `/${BUCKET}/put`, query: [['tagging', '']], body: tagging, status: 200 },
      { method: 'POST', path: `/${BUCKET}`, query: [['delete', '']], body: deleteBody, headers: { 'content-md5': md5(deleteBody) }, status: 200 },
    ];
    for (const c of cases) {
      const res = await rawRequest(cluster.url, { ...c, expectContinue: true });
      assert.equal(res.status, c.status, `${c.method} ${c.path}: ${res.body}`);
      assert.ok(res.continued, `${c.method} ${c.path}: no 100 Continue`);
    }
  });

  test('a PUT that fails before its body (no such bucket) gets the final error without 100 Continue', async () => {
    const res = await rawRequest(cluster.url, { method: 'PUT', path: '/no-such-bucket/k', body: 'never sent', expectContinue: true });
    assert.equal(res.status, 404);
    assert.equal(xmlField(res.body, 'Code'), 'NoSuchBucket');
    assert.equal(res.continued, false);
  });
});

describe('keys that need URI encoding', () => {
  const KEYS = [
    'with space',
    'plus+sign',
    'percent%20literal',
    '100%',
    'ünïcödé-ključ',
    '日本語のキー',
    'emoji 😀 four bytes',
    'double//slash',
    '/leading-slash',
    'trailing-slash/',
    'question?mark',
    'hash#and&amp=eq;semi',
    "sub-delims!$'()*,",
    'tilde~under_score.dot-dash',
  ];

  test('PutObject, GetObject, CopyObject and listings, path-style and virtual-hosted, SigV4 over each', async () => {
    const hosted = s3Client(cluster, { virtualHosted: true });
    for (const key of KEYS) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }));
      const got = await hosted.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(await got.Body?.transformToString(), `body of ${key}`, key);
      await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `copy/${key}`, CopySource: `${BUCKET}/${encodeURIComponent(key)}` }));
      const copied = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `copy/${key}` }));
      assert.equal(await copied.Body?.transformToString(), `body of ${key}`, `copy of ${key}`);
      // A presigned GET of the same key.
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 });
      const presigned = await fetch(url);
      assert.equal(presigned.status, 200, key);
      assert.equal(await presigned.text(), `body of ${key}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: '' }));
    const names = new Set(listed.Contents?.map((c) => c.Key));
    for (const key of KEYS) assert.ok(names.has(key), key);
  });
});

describe('response-* overrides', () => {
  test('GetObject and HeadObject answer the overriding content headers', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'x', ContentType: 'text/plain' }));
    const overrides = {
      ResponseContentType: 'application/json',
      ResponseContentDisposition: 'attachment; filename="ü.json"',
      ResponseContentEncoding: 'identity',
      ResponseContentLanguage: 'fr',
      ResponseExpires: new Date('2030-01-01T00:00:00Z'),
      ResponseCacheControl: 'no-store',
    };
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'over', ...overrides }));
    assert.equal(got.ContentType, 'application/json');
    assert.equal(got.ContentDisposition, 'attachment; filename="ü.json"');
    assert.equal(got.ContentEncoding, 'identity');
    assert.equal(got.ContentLanguage, 'fr');
    assert.equal(got.CacheControl, 'no-store');
    assert.equal(got.ExpiresString ?? got.Expires?.toUTCString(), 'Tue, 01 Jan 2030 00:00:00 GMT');
    await got.Body?.transformToString();
  });
});

describe('listing parameters', () => {
  before(async () => {
    for (const key of ['list/a b', 'list/c+d', 'list/dir é/one', 'list/dir é/two', 'list/z']) await s3.send(new PutObjectCommand({ Bucket: 'proto', Key: key, Body: 'x' }));
  });

  test('encoding-type=url encodes Key, Prefix, Delimiter, CommonPrefixes, StartAfter and markers (v1 and v2)', async () => {
    const v2 = await rawRequest(cluster.url, {
      method: 'GET',
      path: `/${BUCKET}`,
      query: [['list-type', '2'], ['prefix', 'list/'], ['delimiter', '/'], ['encoding-type', 'url'], ['start-after', 'list/a b']],
    });
    assert.equal(v2.status, 200, v2.body);
    assert.equal(xmlField(v2.body, 'EncodingType'), 'url');
    assert.equal(xmlField(v2.body, 'StartAfter'), 'list/a%20b');
    assert.match(v2.body, /<Key>list\/c%2Bd<\/Key>/);
    assert.match(v2.body, /<CommonPrefixes><Prefix>list\/dir%20%C3%A9\/<\/Prefix><\/CommonPrefixes>/);
    assert.doesNotMatch(v2.body, /a%20b<\/Key>/);
    const v1 = await rawRequest(cluster.url, {
      method: 'GET',
      path: `/${BUCKET}`,
      query: [['prefix', 'list/'], ['encoding-type', 'url'], ['max-keys', '1'], ['delimiter', '/']],
    });
    assert.equal(xmlField(v1.body, 'Key'), 'list/a%20b');
    assert.equal(xmlField(v1.body, 'NextMarker'), 'list/a%20b');
    assert.equal(xmlField(v1.body, 'IsTruncated'), 'true');
    const bad = await rawRequest(cluster.url, { method: 'GET', path: `/${BUCKET}`, query: [['encoding-type', 'base64']] });
    assert.equal(bad.status, 400);
    assert.equal(xmlField(bad.body, 'Code'), 'InvalidArgument');
  });

  test('fetch-owner (v2 shows Owner only when asked; v1 always), start-after', async () => {
    const without = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/' }));
    assert.equal(without.Contents?.[0]?.Owner, undefined);
    const withOwner = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', FetchOwner: true }));
    assert.equal(withOwner.Contents?.[0]?.Owner?.ID, 'test:tester');
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'list/' }));
    assert.equal(v1.Contents?.[0]?.Owner?.ID, 'test:tester');
    const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', StartAfter: 'list/dir é/one' }));
    assert.deepEqual(after.Contents?.map((c) => c.Key), ['list/dir é/two', 'list/z']);
  });

  test('ListParts pages with max-parts and part-number-marker; ListMultipartUploads with key and upload-id markers', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'paged' }));
    for (let n = 1; n <= 5; n++) await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'paged', UploadId, PartNumber: n, Body: `part ${n}` }));
    const seen: number[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'paged', UploadId, MaxParts: 2, ...(marker ? { PartNumberMarker: marker } : {}) }));
      seen.push(...(res.Parts ?? []).map((p) => p.PartNumber!));
      assert.ok((res.Parts ?? []).length <= 2);
      if (!res.IsTruncated) break;
      marker = res.NextPartNumberMarker;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'many' }))).UploadId!);
    const uploads: string[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, MaxUploads: 1, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(idMarker ? { UploadIdMarker: idMarker } : {}) }));
      assert.ok((res.Uploads ?? []).length <= 1);
      uploads.push(...(res.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`));
      if (!res.IsTruncated) break;
      keyMarker = res.NextKeyMarker;
      idMarker = res.NextUploadIdMarker;
    }
    for (const id of ids) assert.ok(uploads.includes(`many:${id}`), id);
    assert.ok(uploads.includes(`paged:${UploadId}`));
    assert.equal(new Set(uploads).size, uploads.length);
  });
});
