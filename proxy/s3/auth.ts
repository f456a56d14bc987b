// Who an S3 request comes from: the SigV4 claim (Authorization header or presigned
// query) checked against tempauth's users. The access key is "account:user", the secret
// the user's key, so test:tester / testing works as it does for /auth/v1.0. The identity
// is tempauth's (same groups), so Swift's authorize() decides what the caller may do.
import type { UserEntry } from '../config.js';
import type { TempAuth } from '../auth/tempauth.js';
import type { Identity } from '../swift/request.js';
import { S3Error } from './errors.js';
import { checkClaim, parseSignedRequest, verifySignature, type SignedRequestClaim } from './signature-v4.js';

export interface Authenticated {
  user: string;
  account: string;
  identity: Identity;
  claim: SignedRequestClaim;
  signingKey: Buffer;
}

export interface SignedInput {
  method: string;
  /** The decoded request path, as signed. */
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
}

export function authenticate(
  users: ReadonlyMap<string, UserEntry>,
  tempauth: TempAuth,
  input: SignedInput,
  nowMs = Date.now(),
): Authenticated {
  const claim = parseSignedRequest(input.headers, input.query);
  if (claim === null) {
    if (input.headers.authorization?.startsWith('AWS ') || input.query.some(([k]) => k === 'AWSAccessKeyId')) {
      throw new S3Error('NotImplemented', 'Signature Version 2 is not supported; use Signature Version 4.');
    }
    throw new S3Error('AccessDenied', 'Anonymous access is not supported; sign requests with SigV4.');
  }
  checkClaim(claim, nowMs);
  const user = users.get(claim.scope.accessKey);
  const colon = claim.scope.accessKey.indexOf(':');
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
