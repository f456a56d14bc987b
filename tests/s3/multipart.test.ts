// Multipart uploads through the AWS SDK against a real cluster: a 100 MiB upload by
// lib-storage's Upload, the low-level calls (Create, UploadPart, UploadPartCopy with a
// range, ListParts, ListMultipartUploads, Complete, Abort), GET/HEAD by partNumber, the
// S3 ETag, Swift reading the result, every multipart error, and nothing left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Session, TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from './client.js';
import { newUploadId } from '../../proxy/s3/multipart.js';

const MiB = 1024 * 1024;
let cluster: TestCluster;
let s3: S3Client;
let swift: Session;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest();
const hex = (data: Buffer | string) => md5(data).toString('hex');
const s3Etag = (parts: Buffer[]) => `"${createHash('md5').update(Buffer.concat(parts.map((p) => md5(p)))).digest('hex')}-${parts.length}"`;

/** A deterministic body of `size` bytes, different for every seed. */
function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return buf;
}

/** Names in the bucket's hidden segments container, seen through Swift. */
async function segmentNames(bucket: string): Promise<string[]> {
  const res = await swift.request('GET', `/${bucket}+segments?format=json`);
  if (res.status === 404) return [];
  assert.ok(res.status === 200 || res.status === 204, `segments listing: ${res.status}`);
  return res.status === 204 ? [] : (JSON.parse(res.text) as Array<{ name: string }>).map((r) => r.name);
}

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  swift = await Session.login(cluster);
  await s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
});

after(() => cluster?.stop());

