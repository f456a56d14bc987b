// S3 versioning against a real cluster with the AWS SDK v3: Get/PutBucketVersioning,
// version ids on every write, reads/deletes/copies by version id, delete markers,
// ListObjectVersions (order, markers, paging, prefixes, encoding), suspended versioning,
// multi-delete with versions, multipart uploads, and what the Swift API sees of it all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type ListObjectVersionsCommandInput,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Session, TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from './client.js';

let cluster: TestCluster;
let s3: S3Client;
let swift: Session;
/** The status and headers of the last HTTP answer the SDK client received (errors included). */
let last: { status: number; headers: Record<string, string> } = { status: 0, headers: {} };

const VERSION_ID = /^\d{10}\.\d{5}$/;

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  s3.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { statusCode: number; headers: Record<string, string> };
      last = { status: response.statusCode, headers: { ...response.headers } };
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'captureRawResponse' },
  );
  swift = await Session.login(cluster);
});

after(() => cluster?.stop());

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

const put = async (bucket: string, key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const get = async (bucket: string, key: string, versionId?: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  return { body: await text(res.Body), versionId: res.VersionId };
};
const enable = (bucket: string, status: 'Enabled' | 'Suspended' = 'Enabled') =>
  s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));

/** Every version and delete marker of the bucket, in S3's order. */
function entries(list: ListObjectVersionsCommandOutput) {
  const all = [
    ...(list.Versions ?? []).map((v) => ({ key: v.Key!, id: v.VersionId!, latest: v.IsLatest!, marker: false, when: v.LastModified!, etag: v.ETag, size: v.Size })),
    ...(list.DeleteMarkers ?? []).map((d) => ({ key: d.Key!, id: d.VersionId!, latest: d.IsLatest!, marker: true, when: d.LastModified!, etag: undefined, size: undefined })),
  ];
  // The SDK splits Version and DeleteMarker apart; S3's order is keys ascending, then newest first.
  return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.when.getTime() - a.when.getTime() || (a.id < b.id ? 1 : -1)));
}

describe('bucket versioning configuration', () => {
  test('a new bucket has none; Enabled and Suspended are kept; bad documents and MFA delete are refused', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg' }));
    const none = await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg' }));
    assert.equal(none.Status, undefined);
    assert.equal(none.MFADelete, undefined);
    await enable('cfg');
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg' }))).Status, 'Enabled');
    await enable('cfg', 'Suspended');
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg' }))).Status, 'Suspended');

    const bogus = s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg', VersioningConfiguration: { Status: 'On' as 'Enabled' } }));
    assert.equal(await errorCode(bogus), 'MalformedXML');
    assert.equal(last.status, 400);
    const mfa = s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg', MFA: 'serial 123456', VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' } }));
    assert.equal(await errorCode(mfa), 'NotImplemented');
    assert.equal(last.status, 501);
    // Refused requests changed nothing.
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg' }))).Status, 'Suspended');

    assert.equal(await errorCode(s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket' }))), 'NoSuchBucket');
    assert.equal(await errorCode(enable('no-such-bucket')), 'NoSuchBucket');
  });
});

