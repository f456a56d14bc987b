// Which account a CORS preflight's bucket belongs to. Browsers send preflights unsigned,
// and buckets here are per account (two accounts may each have a "photos"), so the
// bucket name alone does not say whose rules answer. As in AWS, where bucket names are
// global, a bucket name with CORS rules belongs to one account: PutBucketCors claims the
// name in a registry, and a preflight reads the claim and then that account's bucket —
// two lookups through the proxy's info cache, whatever the number of accounts, and never
// another account's rules. The registry is a reserved account holding one empty container
// per claimed name, its owner in system metadata. Its name starts with "AUTH_." so no
// client reaches it through the Swift API (authorize() refuses even reseller admins);
// only the proxy's own identity below, whose group is that account, writes to it.
import type { SwiftRequest } from '../swift/request.js';
import { S3Error } from './errors.js';
import { storedRules, type CorsRule } from './cors.js';
import { drainBody, isSuccess, swift, type S3Context, type S3Request } from './request.js';

export const CORS_OWNERS_ACCOUNT = 'AUTH_.s3_cors_owners';
const SYSMETA_OWNER = 'x-container-sysmeta-s3-cors-owner';
const REGISTRY_IDENTITY = { user: 's3-cors-registry', groups: [CORS_OWNERS_ACCOUNT] };

/** What a lookup needs of the request it serves (its id and log for the backend requests). */
export type LookupContext = Pick<S3Request, 'transId' | 'log' | 'hostUrl'>;

function internalRequest(input: LookupContext): SwiftRequest {
  return {
    method: 'HEAD',
    path: { account: CORS_OWNERS_ACCOUNT },
    query: new Map(),
    headers: {},
    body: null,
    identity: REGISTRY_IDENTITY,
    transId: input.transId,
    log: input.log,
    hostUrl: input.hostUrl,
    continueBody: () => {},
    depth: 0,
    owner: false,
  };
}

/** The account that claimed `bucket` for CORS, or null. */
async function ownerOf(ctx: S3Context, input: LookupContext, bucket: string): Promise<string | null> {
  const claim = await ctx.info.container(internalRequest(input), CORS_OWNERS_ACCOUNT, bucket);
  return isSuccess(claim.status) ? (claim.headers[SYSMETA_OWNER] ?? null) : null;
}

/** The CORS rules of `account`'s bucket, or null when it has none (or is gone). */
async function rulesOf(ctx: S3Context, input: LookupContext, account: string, bucket: string): Promise<CorsRule[] | null> {
  const info = await ctx.info.container(internalRequest(input), account, bucket);
  return isSuccess(info.status) ? storedRules(info.headers) : null;
}

/** The rules that answer a preflight for `bucket`: its claiming account's, or null. */
export async function preflightRules(ctx: S3Context, input: LookupContext, bucket: string): Promise<CorsRule[] | null> {
  const owner = await ownerOf(ctx, input, bucket);
  return owner === null ? null : rulesOf(ctx, input, owner, bucket);
}

/**
 * Before the caller's bucket gets CORS rules: BucketAlreadyExists while another account's
 * bucket of that name holds the claim and still has rules (a stale claim is taken over).
 */
export async function checkClaimable(ctx: S3Context, req: S3Request): Promise<void> {
  const owner = await ownerOf(ctx, req, req.bucket!);
  if (owner !== null && owner !== req.account && (await rulesOf(ctx, req, owner, req.bucket!)) !== null) {
    throw new S3Error('BucketAlreadyExists', 'Another account\'s bucket of this name has a CORS configuration; browsers\' preflights could not tell them apart.', {
      BucketName: req.bucket!,
    });
  }
}

/** Records the caller's account as the owner of its bucket's name for preflights. */
export async function claim(ctx: S3Context, req: S3Request): Promise<void> {
  const res = await swift(
    ctx,
    { ...req, identity: REGISTRY_IDENTITY },
    { method: 'PUT', account: CORS_OWNERS_ACCOUNT, container: req.bucket!, headers: { [SYSMETA_OWNER]: req.account } },
  );
  drainBody(res);
  if (!isSuccess(res.status)) throw new S3Error('InternalError');
}

/** Gives the name up when the caller's bucket drops its rules (someone else's claim stays). */
export async function release(ctx: S3Context, req: S3Request): Promise<void> {
  if ((await ownerOf(ctx, req, req.bucket!)) !== req.account) return;
  const res = await swift(ctx, { ...req, identity: REGISTRY_IDENTITY }, { method: 'DELETE', account: CORS_OWNERS_ACCOUNT, container: req.bucket! });
  drainBody(res);
}
