// SigV4 against AWS's published values: the generic signing test suite (get-vanilla and
// friends, service "service"), the worked S3 examples of the S3 API reference (header
// auth, presigned URL, and the aws-chunked upload's seed and chunk signatures).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  EMPTY_SHA256,
  canonicalRequest,
  checkClaim,
  chunkSignature,
  parseQueryPairs,
  parseSignedRequest,
  sign,
  signingKey,
  stringToSign,
  verifySignature,
  type CredentialScope,
} from '../../proxy/s3/signature-v4.js';
import { S3Error } from '../../proxy/s3/errors.js';

const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_SCOPE: CredentialScope = { accessKey: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'service' };
const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const S3_SCOPE: CredentialScope = { accessKey: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };

function signatureOf(
  scope: CredentialScope,
  secret: string,
  amzDate: string,
  method: string,
  path: string,
  rawQuery: string,
  headers: Record<string, string>,
  payloadHash: string,
): string {
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({ method, path, query: parseQueryPairs(rawQuery), headers, signedHeaders, payloadHash });
  return sign(signingKey(secret, scope), stringToSign(amzDate, scope, canonical));
}

describe('the AWS SigV4 test suite', () => {
  const suite = (method: string, path: string, rawQuery = '') =>
    signatureOf(SUITE_SCOPE, SUITE_SECRET, '20150830T123600Z', method, path, rawQuery, { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, EMPTY_SHA256);

  test('get-vanilla', () => assert.equal(suite('GET', '/'), '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'));
  test('get-vanilla-query-order-key-case', () =>
    assert.equal(suite('GET', '/', 'Param2=value2&Param1=value1'), 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'));
  test('post-vanilla', () => assert.equal(suite('POST', '/'), '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'));
  test('get-utf8', () => assert.equal(suite('GET', '/\u1234'), '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'));
});

describe('the S3 API reference examples', () => {
  const base = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z' };
  const s3 = (method: string, path: string, rawQuery: string, headers: Record<string, string>, payloadHash: string) =>
    signatureOf(S3_SCOPE, S3_SECRET, '20130524T000000Z', method, path, rawQuery, { ...base, ...headers, 'x-amz-content-sha256': payloadHash }, payloadHash);

  test('GET Object with a Range', () =>
    assert.equal(s3('GET', '/test.txt', '', { range: 'bytes=0-9' }, EMPTY_SHA256), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'));

  test('PUT Object with a signed payload', () => {
    const payload = createHash('sha256').update('Welcome to Amazon S3.').digest('hex');
    const headers = { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' };
    assert.equal(s3('PUT', '/test$file.text', '', headers, payload), '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  test('GET Bucket Lifecycle (a sub-resource without a value)', () =>
    assert.equal(s3('GET', '/', 'lifecycle', {}, EMPTY_SHA256), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'));

  test('GET Bucket (List Objects), query sorted', () =>
    assert.equal(s3('GET', '/', 'max-keys=2&prefix=J', {}, EMPTY_SHA256), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'));

  test('a presigned GET verifies, and the claim is parsed from the query', () => {
    const rawQuery =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const query = parseQueryPairs(rawQuery);
    const headers = { host: 'examplebucket.s3.amazonaws.com' };
    const claim = parseSignedRequest(headers, query)!;
    assert.equal(claim.kind, 'query');
    assert.equal(claim.payloadHash, 'UNSIGNED-PAYLOAD');
    assert.equal(claim.expiresS, 86400);
    checkClaim(claim, Date.UTC(2013, 4, 24, 12));
    verifySignature(claim, S3_SECRET, { method: 'GET', path: '/test.txt', query, headers });
    assert.throws(() => verifySignature(claim, S3_SECRET, { method: 'GET', path: '/test2.txt', query, headers }), (e: S3Error) => e.code === 'SignatureDoesNotMatch');
    assert.throws(() => checkClaim(claim, Date.UTC(2013, 4, 25, 0, 0, 1)), (e: S3Error) => e.code === 'AccessDenied' && /expired/.test(e.message));
  });

  test('aws-chunked upload: seed signature, then each chunk chained from the previous', () => {
    const headers = {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
    };
    const seed = signatureOf(S3_SCOPE, S3_SECRET, '20130524T000000Z', 'PUT', '/examplebucket/chunkObject.txt', '', headers, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    assert.equal(seed, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    const key = signingKey(S3_SECRET, S3_SCOPE);
    const hash = (n: number) => createHash('sha256').update(Buffer.alloc(n, 'a')).digest('hex');
    const first = chunkSignature(key, '20130524T000000Z', S3_SCOPE, seed, hash(65536));
    assert.equal(first, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    const second = chunkSignature(key, '20130524T000000Z', S3_SCOPE, first, hash(1024));
    assert.equal(second, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    assert.equal(chunkSignature(key, '20130524T000000Z', S3_SCOPE, second, EMPTY_SHA256), 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
  });
});

describe('claims', () => {
  const header = (amzDate: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=test:tester/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    host: 'localhost',
  });

  test('an access key "account:user" is kept whole', () => {
    const claim = parseSignedRequest(header('20240101T000000Z'), [])!;
    assert.equal(claim.scope.accessKey, 'test:tester');
    assert.deepEqual(claim.signedHeaders, ['host', 'x-amz-date']);
  });

  test('more than 15 minutes of clock skew is RequestTimeTooSkewed', () => {
    const claim = parseSignedRequest(header('20240101T000000Z'), [])!;
    checkClaim(claim, Date.UTC(2024, 0, 1, 0, 14));
    assert.throws(() => checkClaim(claim, Date.UTC(2024, 0, 1, 0, 16)), (e: S3Error) => e.code === 'RequestTimeTooSkewed' && e.status === 403);
  });

  test('malformed headers and unsigned requests', () => {
    assert.equal(parseSignedRequest({}, []), null);
    assert.throws(() => parseSignedRequest({ authorization: 'AWS4-HMAC-SHA256 Credential=x', 'x-amz-date': '20240101T000000Z' }, []), (e: S3Error) => e.code === 'AuthorizationHeaderMalformed');
    assert.throws(() => parseSignedRequest({}, [['X-Amz-Algorithm', 'AWS4-HMAC-SHA256']]), (e: S3Error) => e.code === 'AuthorizationQueryParametersError');
  });
});
