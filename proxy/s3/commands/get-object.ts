// GetObject and HeadObject (GET/HEAD /<bucket>/<key>): a Swift object GET/HEAD with
// Range and the conditional headers (evaluated by the object servers), the answer's
// headers in S3's form, and response-* query overrides of the content headers.
import { requireBucket } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { s3ObjectHeaders } from '../objects.js';
import { drainBody, swift, type Command } from '../request.js';

const PASSED_HEADERS = ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'];
const OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];

export const getObject: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  if (req.query.has('partNumber')) throw new S3Error('NotImplemented', 'GET by partNumber is not supported.');
  const headers: Record<string, string> = {};
  for (const name of PASSED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name]!;
  const res = await swift(ctx, req, { method: req.method, container: bucket, object: key, headers });
  if (res.status === 404) {
    drainBody(res);
    await requireBucket(ctx, req);
    throw new S3Error('NoSuchKey', undefined, { Key: key });
  }
  if (res.status === 304) {
    drainBody(res);
    const shown = s3ObjectHeaders(res.headers);
    return { status: 304, headers: { ...(shown.etag ? { etag: shown.etag } : {}), ...(shown['last-modified'] ? { 'last-modified': shown['last-modified'] } : {}) } };
  }
  if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: req.headers['if-match'] ? 'If-Match' : 'If-Unmodified-Since' });
  if (res.status === 416) throw new S3Error('InvalidRange', undefined, { RangeRequested: req.headers.range ?? '' });
  if (res.status < 200 || res.status >= 300) throw fromSwiftStatus(res.status, { bucket, key });
  const out = s3ObjectHeaders(res.headers);
  for (const name of OVERRIDES) {
    const value = req.query.get(`response-${name}`);
    if (value !== undefined) out[name] = value;
  }
  return { status: res.status, headers: out, body: req.method === 'HEAD' ? null : (res.body ?? null) };
};