describe('versions', () => {
  let v1: string;
  let v2: string;
  let nullEtag: string;

  test('an object written before versioning is the null version; each PUT after gets a new version id', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'ver' }));
    const before = await put('ver', 'doc', 'before versioning');
    assert.equal(before.VersionId, undefined);
    nullEtag = before.ETag!;
    await enable('ver');
    const first = await put('ver', 'doc', 'version one');
    const second = await put('ver', 'doc', 'version two');
    assert.match(first.VersionId!, VERSION_ID);
    assert.match(second.VersionId!, VERSION_ID);
    assert.notEqual(first.VersionId, second.VersionId);
    v1 = first.VersionId!;
    v2 = second.VersionId!;
    assert.deepEqual(await get('ver', 'doc'), { body: 'version two', versionId: v2 });
    assert.deepEqual(await get('ver', 'doc', v1), { body: 'version one', versionId: v1 });
    assert.deepEqual(await get('ver', 'doc', 'null'), { body: 'before versioning', versionId: 'null' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v1 }));
    assert.equal(head.VersionId, v1);
    assert.equal(head.ContentLength, 'version one'.length);
  });

  test('the Swift API sees the latest version as the object; listings show only current objects and buckets', async () => {
    const viaSwift = await swift.request('GET', '/ver/doc');
    assert.equal(viaSwift.status, 200);
    assert.equal(viaSwift.text, 'version two');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'ver' }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['doc']);
    const buckets = await s3.send(new ListBucketsCommand({}));
    const names = buckets.Buckets?.map((b) => b.Name) ?? [];
    assert.ok(names.includes('ver'));
    assert.ok(!names.some((n) => n?.includes('+')), `hidden containers listed: ${names.join(', ')}`);
  });

  test('ListObjectVersions: newest first, IsLatest, the null version, ETag and Size', async () => {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    assert.equal(list.Name, 'ver');
    assert.equal(list.IsTruncated, false);
    assert.equal(list.DeleteMarkers, undefined);
    assert.deepEqual(
      list.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size, v.StorageClass]),
      [
        ['doc', v2, true, 'version two'.length, 'STANDARD'],
        ['doc', v1, false, 'version one'.length, 'STANDARD'],
        ['doc', 'null', false, 'before versioning'.length, 'STANDARD'],
      ],
    );
    assert.equal(list.Versions![2]!.ETag, nullEtag);
    assert.equal(list.Versions![0]!.Owner?.ID, 'test:tester');
    assert.ok(list.Versions![0]!.LastModified! >= list.Versions![1]!.LastModified!);
  });

  test('bad and unknown version ids', async () => {
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: 'not-a-version' }))), 'InvalidArgument');
    assert.equal(last.status, 400);
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: '1000000000.00000' }))), 'NoSuchVersion');
    assert.equal(last.status, 404);
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'missing', VersionId: v1 }))), 'NoSuchVersion');
    assert.equal(await errorCode(s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: 'bogus' }))), 'InvalidArgument');
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'doc', VersionId: v1 }))), 'NoSuchBucket');
    const markerOnly = s3.send(new ListObjectVersionsCommand({ Bucket: 'ver', VersionIdMarker: v1 }));
    assert.equal(await errorCode(markerOnly), 'InvalidArgument');
    const badMarker = s3.send(new ListObjectVersionsCommand({ Bucket: 'ver', KeyMarker: 'doc', VersionIdMarker: 'zzz' }));
    assert.equal(await errorCode(badMarker), 'InvalidArgument');
    assert.equal(await errorCode(s3.send(new ListObjectVersionsCommand({ Bucket: 'no-such-bucket' }))), 'NoSuchBucket');
  });

  test('a delete marker: GET is 404 NoSuchKey with x-amz-delete-marker, GET of its id 405; deleting it restores the object', async () => {
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    assert.equal(deleted.DeleteMarker, true);
    assert.match(deleted.VersionId!, VERSION_ID);
    const markerId = deleted.VersionId!;

    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' }))), 'NoSuchKey');
    assert.equal(last.status, 404);
    assert.equal(last.headers['x-amz-delete-marker'], 'true');
    assert.equal(last.headers['x-amz-version-id'], markerId);
    assert.equal(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'ver', Key: 'doc' }))), 'NotFound');
    assert.equal(last.headers['x-amz-delete-marker'], 'true');

    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: markerId }))), 'MethodNotAllowed');
    assert.equal(last.status, 405);
    assert.equal(last.headers['x-amz-delete-marker'], 'true');
    assert.equal(last.headers['x-amz-version-id'], markerId);
    assert.ok(last.headers['last-modified']);

    // Swift sees no object; the versions are still there.
    assert.equal((await swift.request('GET', '/ver/doc')).status, 404);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: 'ver' }))).Contents, undefined);
    const list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' })));
    assert.deepEqual(
      list.map((e) => [e.id, e.latest, e.marker]),
      [
        [markerId, true, true],
        [v2, false, false],
        [v1, false, false],
        ['null', false, false],
      ],
    );
    // An old version is still readable by id.
    assert.equal((await get('ver', 'doc', v1)).body, 'version one');

    const undone = await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: markerId }));
    assert.equal(undone.DeleteMarker, true);
    assert.equal(undone.VersionId, markerId);
    assert.deepEqual(await get('ver', 'doc'), { body: 'version two', versionId: v2 });
    assert.equal((await swift.request('GET', '/ver/doc')).text, 'version two');
  });

  test('deleting the latest version by id makes the previous one the latest; other versions go alone', async () => {
    const res = await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2 }));
    assert.equal(res.VersionId, v2);
    assert.equal(res.DeleteMarker, undefined);
    assert.deepEqual(await get('ver', 'doc'), { body: 'version one', versionId: v1 });
    assert.equal((await swift.request('GET', '/ver/doc')).text, 'version one');
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2 }))), 'NoSuchVersion');

    await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: 'null' }));
    const list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' })));
    assert.deepEqual(list.map((e) => [e.id, e.latest]), [[v1, true]]);
    // Deleting a version that is not there is no error.
    const again = await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2 }));
    assert.equal(again.VersionId, v2);
    assert.equal((await get('ver', 'doc')).body, 'version one');
  });

  test('DeleteBucket refuses a bucket that still holds versions or delete markers', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc' })); // a marker over v1
    assert.equal(await errorCode(s3.send(new DeleteBucketCommand({ Bucket: 'ver' }))), 'BucketNotEmpty');
    assert.equal(last.status, 409);
    const list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' })));
    for (const e of list) await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: e.key, VersionId: e.id }));
    assert.deepEqual(entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' }))), []);
    await s3.send(new DeleteBucketCommand({ Bucket: 'ver' }));
    assert.equal(await errorCode(s3.send(new GetBucketVersioningCommand({ Bucket: 'ver' }))), 'NoSuchBucket');
    // The hidden container went with it.
    assert.equal((await swift.request('HEAD', '/ver+versions')).status, 404);
  });
});

