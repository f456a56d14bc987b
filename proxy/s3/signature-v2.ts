// AWS Signature Version 2, for older clients (boto 2, s3cmd with signature_v2, old SDKs):
// `Authorization: AWS <access key>:<signature>` or the query AWSAccessKeyId, Signature and
// Expires. The signature is base64 HMAC-SHA1 over the method, Content-MD5, Content-Type,
// the date (Expires for query auth; empty when x-amz-date is sent), the x-amz-* headers
// and the resource: /<bucket>/<key as sent> plus the sub-resources S3 signs.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';
import { MAX_CLOCK_SKEW_S } from './signature-v4.js';

export interface V2Claim {
  kind: 'header' | 'query';
  accessKey: string;
  signature: string;
  /** Query auth: when the URL stops working, in seconds since the epoch. */
  expires?: number;
}

/** Sub-resources that are part of the signed resource, as S3 lists them. */
const SIGNED_SUBRESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website', 'attributes',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

/** The V2 claim of a request, or null when it is not signed with V2. */
export function parseV2Request(headers: Record<string, string>, query: Array<[string, string]>): V2Claim | null {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.startsWith('AWS ')) {
    const credential = authorization.slice(4).trim();
    const colon = credential.lastIndexOf(':');
    if (colon <= 0 || colon === credential.length - 1) throw new S3Error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');
    return { kind: 'header', accessKey: credential.slice(0, colon), signature: credential.slice(colon + 1) };
  }
  const params = new Map(query);
  const accessKey = params.get('AWSAccessKeyId');
  if (accessKey === undefined) return null;
  const signature = params.get('Signature');
  const expires = params.get('Expires');
  if (!signature || !expires || !/^\d+$/.test(expires)) {
    throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  return { kind: 'query', accessKey, signature, expires: Number(expires) };
}

/** Time checks: a header-signed request within 15 minutes of now, a query-signed one not expired. */
export function checkV2Time(claim: V2Claim, headers: Record<string, string>, nowMs: number): void {
  if (claim.kind === 'query') {
    if (nowMs > claim.expires! * 1000) throw new S3Error('AccessDenied', 'Request has expired');
    return;
  }
  const date = headers['x-amz-date'] ?? headers.date;
  const ms = date ? Date.parse(date) : NaN;
  if (Number.isNaN(ms)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(nowMs - ms) > MAX_CLOCK_SKEW_S * 1000) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: date!,
      ServerTime: new Date(nowMs).toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_S * 1000),
    });
  }
}

export interface V2Input {
  method: string;
  /** The path as the client sent it (still percent-encoded). */
  rawPath: string;
  /** The bucket named by a virtual-hosted Host, which the signed resource starts with. */
  virtualBucket?: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
}

/** The string a V2 signature signs. */
export function stringToSignV2(input: V2Input, claim: Pick<V2Claim, 'kind' | 'expires'>): string {
  const { headers } = input;
  const amz = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-')) amz.set(name, [...(amz.get(name) ?? []), value.trim()]);
  }
  const amzLines = [...amz.keys()].sort().map((name) => `${name}:${amz.get(name)!.join(',')}\n`);
  const date = claim.kind === 'query' ? String(claim.expires) : headers['x-amz-date'] !== undefined ? '' : (headers.date ?? '');
  const sub = input.query
    .filter(([name]) => SIGNED_SUBRESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const resource = `${input.virtualBucket !== undefined ? `/${input.virtualBucket}` : ''}${input.rawPath}${sub.length ? `?${sub.join('&')}` : ''}`;
  return [input.method, headers['content-md5'] ?? '', headers['content-type'] ?? '', date].join('\n') + '\n' + amzLines.join('') + resource;
}

export const signV2 = (secret: string, toSign: string) => createHmac('sha1', secret).update(toSign, 'utf8').digest('base64');

/** SignatureDoesNotMatch unless the claim's signature is the request's with this secret. */
export function verifyV2(claim: V2Claim, secret: string, input: V2Input): void {
  const toSign = stringToSignV2(input, claim);
  const expected = Buffer.from(signV2(secret, toSign));
  const given = Buffer.from(claim.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: claim.accessKey, StringToSign: toSign });
  }
}
