// AWS Signature Version 4, as S3 checks it: the Authorization header and presigned
// query strings, the canonical request, the signing key, and the per-chunk and trailer
// signatures of streaming (aws-chunked) uploads. Pure functions over strings and
// buffers, with no knowledge of users or HTTP servers, so they can be checked against
// AWS's published test vectors (tests/s3/signature-v4.test.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** S3 refuses requests whose time is further than this from its own clock. */
export const MAX_CLOCK_SKEW_S = 15 * 60;
/** The longest a presigned URL may live: 7 days. */
export const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600;

export interface CredentialScope {
  accessKey: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

/** What a signed request claims: who, when, over which headers, with which signature. */
export interface SignedRequestClaim {
  kind: 'header' | 'query';
  scope: CredentialScope;
  /** ISO 8601 basic: 20130524T000000Z */
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  /** x-amz-content-sha256, or UNSIGNED-PAYLOAD for presigned URLs. */
  payloadHash: string;
  /** Presigned URLs only. */
  expiresS?: number;
}

export interface CanonicalInput {
  method: string;
  /** The decoded path ("/bucket/a b"); it is encoded here the way S3 signs it. */
  path: string;
  /** Decoded query pairs, in any order; X-Amz-Signature is left out here. */
  query: Array<[string, string]>;
  /** Lower-case names. */
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ (and "/" in paths) percent-encoded, upper-case hex. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** "k=v&k2" → decoded pairs, without treating "+" as a space (SigV4 clients encode spaces as %20). */
export function parseQueryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
    });
}

