// HeadBucket (HEAD /<bucket>): whether the container exists and the caller may see it.
import { requireBucket } from '../buckets.js';
import type { Command } from '../request.js';

export const headBucket: Command = async (ctx, req) => {
  await requireBucket(ctx, req);
  return { status: 200, headers: { 'x-amz-bucket-region': ctx.config.s3_region, 'content-length': '0' } };
};
