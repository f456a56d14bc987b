// GetBucketLocation (GET /<bucket>?location): the cluster's one region (empty for us-east-1, as S3).
import { requireBucket } from '../buckets.js';
import { xmlResponse, type Command } from '../request.js';
import { toXml } from '../xml.js';

export const getBucketLocation: Command = async (ctx, req) => {
  await requireBucket(ctx, req);
  const region = ctx.config.s3_region === 'us-east-1' ? '' : ctx.config.s3_region;
  return xmlResponse(toXml('LocationConstraint', { '#text': region }));
};