describe('ListObjectVersions paging', () => {
  const expected: Array<[string, string, boolean, boolean]> = [];

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'pages' }));
    await enable('pages');
    // Keys chosen so that container order and key order could differ: "a", "a-b", "a/c".
    for (const key of ['a', 'a-b', 'a/c', 'b/x', 'b/y', 'c d+e']) {
      const ids: string[] = [];
      for (let i = 0; i < (key === 'a' ? 3 : 2); i++) ids.push((await put('pages', key, `${key} #${i}`)).VersionId!);
      let markerId: string | undefined;
      if (key === 'a-b') markerId = (await s3.send(new DeleteObjectCommand({ Bucket: 'pages', Key: key }))).VersionId!;
      if (markerId) expected.push([key, markerId, true, true]);
      ids.reverse().forEach((id, i) => expected.push([key, id, i === 0 && !markerId, false]));
    }
  });

  test('the whole listing is in S3 order', async () => {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages' }));
    assert.deepEqual(entries(list).map((e) => [e.key, e.id, e.latest, e.marker]), expected);
  });

  test('max-keys 1..4 pages through exactly the same entries with NextKeyMarker / NextVersionIdMarker', async () => {
    for (const pageSize of [1, 2, 4]) {
      const seen: Array<[string, string, boolean, boolean]> = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      for (let page = 0; page < 100; page++) {
        const list = await s3.send(
          new ListObjectVersionsCommand({ Bucket: 'pages', MaxKeys: pageSize, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(versionMarker ? { VersionIdMarker: versionMarker } : {}) }),
        );
        const got = entries(list);
        assert.ok(got.length <= pageSize);
        seen.push(...got.map((e): [string, string, boolean, boolean] => [e.key, e.id, e.latest, e.marker]));
        if (!list.IsTruncated) break;
        const lastEntry = seen[seen.length - 1]!;
        assert.equal(list.NextKeyMarker, lastEntry[0]);
        assert.equal(list.NextVersionIdMarker, lastEntry[1]);
        keyMarker = list.NextKeyMarker;
        versionMarker = list.NextVersionIdMarker;
      }
      assert.deepEqual(seen, expected, `max-keys ${pageSize}`);
    }
  });

  test('key-marker alone resumes after every version of that key', async () => {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', KeyMarker: 'a-b' }));
    assert.deepEqual(
      entries(list).map((e) => [e.key, e.id]),
      expected.filter((e) => e[0] > 'a-b').map((e) => [e[0], e[1]]),
    );
    assert.equal(list.KeyMarker, 'a-b');
  });

  test('prefix and delimiter: CommonPrefixes count as one entry each', async () => {
    const top = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', Delimiter: '/' }));
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/']);
    assert.deepEqual([...new Set(entries(top).map((e) => e.key))], ['a', 'a-b', 'c d+e']);
    const underB = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', Prefix: 'b/' }));
    assert.deepEqual(entries(underB).map((e) => e.key), ['b/x', 'b/x', 'b/y', 'b/y']);
    assert.equal(underB.Prefix, 'b/');
    // "a" (3 versions) and "a-b" (3) sort before "a/c": the 7th entry is the prefix "a/".
    const limited = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', Delimiter: '/', MaxKeys: 7 }));
    assert.equal(limited.IsTruncated, true);
    assert.deepEqual(limited.CommonPrefixes?.map((p) => p.Prefix), ['a/']);
    assert.equal(entries(limited).length, 6);
    assert.equal(limited.NextKeyMarker, 'a/');
    const rest = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', Delimiter: '/', KeyMarker: limited.NextKeyMarker }));
    assert.deepEqual(rest.CommonPrefixes?.map((p) => p.Prefix), ['b/']);
    assert.deepEqual([...new Set(entries(rest).map((e) => e.key))], ['c d+e']);
  });

  test('encoding-type=url encodes keys; max-keys that is not a number is InvalidArgument', async () => {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'pages', Prefix: 'c', EncodingType: 'url' }));
    assert.equal(list.EncodingType, 'url');
    // The SDK hands url-encoded keys over as they came.
    assert.deepEqual([...new Set(entries(list).map((e) => e.key))], ['c%20d%2Be']);
    const res = await fetch(await presigned({ Bucket: 'pages', Prefix: 'c', EncodingType: 'url' }));
    const xml = await res.text();
    assert.match(xml, /<Key>c%20d%2Be<\/Key>/);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListVersionsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Name>pages<\/Name><Prefix>c<\/Prefix><KeyMarker><\/KeyMarker><VersionIdMarker><\/VersionIdMarker><MaxKeys>1000<\/MaxKeys><EncodingType>url<\/EncodingType><IsTruncated>false<\/IsTruncated><Version><Key>/);
    const bad = await fetch(await presigned({ Bucket: 'pages', MaxKeys: 'ten' as unknown as number }));
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /<Code>InvalidArgument<\/Code>/);
  });

  test('Version and DeleteMarker elements are interleaved in S3 order', async () => {
    const xml = await (await fetch(await presigned({ Bucket: 'pages', Prefix: 'a-' }))).text();
    const order = [...xml.matchAll(/<(Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId><IsLatest>(true|false)<\/IsLatest>/g)].map((m) => [m[1], m[2], m[4]]);
    assert.deepEqual(order, [
      ['DeleteMarker', 'a-b', 'true'],
      ['Version', 'a-b', 'false'],
      ['Version', 'a-b', 'false'],
    ]);
  });
});