export function canonicalQueryString(query: Array<[string, string]>): string {
  return query
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

const canonicalHeaderValue = (value: string) => value.trim().replace(/\s+/g, ' ');

export function canonicalRequest(input: CanonicalInput): string {
  const headers = input.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(input.headers[name] ?? '')}\n`).join('');
  return [
    input.method,
    uriEncode(input.path, true),
    canonicalQueryString(input.query),
    headers,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export const scopeString = (scope: CredentialScope) => `${scope.date}/${scope.region}/${scope.service}/aws4_request`;

export function stringToSign(amzDate: string, scope: CredentialScope, canonical: string): string {
  return [ALGORITHM, amzDate, scopeString(scope), sha256Hex(canonical)].join('\n');
}

export function signingKey(secret: string, scope: CredentialScope): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), scope.service), 'aws4_request');
}

export const sign = (key: Buffer, toSign: string) => createHmac('sha256', key).update(toSign, 'utf8').digest('hex');

/** The signature of one aws-chunked chunk, chained from the previous one (the seed is the request's). */
export function chunkSignature(key: Buffer, amzDate: string, scope: CredentialScope, previous: string, chunkSha256: string): string {
  return sign(key, ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scopeString(scope), previous, EMPTY_SHA256, chunkSha256].join('\n'));
}

/** The signature of the trailing headers of a signed streaming upload. */
export function trailerSignature(key: Buffer, amzDate: string, scope: CredentialScope, previous: string, trailers: string): string {
  return sign(key, ['AWS4-HMAC-SHA256-TRAILER', amzDate, scopeString(scope), previous, sha256Hex(trailers)].join('\n'));
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseScope(credential: string, error: () => S3Error): CredentialScope {
  // The access key may itself hold "/"-free "account:user"; the scope is the last four parts.
  const parts = credential.split('/');
  if (parts.length < 5 || parts[parts.length - 1] !== 'aws4_request') throw error();
  const [date, region, service] = parts.slice(-4, -1) as [string, string, string];
  const accessKey = parts.slice(0, -4).join('/');
  if (accessKey === '' || !/^\d{8}$/.test(date) || region === '' || service === '') throw error();
  return { accessKey, date, region, service };
}

const AMZ_DATE = /^\d{8}T\d{6}Z$/;

/**
 * What the request claims (Authorization header or X-Amz-* query), or null when it is not
 * signed with SigV4 at all (anonymous, or another scheme). Malformed claims are errors.
 */
export function parseSignedRequest(headers: Record<string, string>, query: Array<[string, string]>): SignedRequestClaim | null {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.startsWith(`${ALGORITHM} `)) {
    const malformed = () => new S3Error('AuthorizationHeaderMalformed');
    const fields = new Map<string, string>();
    for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (!credential || !signedHeaders || !signature) throw malformed();
    const amzDate = headers['x-amz-date'] ?? dateHeaderToAmz(headers.date);
    if (!amzDate || !AMZ_DATE.test(amzDate)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    const payloadHash = headers['x-amz-content-sha256'];
    if (payloadHash === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    return {
      kind: 'header',
      scope: parseScope(credential, malformed),
      amzDate,
      signedHeaders: signedHeaders.split(';'),
      signature,
      payloadHash,
    };
  }
  const params = new Map(query);
  if (params.get('X-Amz-Algorithm') === undefined) return null;
  const queryError = (message?: string) => new S3Error('AuthorizationQueryParametersError', message);
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = params.get('X-Amz-Credential');
  const amzDate = params.get('X-Amz-Date');
  const expires = params.get('X-Amz-Expires');
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const signature = params.get('X-Amz-Signature');
  if (!credential || !amzDate || !expires || !signedHeaders || !signature) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (!AMZ_DATE.test(amzDate)) throw queryError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (!/^\d+$/.test(expires)) throw queryError('X-Amz-Expires should be a number');
  const expiresS = Number(expires);
  if (expiresS > MAX_PRESIGNED_EXPIRES_S) throw queryError('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  return {
    kind: 'query',
    scope: parseScope(credential, () => queryError()),
    amzDate,
    signedHeaders: signedHeaders.split(';'),
    signature,
    payloadHash: params.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
    expiresS,
  };
}

/** An HTTP Date header → 20130524T000000Z (SigV4 accepts Date when x-amz-date is absent). */
function dateHeaderToAmz(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toAmzDate(ms);
}

export const toAmzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function amzDateToMs(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)!;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/**
 * The checks that need no secret: the scope's date and service, the time (15 minutes of
 * skew for headers; not before its date and not after its expiry for presigned URLs),
 * and that Host is signed.
 */
export function checkClaim(claim: SignedRequestClaim, nowMs: number): void {
  const malformed = claim.kind === 'header' ? new S3Error('AuthorizationHeaderMalformed') : new S3Error('AuthorizationQueryParametersError');
  if (claim.scope.service !== 's3' || claim.scope.date !== claim.amzDate.slice(0, 8)) throw malformed;
  if (!claim.signedHeaders.includes('host')) throw new S3Error('AccessDenied', 'Host must be signed');
  const requestMs = amzDateToMs(claim.amzDate);
  if (claim.kind === 'header') {
    if (Math.abs(nowMs - requestMs) > MAX_CLOCK_SKEW_S * 1000) {
      throw new S3Error('RequestTimeTooSkewed', undefined, {
        RequestTime: claim.amzDate,
        ServerTime: new Date(nowMs).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_S * 1000),
      });
    }
  } else {
    if (requestMs - nowMs > MAX_CLOCK_SKEW_S * 1000) throw new S3Error('AccessDenied', 'Request is not valid yet');
    if (nowMs > requestMs + claim.expiresS! * 1000) throw new S3Error('AccessDenied', 'Request has expired');
  }
}

/**
 * Every x-amz-* header of the request must be signed, as AWS requires for both header and
 * presigned requests: those headers carry the request's meaning (x-amz-copy-source turns a
 * PUT into a copy, x-amz-meta-* and x-amz-metadata-directive set metadata), so a signature
 * that does not cover them would let whoever holds a presigned URL, or replays a signed
 * request, change what it does. AWS exempts none (an unsigned x-amz-content-sha256 or
 * x-amz-date is refused too); clients sign every x-amz-* header they send, and presigners
 * hoist the ones they do not sign into the query, where the signature covers them.
 * AccessDenied with AWS's message and the HeadersNotSigned element otherwise.
 */
export function checkHeadersSigned(claim: SignedRequestClaim, headers: Record<string, string>): void {
  const signed = new Set(claim.signedHeaders);
  const unsigned = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith('x-amz-') && !signed.has(name))
    .sort();
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
}

/**
 * Verifies the request signature with the user's secret: SignatureDoesNotMatch unless it
 * matches. Returns the signing key (streaming uploads sign every chunk with it).
 */
export function verifySignature(
  claim: SignedRequestClaim,
  secret: string,
  request: { method: string; path: string; query: Array<[string, string]>; headers: Record<string, string> },
): Buffer {
  const canonical = canonicalRequest({ ...request, signedHeaders: claim.signedHeaders, payloadHash: claim.payloadHash });
  const toSign = stringToSign(claim.amzDate, claim.scope, canonical);
  const key = signingKey(secret, claim.scope);
  if (!signaturesEqual(sign(key, toSign), claim.signature)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: claim.scope.accessKey,
      StringToSign: toSign,
      CanonicalRequest: canonical,
    });
  }
  return key;
}
