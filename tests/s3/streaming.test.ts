// Streaming uploads: the SDK's default aws-chunked upload with an x-amz-checksum-crc32
// trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body
// with every chunk signed, and bad chunk signatures or checksums leaving nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TestCluster } from '../proxy/harness.js';
import { errorCode, s3Client } from './client.js';
import {
  STREAMING_SIGNED,
  STREAMING_UNSIGNED_TRAILER,
  canonicalRequest,
  chunkSignature,
  sign,
  signingKey,
  stringToSign,
  toAmzDate,
  type CredentialScope,
} from '../../proxy/s3/signature-v4.js';
import { createChecksum } from '../../proxy/s3/checksums.js';

let cluster: TestCluster;
let s3: S3Client;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

before(async () => {
  cluster = await TestCluster.start();
  s3 = s3Client(cluster);
  await s3.send(new CreateBucketCommand({ Bucket: 'stream' }));
});

after(() => cluster?.stop());

/** A hand-made aws-chunked PUT, signed as STREAMING-AWS4-HMAC-SHA256-PAYLOAD; `tamper` breaks one chunk. */
async function signedChunkedPut(key: string, chunks: Buffer[], tamper = -1, secret = 'testing'): Promise<Response> {
  const url = new URL(`/stream/${key}`, cluster.url);
  const amzDate = toAmzDate(Date.now());
  const scope: CredentialScope = { accessKey: 'test:tester', date: amzDate.slice(0, 8), region: 'us-east-1', service: 's3' };
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': STREAMING_SIGNED,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(total),
  };
  const signedHeaders = Object.keys(headers).sort();
  const key_ = signingKey(secret, scope);
  const seed = sign(key_, stringToSign(amzDate, scope, canonicalRequest({ method: 'PUT', path: url.pathname, query: [], headers, signedHeaders, payloadHash: STREAMING_SIGNED })));
  const parts: Buffer[] = [];
  let previous = seed;
  for (const [i, chunk] of [...chunks, Buffer.alloc(0)].entries()) {
    const signature = chunkSignature(key_, amzDate, scope, previous, sha256(chunk));
    previous = signature;
    const sent = i === tamper ? Buffer.from(chunk).fill(0x7a) : chunk;
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), sent, Buffer.from('\r\n'));
  }
  const authorization = `AWS4-HMAC-SHA256 Credential=${scope.accessKey}/${scope.date}/us-east-1/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${seed}`;
  const { host: _host, ...sendHeaders } = headers;
  return fetch(url, { method: 'PUT', headers: { ...sendHeaders, authorization }, body: Buffer.concat(parts) });
}

describe('streaming uploads', () => {
  test("the SDK's default upload of a stream: aws-chunked with a CRC32 trailer, verified and echoed", async () => {
    const data = Buffer.alloc(300_000, 'q');
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'stream', Key: 'sdk-stream', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }),
    );
    assert.equal(put.ETag, `"${md5(data)}"`);
    assert.ok(put.ChecksumCRC32, 'the CRC32 is answered');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'stream', Key: 'sdk-stream' }));
    assert.equal(md5(Buffer.from(await got.Body!.transformToByteArray())), md5(data));
  });

  for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
    test(`ChecksumAlgorithm ${algorithm}`, async () => {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'stream', Key: `sum-${algorithm}`, Body: `checked with ${algorithm}`, ChecksumAlgorithm: algorithm }));
      const checksum = createChecksum(algorithm.toLowerCase() as 'crc32');
      checksum.update(Buffer.from(`checked with ${algorithm}`));
      assert.equal(put[`Checksum${algorithm}`], checksum.digest());
    });
  }

  test('an unsigned trailer upload whose checksum is wrong is BadDigest and stores nothing', async () => {
    const body = Buffer.from('trailer body');
    const framed = Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    ]);
    const url = new URL('/stream/bad-trailer', cluster.url);
    const amzDate = toAmzDate(Date.now());
    const scope: CredentialScope = { accessKey: 'test:tester', date: amzDate.slice(0, 8), region: 'us-east-1', service: 's3' };
    const headers: Record<string, string> = {
      host: url.host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': STREAMING_UNSIGNED_TRAILER,
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(body.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const signedHeaders = Object.keys(headers).sort();
    const signature = sign(
      signingKey('testing', scope),
      stringToSign(amzDate, scope, canonicalRequest({ method: 'PUT', path: url.pathname, query: [], headers, signedHeaders, payloadHash: STREAMING_UNSIGNED_TRAILER })),
    );
    const { host: _host, ...sendHeaders } = headers;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...sendHeaders, authorization: `AWS4-HMAC-SHA256 Credential=test:tester/${scope.date}/us-east-1/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}` },
      body: framed,
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>BadDigest<\/Code>/);
    assert.equal(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'stream', Key: 'bad-trailer' }))), 'NotFound');
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signature checked', async () => {
    const chunks = [Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'b')];
    const ok = await signedChunkedPut('signed-chunks', chunks);
    assert.equal(ok.status, 200, await ok.text());
    const got = await s3.send(new GetObjectCommand({ Bucket: 'stream', Key: 'signed-chunks' }));
    assert.equal(md5(Buffer.from(await got.Body!.transformToByteArray())), md5(Buffer.concat(chunks)));
    for (const tamper of [0, 1]) {
      const bad = await signedChunkedPut(`tampered-${tamper}`, chunks, tamper);
      assert.equal(bad.status, 403);
      assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      assert.equal(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'stream', Key: `tampered-${tamper}` }))), 'NotFound');
    }
  });
});
