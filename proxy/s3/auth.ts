// Who an S3 request comes from: the SigV4 claim (Authorization header or presigned
// query), or a Signature V2 one, checked against tempauth's users. The access key is "account:user", the secret
// the user's key, so test:tester / testing works as it does for /auth/v1.0. The identity
// is tempauth's (same groups), so Swift's authorize() decides what the caller may do.
import type { UserEntry } from '../config.js';
import type { TempAuth } from '../auth/tempauth.js';
import type { Identity } from '../swift/request.js';
import { S3Error } from './errors.js';
import { checkV2Time, parseV2Request, verifyV2, type V2Claim } from './signature-v2.js';
import { checkClaim, parseSignedRequest, verifySignature, type SignedRequestClaim } from './signature-v4.js';

export interface Authenticated {
  user: string;
  account: string;
  identity: Identity;
  /** The SigV4 claim and signing key (streaming uploads check chunk signatures with them); null for V2. */
  claim: SignedRequestClaim | null;
  signingKey: Buffer | null;
}

export interface SignedInput {
  method: string;
  /** The decoded request path, as signed. */
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  /** For Signature V2, which signs the path as sent: the raw path and a virtual-hosted bucket. */
  rawPath?: string;
  virtualBucket?: string;
}

/**
 * Finds an access key that is not a tempauth user: the identity service's EC2 credentials
 * (proxy/auth/keystone.ts), which map to the owner's project account.
 */
export type CredentialLookup = (accessKey: string) => Promise<{ secret: string; account: string; identity: Identity } | null>;

export async function authenticate(
  users: ReadonlyMap<string, UserEntry>,
  tempauth: TempAuth,
  input: SignedInput,
  nowMs = Date.now(),
  lookup?: CredentialLookup,
): Promise<Authenticated> {
  const claim = parseSignedRequest(input.headers, input.query);
  if (claim === null) {
    const v2 = parseV2Request(input.headers, input.query);
    if (v2 !== null) return authenticateV2(users, tempauth, input, v2, nowMs, lookup);
    throw new S3Error('AccessDenied', 'Anonymous access is not supported; sign requests with SigV4.');
  }
  checkClaim(claim, nowMs);
  const user = users.get(claim.scope.accessKey);
  const colon = claim.scope.accessKey.indexOf(':');
  const credential = !user && lookup ? await lookup(claim.scope.accessKey) : null;
  if (credential) {
    const signingKey = verifySignature(claim, credential.secret, input);
    return { user: credential.identity.user, account: credential.account, identity: credential.identity, claim, signingKey };
  }
  if (!user || colon <= 0) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: claim.scope.accessKey });
  const signingKey = verifySignature(claim, user.key, input);
  const accountUser = claim.scope.accessKey;
  return {
    user: accountUser,
    account: `AUTH_${accountUser.slice(0, colon)}`,
    identity: { user: accountUser, groups: tempauth.groupsOf(accountUser) },
    claim,
    signingKey,
  };
}

/** Signature Version 2: the same users and credential lookup, an HMAC-SHA1 signature. */
async function authenticateV2(
  users: ReadonlyMap<string, UserEntry>,
  tempauth: TempAuth,
  input: SignedInput,
  claim: V2Claim,
  nowMs: number,
  lookup?: CredentialLookup,
): Promise<Authenticated> {
  checkV2Time(claim, input.headers, nowMs);
  const v2Input = {
    method: input.method,
    rawPath: input.rawPath ?? input.path,
    ...(input.virtualBucket !== undefined ? { virtualBucket: input.virtualBucket } : {}),
    query: input.query,
    headers: input.headers,
  };
  const user = users.get(claim.accessKey);
  const colon = claim.accessKey.indexOf(':');
  const credential = !user && lookup ? await lookup(claim.accessKey) : null;
  if (credential) {
    verifyV2(claim, credential.secret, v2Input);
    return { user: credential.identity.user, account: credential.account, identity: credential.identity, claim: null, signingKey: null };
  }
  if (!user || colon <= 0) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: claim.accessKey });
  verifyV2(claim, user.key, v2Input);
  return {
    user: claim.accessKey,
    account: `AUTH_${claim.accessKey.slice(0, colon)}`,
    identity: { user: claim.accessKey, groups: tempauth.groupsOf(claim.accessKey) },
    claim: null,
    signingKey: null,
  };
}