/** A presigned ListObjectVersions URL (to read the XML as sent). */
async function presigned(input: Omit<ListObjectVersionsCommandInput, 'Bucket'> & { Bucket: string }): Promise<string> {
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
  return getSignedUrl(s3, new ListObjectVersionsCommand(input), { expiresIn: 300 });
}

describe('suspended versioning', () => {
  test('writes are the null version, which each write replaces; a DELETE makes a null delete marker', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'susp' }));
    await enable('susp');
    const kept = (await put('susp', 'k', 'enabled version')).VersionId!;
    await enable('susp', 'Suspended');
    const first = await put('susp', 'k', 'null one');
    assert.equal(first.VersionId, 'null');
    const second = await put('susp', 'k', 'null two');
    assert.equal(second.VersionId, 'null');
    let list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'susp' })));
    assert.deepEqual(list.map((e) => [e.id, e.latest, e.marker]), [
      ['null', true, false],
      [kept, false, false],
    ]);
    assert.deepEqual(await get('susp', 'k'), { body: 'null two', versionId: 'null' });

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'susp', Key: 'k' }));
    assert.equal(deleted.DeleteMarker, true);
    assert.equal(deleted.VersionId, 'null');
    list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'susp' })));
    assert.deepEqual(list.map((e) => [e.id, e.latest, e.marker]), [
      ['null', true, true],
      [kept, false, false],
    ]);
    // A new null write replaces the null delete marker.
    assert.equal((await put('susp', 'k', 'null three')).VersionId, 'null');
    list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'susp' })));
    assert.deepEqual(list.map((e) => [e.id, e.latest, e.marker]), [
      ['null', true, false],
      [kept, false, false],
    ]);
    // Enabled again: the null version is kept as it is, under "null".
    await enable('susp');
    const newer = (await put('susp', 'k', 'enabled again')).VersionId!;
    list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'susp' })));
    assert.deepEqual(list.map((e) => [e.id, e.latest]), [
      [newer, true],
      ['null', false],
      [kept, false],
    ]);
    assert.equal((await get('susp', 'k', 'null')).body, 'null three');
  });
});

