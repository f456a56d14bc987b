// Bucket and object ACLs in S3's canned private / public-read model, on Swift's ACLs: a
// public-read bucket is a container readable by anyone (X-Container-Read .r:*,.rlistings),
// a private one has no read ACL. Swift has no per-object ACLs, so an object's ACL is its
// bucket's: GetObjectAcl reports it, and PutObjectAcl accepts only that same ACL.
import { owner, requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Request } from '../request.js';
import { parseXml, toXml } from '../xml.js';

const MAX_POLICY_BYTES = 64 * 1024;
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
export const PUBLIC_READ_ACL = '.r:*,.rlistings';
type Canned = 'private' | 'public-read';

/** Whether a container read ACL lets anyone read. */
const isPublic = (readAcl: string | undefined) => (readAcl ?? '').split(',').some((item) => item.trim() === '.r:*');

function policyXml(req: S3Request, canned: Canned): string {
  const grants: unknown[] = [
    {
      Grantee: { '@_xmlns:xsi': XSI, '@_xsi:type': 'CanonicalUser', ...owner(req) },
      Permission: 'FULL_CONTROL',
    },
  ];
  if (canned === 'public-read') grants.push({ Grantee: { '@_xmlns:xsi': XSI, '@_xsi:type': 'Group', URI: ALL_USERS }, Permission: 'READ' });
  return toXml('AccessControlPolicy', { Owner: owner(req), AccessControlList: { Grant: grants } });
}

/**
 * The canned ACL a PutBucketAcl / PutObjectAcl asks for: the x-amz-acl header, or an
 * AccessControlPolicy body that grants the owner FULL_CONTROL and at most AllUsers READ.
 */
async function requestedAcl(req: S3Request): Promise<Canned> {
  if (Object.keys(req.headers).some((h) => h.startsWith('x-amz-grant-'))) {
    throw new S3Error('NotImplemented', 'Only the canned ACLs private and public-read are supported; x-amz-grant-* headers are not.');
  }
  const header = req.headers['x-amz-acl'];
  const body = await readSmallPayload(req.body, req.headers, req, MAX_POLICY_BYTES);
  if (header !== undefined) {
    if (body.length > 0) throw new S3Error('UnexpectedContent', 'This request does not support content when x-amz-acl is given.');
    if (header !== 'private' && header !== 'public-read') {
      throw new S3Error('NotImplemented', `Only the canned ACLs private and public-read are supported, not ${header}.`);
    }
    return header;
  }
  if (body.length === 0) throw new S3Error('MissingSecurityHeader', undefined, { MissingHeaderName: 'x-amz-acl' });
  const policy = parseXml(body.toString('utf8'), 'AccessControlPolicy');
  const list = policy.AccessControlList as Record<string, unknown> | undefined;
  const grants = (list && typeof list === 'object' ? (list.Grant ?? []) : []) as Array<Record<string, unknown>>;
  let publicRead = false;
  for (const grant of grants) {
    const grantee = (grant.Grantee ?? {}) as Record<string, unknown>;
    const permission = grant.Permission;
    if (typeof permission !== 'string') throw new S3Error('MalformedACLError');
    if (grantee.URI === ALL_USERS && permission === 'READ') publicRead = true;
    else if (grantee.ID === req.user && permission === 'FULL_CONTROL') continue;
    else throw new S3Error('NotImplemented', 'Only the canned ACLs private and public-read are supported: the owner with FULL_CONTROL, and AllUsers with READ or nothing.');
  }
  return publicRead ? 'public-read' : 'private';
}

async function bucketAcl(ctx: Parameters<Command>[0], req: S3Request): Promise<Canned> {
  const headers = await requireBucket(ctx, req);
  return isPublic(headers['x-container-read']) ? 'public-read' : 'private';
}

async function requireObject(ctx: Parameters<Command>[0], req: S3Request): Promise<void> {
  const res = await swift(ctx, req, { method: 'HEAD', container: req.bucket!, object: req.key! });
  drainBody(res);
  if (res.status === 404) {
    await requireBucket(ctx, req);
    throw new S3Error('NoSuchKey', undefined, { Key: req.key! });
  }
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket!, key: req.key! });
}

export const getBucketAcl: Command = async (ctx, req) => xmlResponse(policyXml(req, await bucketAcl(ctx, req)));

export const putBucketAcl: Command = async (ctx, req) => {
  const canned = await requestedAcl(req);
  await requireBucket(ctx, req);
  const headers: Record<string, string> = canned === 'public-read' ? { 'x-container-read': PUBLIC_READ_ACL } : { 'x-remove-container-read': 'x' };
  const res = await swift(ctx, req, { method: 'POST', container: req.bucket!, headers });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: req.bucket! });
  return { status: 200, headers: { 'content-length': '0' } };
};

export const getObjectAcl: Command = async (ctx, req) => {
  await requireObject(ctx, req);
  return xmlResponse(policyXml(req, await bucketAcl(ctx, req)));
};

export const putObjectAcl: Command = async (ctx, req) => {
  const canned = await requestedAcl(req);
  await requireObject(ctx, req);
  const current = await bucketAcl(ctx, req);
  if (canned !== current) {
    throw new S3Error('NotImplemented', `Objects share their bucket's ACL here (${current}); change the bucket's ACL instead.`);
  }
  return { status: 200, headers: { 'content-length': '0' } };
};