describe('multipart uploads', () => {
  test('a 100 MiB upload with lib-storage Upload reads back whole, through S3 and Swift', async () => {
    const size = 100 * MiB;
    const partSize = 8 * MiB;
    const whole = createHash('md5');
    const partMd5s: Buffer[] = [];
    // Streamed from a generator: the test never holds 100 MiB at once either.
    async function* body() {
      for (let off = 0, i = 0; off < size; off += partSize, i++) {
        const chunk = pattern(Math.min(partSize, size - off), i);
        whole.update(chunk);
        partMd5s.push(md5(chunk));
        yield chunk;
      }
    }
    const upload = new Upload({
      client: s3,
      params: { Bucket: 'mpu', Key: 'big/object.bin', Body: Readable.from(body()), ContentType: 'application/x-big', Metadata: { origin: 'lib-storage' } },
      partSize,
      queueSize: 2,
    });
    const done = await upload.done();
    const expectedEtag = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${partMd5s.length}"`;
    assert.equal(done.ETag, expectedEtag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin' }));
    assert.equal(head.ContentLength, size);
    assert.equal(head.ETag, expectedEtag);
    assert.equal(head.ContentType, 'application/x-big');
    assert.equal(head.Metadata?.origin, 'lib-storage');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin' }));
    const readBack = createHash('md5');
    let length = 0;
    for await (const chunk of got.Body as Readable) {
      readBack.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    assert.equal(length, size);
    assert.equal(readBack.digest('hex'), whole.digest('hex'));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'mpu', Prefix: 'big/' }));
    assert.equal(listed.Contents?.[0]?.ETag, expectedEtag);
    assert.equal(listed.Contents?.[0]?.Size, size);
    // Swift sees a static large object of the same size; the parts are in mpu+segments.
    const viaSwift = await swift.request('HEAD', '/mpu/big/object.bin');
    assert.equal(viaSwift.headers.get('content-length'), String(size));
    assert.equal(viaSwift.headers.get('x-static-large-object'), 'True');
    assert.equal((await segmentNames('mpu')).length, partMd5s.length);
    // The second part alone, by partNumber.
    const second = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin', PartNumber: 2 }));
    assert.equal(second.PartsCount, partMd5s.length);
    assert.equal(second.ContentRange, `bytes ${partSize}-${2 * partSize - 1}/${size}`);
    const secondBytes = Buffer.from(await second.Body!.transformToByteArray());
    assert.equal(hex(secondBytes), partMd5s[1]!.toString('hex'));
    const headPastEnd = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin', PartNumber: 99 })).catch((e: { $metadata?: { httpStatusCode?: number } }) => e);
    assert.equal((headPastEnd as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 416);
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin', PartNumber: 99 }))), 'InvalidPartNumber');
    // Deleting it removes its parts too.
    await s3.send(new DeleteObjectCommand({ Bucket: 'mpu', Key: 'big/object.bin' }));
    assert.deepEqual(await segmentNames('mpu'), []);
  });

  test('low-level calls: parts out of upload order, ListParts, UploadPartCopy with a range, Complete', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'source', Body: pattern(6 * MiB, 7) }));
    const source = pattern(6 * MiB, 7);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'assembled', ContentType: 'text/x-parts', Metadata: { kind: 'assembled' } }));
    const uploadId = created.UploadId!;
    assert.match(uploadId, /^[A-Za-z0-9_-]{24}$/);
    const part1 = pattern(5 * MiB, 1);
    const part3 = Buffer.from('the last part is small');
    const up3 = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId, PartNumber: 3, Body: part3 }));
    const up1 = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId, PartNumber: 1, Body: part1 }));
    assert.equal(up1.ETag, `"${hex(part1)}"`);
    // Part 2: bytes 1 MiB … 6 MiB-1 of another object.
    const copied = await s3.send(
      new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId, PartNumber: 2, CopySource: 'mpu/source', CopySourceRange: `bytes=${MiB}-${6 * MiB - 1}` }),
    );
    const part2 = source.subarray(MiB);
    assert.equal(copied.CopyPartResult?.ETag, `"${hex(part2)}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [
      [1, part1.length, `"${hex(part1)}"`],
      [2, part2.length, `"${hex(part2)}"`],
      [3, part3.length, `"${hex(part3)}"`],
    ]);
    const page = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId, MaxParts: 2 }));
    assert.equal(page.IsTruncated, true);
    assert.equal(page.NextPartNumberMarker, '2');
    const rest = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId, PartNumberMarker: '2' }));
    assert.deepEqual(rest.Parts?.map((p) => p.PartNumber), [3]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [['assembled', uploadId]]);
    assert.ok(uploads.Uploads?.[0]?.Initiated instanceof Date);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'assembled',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up1.ETag! }, { PartNumber: 2, ETag: copied.CopyPartResult!.ETag! }, { PartNumber: 3, ETag: up3.ETag! }] },
      }),
    );
    assert.equal(done.ETag, s3Etag([part1, part2, part3]));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'assembled' }));
    assert.equal(got.ContentType, 'text/x-parts');
    assert.equal(got.Metadata?.kind, 'assembled');
    assert.equal(got.ETag, done.ETag);
    assert.equal(hex(Buffer.from(await got.Body!.transformToByteArray())), hex(Buffer.concat([part1, part2, part3])));
    // Conditions compare the multipart ETag (awscli sends If-Match on every ranged GET of a download).
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'assembled', Range: 'bytes=1-4', IfMatch: done.ETag! }));
    assert.equal(hex(Buffer.from(await ranged.Body!.transformToByteArray())), hex(Buffer.concat([part1, part2, part3]).subarray(1, 5)));
    assert.equal(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'assembled', IfMatch: '"0123456789abcdef0123456789abcdef"' }))), 'PreconditionFailed');
    const notModified = await s3
      .send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'assembled', IfNoneMatch: done.ETag! }))
      .then(() => 200, (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode);
    assert.equal(notModified, 304);
    const attributes = await s3.send(
      new GetObjectAttributesCommand({ Bucket: 'mpu', Key: 'assembled', ObjectAttributes: ['ETag', 'ObjectSize', 'ObjectParts', 'StorageClass'], MaxParts: 2 }),
    );
    assert.equal(`"${attributes.ETag}"`, done.ETag);
    assert.equal(attributes.ObjectSize, part1.length + part2.length + part3.length);
    assert.equal(attributes.StorageClass, 'STANDARD');
    assert.equal(attributes.ObjectParts?.TotalPartsCount, 3);
    assert.equal(attributes.ObjectParts?.IsTruncated, true);
    assert.deepEqual(attributes.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, part1.length], [2, part2.length]]);
    const simple = await s3.send(new GetObjectAttributesCommand({ Bucket: 'mpu', Key: 'source', ObjectAttributes: ['ETag', 'ObjectSize'] }));
    assert.equal(simple.ETag, hex(source));
    assert.equal(simple.ObjectSize, source.length);
    assert.equal(await errorCode(s3.send(new GetObjectAttributesCommand({ Bucket: 'mpu', Key: 'nothing-here', ObjectAttributes: ['ETag'] }))), 'NoSuchKey');
    const viaSwift = await swift.request('GET', '/mpu/assembled');
    assert.equal(viaSwift.headers.get('x-object-meta-kind'), 'assembled');
    assert.equal(Number(viaSwift.headers.get('content-length')), part1.length + part2.length + part3.length);
    // The upload is gone: its marker too.
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "mpu" }))).Uploads, undefined);
    assert.equal(await errorCode(s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: uploadId }))), 'NoSuchUpload');
    assert.equal((await segmentNames('mpu')).length, 3);
    // Completing another upload over the same key replaces the old parts.
    const again = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'assembled' }));
    const only = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: again.UploadId!, PartNumber: 1, Body: 'one small part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'assembled', UploadId: again.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: only.ETag! }] } }));
    const replaced = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'assembled' }));
    assert.equal(await replaced.Body!.transformToString(), 'one small part');
    assert.deepEqual(await segmentNames('mpu'), [`assembled/${again.UploadId}/00001`]);
    await s3.send(new DeleteObjectCommand({ Bucket: 'mpu', Key: 'assembled' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'mpu', Key: 'source' }));
    assert.deepEqual(await segmentNames('mpu'), []);
  });

  test('an aborted upload leaves nothing in <bucket>+segments', async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'dropped' }));
    const uploadId = created.UploadId!;
    for (const n of [1, 2]) await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'dropped', UploadId: uploadId, PartNumber: n, Body: pattern(MiB, n) }));
    assert.equal((await segmentNames('mpu')).length, 3);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'dropped', UploadId: uploadId }));
    assert.deepEqual(await segmentNames('mpu'), []);
    assert.equal(await errorCode(s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'dropped', UploadId: uploadId }))), 'NoSuchUpload');
    assert.equal(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'dropped' }))), 'NotFound');
  });

  test('errors: NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall, InvalidArgument, MalformedXML; nothing left behind', async () => {
    const key = 'bad';
    const bogus = 'AAAAAAAAAAAAAAAAAAAAAAAA';
    assert.equal(await errorCode(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: bogus, PartNumber: 1, Body: 'x' }))), 'NoSuchUpload');
    assert.equal(await errorCode(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: 'not-an-id', PartNumber: 1, Body: 'x' }))), 'NoSuchUpload');
    assert.equal(await errorCode(s3.send(new CreateMultipartUploadCommand({ Bucket: 'no-such-bucket', Key: key }))), 'NoSuchBucket');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: key }));
    const uploadId = UploadId!;
    assert.equal(await errorCode(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, PartNumber: 10001, Body: 'x' }))), 'InvalidArgument');
    const small = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, PartNumber: 1, Body: 'tiny' }));
    const second = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, PartNumber: 2, Body: 'also tiny' }));
    const complete = (parts: Array<{ PartNumber: number; ETag: string }>) =>
      errorCode(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })));
    assert.equal(await complete([{ PartNumber: 1, ETag: small.ETag! }, { PartNumber: 2, ETag: second.ETag! }]), 'EntityTooSmall');
    assert.equal(await complete([{ PartNumber: 2, ETag: second.ETag! }, { PartNumber: 1, ETag: small.ETag! }]), 'InvalidPartOrder');
    assert.equal(await complete([{ PartNumber: 1, ETag: `"${hex('something else')}"` }]), 'InvalidPart');
    assert.equal(await complete([{ PartNumber: 5, ETag: small.ETag! }]), 'InvalidPart');
    assert.equal(await complete([]), 'MalformedXML');
    assert.equal(
      await errorCode(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: key, UploadId: bogus, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: small.ETag! }] } }))),
      'NoSuchUpload',
    );
    assert.equal(
      await errorCode(s3.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, PartNumber: 3, CopySource: 'mpu/missing' }))),
      'NoSuchKey',
    );
    // Failed completions left the upload as it was: it still completes with the last part alone.
    assert.equal(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: key }))), 'NotFound');
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: second.ETag! }] } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: key }));
    assert.equal(await got.Body!.transformToString(), 'also tiny');
    // The unused part 1 went with the marker.
    assert.deepEqual(await segmentNames('mpu'), [`${key}/${uploadId}/00002`]);
    await s3.send(new DeleteObjectCommand({ Bucket: 'mpu', Key: key }));
    assert.deepEqual(await segmentNames('mpu'), []);
  });

  test('ListMultipartUploads: prefix, delimiter, pagination by key and upload id', async () => {
    const keys = ['logs/a', 'logs/b', 'logs/b', 'photos/x', 'top'];
    const ids: string[] = [];
    for (const key of keys) ids.push((await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: key }))).UploadId!);
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/' }));
    assert.deepEqual(rolled.CommonPrefixes?.map((p) => p.Prefix), ['logs/', 'photos/']);
    assert.deepEqual(rolled.Uploads?.map((u) => u.Key), ['top']);
    const logs = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Prefix: 'logs/' }));
    assert.deepEqual(logs.Uploads?.map((u) => u.Key), ['logs/a', 'logs/b', 'logs/b']);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', MaxUploads: 2, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      seen.push(...(page.Uploads ?? []).map((u) => u.UploadId!));
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    assert.deepEqual([...seen].sort(), [...ids].sort());
    for (const [i, key] of keys.entries()) await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: key, UploadId: ids[i]! }));
    assert.deepEqual(await segmentNames('mpu'), []);
  });

  test('DeleteBucket takes an abandoned upload\'s parts with it', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'abandon' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'abandon', Key: 'k' }));
    await s3.send(new UploadPartCommand({ Bucket: 'abandon', Key: 'k', UploadId, PartNumber: 1, Body: 'part' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'abandon' }));
    assert.equal((await swift.request('HEAD', '/abandon+segments')).status, 404);
  });
});

test('upload ids never start with "-", which command lines would take for an option', () => {
  for (let i = 0; i < 5000; i++) {
    const id = newUploadId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/);
  }
});
