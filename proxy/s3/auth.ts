// Who an S3 request comes from: the SigV4 claim (Authorization header or presigned
// query), or a Signature V2 one, checked against tempauth's users. The access key is "account:user", the secret
// the user's key, so test:tester / testing works as it does for /auth/v1.0. The identity
// is tempauth's (same groups), so Swift's authorize() decides what the caller may do.
// Every signature check is one attempt against the access key's and the client address's
// budgets (proxy/auth/attempts.ts), shared with /auth/v1.0, so a secret is no cheaper to
// guess through S3 than through tempauth.
import type { UserEntry } from '../config.js';
import type { TempAuth } from '../auth/tempauth.js';
import type { AuthAttempts } from '../auth/attempts.js';
import { AttemptsExceeded } from '../../common/rate-limit.js';
import type { Identity } from '../swift/request.js';
import { S3Error } from './errors.js';
import { checkV2Time, parseV2Request, verifyV2, type V2Claim } from './signature-v2.js';
import { checkClaim, checkHeadersSigned, parseSignedRequest, verifySignature, type SignedRequestClaim } from './signature-v4.js';

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

/** Who may sign: tempauth's users, the identity service's EC2 credentials, the guessing brake. */
export interface Signers {
  users: ReadonlyMap<string, UserEntry>;
  tempauth: TempAuth;
  attempts: AuthAttempts;
  lookup?: CredentialLookup | undefined;
}

interface Secret {
  secret: string;
  user: string;
  account: string;
  identity: Identity;
}

/** The secret of an access key and whose it is; InvalidAccessKeyId when nobody has that key. */
async function secretOf(signers: Signers, accessKey: string): Promise<Secret> {
  const user = signers.users.get(accessKey);
  const colon = accessKey.indexOf(':');
  if (user && colon > 0) {
    return {
      secret: user.key,
      user: accessKey,
      account: `AUTH_${accessKey.slice(0, colon)}`,
      identity: { user: accessKey, groups: signers.tempauth.groupsOf(accessKey) },
    };
  }
  const credential = !user && signers.lookup ? await signers.lookup(accessKey) : null;
  if (credential) return { secret: credential.secret, user: credential.identity.user, account: credential.account, identity: credential.identity };
  throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
}

/**
 * Runs a signature check as one counted attempt of `accessKey` from `source`: its result
 * when the signature is right, SignatureDoesNotMatch when not, SlowDown (429 with
 * Retry-After, S3's throttling answer) without checking when either is over its budget.
 */
async function guardedCheck<T>(signers: Signers, accessKey: string, source: string, check: () => T): Promise<T> {
  // The check throws SignatureDoesNotMatch (with its details) on a wrong signature; the
  // guard needs a verdict, so the error is kept and thrown again once the attempt is counted.
  let outcome: { value: T } | { mismatch: S3Error } | undefined;
  try {
    await signers.attempts.guard(accessKey, source, () => {
      try {
        outcome = { value: check() };
      } catch (err) {
        if (!(err instanceof S3Error) || err.code !== 'SignatureDoesNotMatch') throw err;
        outcome = { mismatch: err };
      }
      return 'value' in outcome;
    });
  } catch (err) {
    if (err instanceof AttemptsExceeded) throw new S3Error('SlowDown', undefined, {}, { 'retry-after': String(err.retryAfterS) });
    throw err;
  }
  const settled = outcome!;
  if ('mismatch' in settled) throw settled.mismatch;
  return settled.value;
}

export async function authenticate(signers: Signers, input: SignedInput, source: string, nowMs = Date.now()): Promise<Authenticated> {
  const claim = parseSignedRequest(input.headers, input.query);
  if (claim === null) {
    const v2 = parseV2Request(input.headers, input.query);
    if (v2 !== null) return authenticateV2(signers, input, v2, source, nowMs);
    throw new S3Error('AccessDenied', 'Anonymous access is not supported; sign requests with SigV4.');
  }
  checkClaim(claim, nowMs);
  checkHeadersSigned(claim, input.headers);
  const signer = await secretOf(signers, claim.scope.accessKey);
  // A streaming upload's chunks are chained from this seed signature: checking it is the attempt.
  const signingKey = await guardedCheck(signers, claim.scope.accessKey, source, () => verifySignature(claim, signer.secret, input));
  return { user: signer.user, account: signer.account, identity: signer.identity, claim, signingKey };
}

/**
 * Signature Version 2: the same signers, an HMAC-SHA1 signature. Every x-amz-* header
 * is part of what V2 signs (signature-v2.ts), so none can be added unsigned.
 */
async function authenticateV2(signers: Signers, input: SignedInput, claim: V2Claim, source: string, nowMs: number): Promise<Authenticated> {
  checkV2Time(claim, input.headers, nowMs);
  const v2Input = {
    method: input.method,
    rawPath: input.rawPath ?? input.path,
    ...(input.virtualBucket !== undefined ? { virtualBucket: input.virtualBucket } : {}),
    query: input.query,
    headers: input.headers,
  };
  const signer = await secretOf(signers, claim.accessKey);
  await guardedCheck(signers, claim.accessKey, source, () => verifyV2(claim, signer.secret, v2Input));
  return { user: signer.user, account: signer.account, identity: signer.identity, claim: null, signingKey: null };
}