describe('copies, multipart uploads and multi-delete', () => {
  test('CopyObject from a version: x-amz-copy-source-version-id, x-amz-version-id; a delete marker cannot be copied', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
    await enable('copies');
    const old = (await put('copies', 'src', 'old text')).VersionId!;
    const current = (await put('copies', 'src', 'new text')).VersionId!;
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: `copies/src?versionId=${old}` }));
    assert.equal(copied.CopySourceVersionId, old);
    assert.match(copied.VersionId!, VERSION_ID);
    assert.deepEqual(await get('copies', 'dst'), { body: 'old text', versionId: copied.VersionId });
    // Without a version id: the latest, whose id is reported.
    const latest = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'dst2', CopySource: 'copies/src' }));
    assert.equal(latest.CopySourceVersionId, current);
    // Restoring an old version onto its own key is allowed (a new latest version).
    const restored = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'src', CopySource: `copies/src?versionId=${old}` }));
    assert.deepEqual(await get('copies', 'src'), { body: 'old text', versionId: restored.VersionId });
    assert.equal((await get('copies', 'src', current)).body, 'new text');

    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: 'src' }))).VersionId!;
    assert.equal(await errorCode(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: `copies/src?versionId=${marker}` }))), 'InvalidRequest');
    assert.equal(await errorCode(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'copies/src' }))), 'NoSuchKey');
    assert.equal(await errorCode(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'copies/src?versionId=1000000000.00000' }))), 'NoSuchVersion');
    assert.equal(await errorCode(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x', CopySource: 'copies/src?versionId=junk' }))), 'InvalidArgument');

    // Into a bucket without versioning: no version id, none carried over from the source.
    await s3.send(new CreateBucketCommand({ Bucket: 'plain-dst' }));
    const plain = await s3.send(new CopyObjectCommand({ Bucket: 'plain-dst', Key: 'o', CopySource: `copies/src?versionId=${old}` }));
    assert.equal(plain.VersionId, undefined);
    const read = await s3.send(new GetObjectCommand({ Bucket: 'plain-dst', Key: 'o' }));
    assert.equal(read.VersionId, undefined);
    assert.equal(await text(read.Body), 'old text');
  });

  test('CompleteMultipartUpload gets a version id; the replaced multipart object stays readable by id', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    await enable('mpu');
    const upload = async (fill: string) => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'big' }));
      const part1 = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'big', UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, fill) }));
      const part2 = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'big', UploadId, PartNumber: 2, Body: Buffer.from(`${fill} tail`) }));
      return s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'big',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.ETag }] },
        }),
      );
    };
    const first = await upload('x');
    assert.match(first.VersionId!, VERSION_ID);
    const second = await upload('y');
    assert.match(second.VersionId!, VERSION_ID);
    const overwritten = await put('mpu', 'big', 'small now');
    const old = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big', VersionId: first.VersionId }));
    const body = Buffer.from(await (old.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    assert.equal(body.length, 5 * 1024 * 1024 + 'x tail'.length);
    assert.equal(body.subarray(-6).toString(), 'x tail');
    assert.equal(old.ETag, first.ETag);
    const list = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: 'mpu' })));
    assert.deepEqual(list.map((e) => [e.id, e.etag]), [
      [overwritten.VersionId, overwritten.ETag],
      [second.VersionId, second.ETag],
      [first.VersionId, first.ETag],
    ]);
    // Deleting the versions by id frees their parts: nothing is left in +segments.
    for (const e of list) await s3.send(new DeleteObjectCommand({ Bucket: 'mpu', Key: 'big', VersionId: e.id }));
    const segments = await swift.request('GET', '/mpu+segments?format=json');
    assert.deepEqual(segments.status === 204 ? [] : JSON.parse(segments.text), []);
  });

  test('DeleteObjects with and without version ids', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multi' }));
    await enable('multi');
    const a1 = (await put('multi', 'a', 'a1')).VersionId!;
    const a2 = (await put('multi', 'a', 'a2')).VersionId!;
    await put('multi', 'b', 'b1');
    const res = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'multi',
        Delete: { Objects: [{ Key: 'a', VersionId: a1 }, { Key: 'b' }, { Key: 'a', VersionId: 'nonsense' }] },
      }),
    );
    const byKey = new Map(res.Deleted?.map((d) => [`${d.Key}/${d.VersionId ?? ''}`, d]));
    assert.equal(byKey.get(`a/${a1}`)?.DeleteMarker, undefined);
    const b = byKey.get('b/')!;
    assert.equal(b.DeleteMarker, true);
    assert.match(b.DeleteMarkerVersionId!, VERSION_ID);
    assert.deepEqual(res.Errors?.map((e) => [e.Key, e.VersionId, e.Code]), [['a', 'nonsense', 'NoSuchVersion']]);
    assert.deepEqual(await get('multi', 'a'), { body: 'a2', versionId: a2 });
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'multi', Key: 'b' }))), 'NoSuchKey');

    // Removing a delete marker by id says so.
    const undo = await s3.send(new DeleteObjectsCommand({ Bucket: 'multi', Delete: { Objects: [{ Key: 'b', VersionId: b.DeleteMarkerVersionId }] } }));
    assert.equal(undo.Deleted?.[0]?.DeleteMarker, true);
    assert.equal(undo.Deleted?.[0]?.DeleteMarkerVersionId, b.DeleteMarkerVersionId);
    assert.equal((await get('multi', 'b')).body, 'b1');
  });
});
