// CreateBucket (PUT /<bucket>): a container PUT. An existing bucket of the caller's is
// BucketAlreadyOwnedByYou (the container server says 202); buckets are per account, so
// two accounts may each have a bucket of the same name. x-amz-acl public-read makes the
// container world-readable (.r:*,.rlistings).
import { checkBucketName } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { readSmallPayload } from '../payload.js';
import { swift, type Command } from '../request.js';
import { parseXml } from '../xml.js';

const MAX_CONFIGURATION_BYTES = 64 * 1024;
export const CANNED_READ_ACLS: Record<string, string> = {
  private: '',
  'public-read': '.r:*,.rlistings',
  'public-read-write': '.r:*,.rlistings',
  'authenticated-read': '*',
};

export const createBucket: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  checkBucketName(bucket);
  const body = await readSmallPayload(req.body, req.headers, req, MAX_CONFIGURATION_BYTES);
  if (body.length > 0) {
    const config = parseXml(body.toString('utf8'), 'CreateBucketConfiguration');
    const location = config.LocationConstraint;
    if (location !== undefined && typeof location !== 'string') throw new S3Error('MalformedXML');
    if (location && location !== ctx.config.s3_region) {
      throw new S3Error('InvalidArgument', `The ${location} location constraint is not valid; this cluster is ${ctx.config.s3_region}.`, {
        ArgumentName: 'LocationConstraint',
        ArgumentValue: location,
      });
    }
  }
  const headers: Record<string, string> = {};
  const acl = req.headers['x-amz-acl'];
  if (acl !== undefined) {
    if (!(acl in CANNED_READ_ACLS)) throw new S3Error('InvalidArgument', `Unsupported canned ACL: ${acl}`, { ArgumentName: 'x-amz-acl' });
    if (CANNED_READ_ACLS[acl]) headers['x-container-read'] = CANNED_READ_ACLS[acl]!;
  }
  const res = await swift(ctx, req, { method: 'PUT', container: bucket, headers });
  if (res.status === 202) throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: bucket });
  if (res.status !== 201) throw fromSwiftStatus(res.status, { bucket });
  return { status: 200, headers: { location: `/${bucket}`, 'content-length': '0' } };
};
