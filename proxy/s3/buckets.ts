// Buckets as Swift containers of the caller's account: S3's naming rules, the lookup
// that tells NoSuchBucket from NoSuchKey, the hidden "<bucket>+segments" container that
// holds multipart parts (a name no bucket can have), and the owner element of listings.
import { S3Error, fromSwiftStatus } from './errors.js';
import { drainBody, isSuccess, responseText, swift, type S3Context, type S3Request } from './request.js';

export const SEGMENTS_SUFFIX = '+segments';
export const segmentsContainer = (bucket: string) => `${bucket}${SEGMENTS_SUFFIX}`;

/** S3's rules for new buckets (DNS-compatible names): 3–63 of a-z 0-9 . -, no "..", not an IP address. */
export function checkBucketName(name: string): void {
  const valid =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  if (!valid) throw new S3Error('InvalidBucketName', undefined, { BucketName: name });
}

/** The bucket's container must exist: NoSuchBucket otherwise. Returns its Swift headers. */
export async function requireBucket(ctx: S3Context, req: S3Request, bucket = req.bucket!): Promise<Record<string, string>> {
  const res = await swift(ctx, req, { method: 'HEAD', container: bucket });
  drainBody(res);
  if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
  return res.headers;
}

export const owner = (req: S3Request) => ({ ID: req.user, DisplayName: req.user });

/**
 * A container's JSON listing under `prefix` after `marker` (exclusive), one backend page at
 * a time, in name order; nothing when the container does not exist. Errors name `bucket`.
 */
export async function* containerPages<Row extends { name?: string; subdir?: string }>(
  ctx: S3Context,
  req: S3Request,
  container: string,
  options: { prefix: string; marker: string; pageSize: number; bucket: string },
): AsyncGenerator<Row[]> {
  let marker = options.marker;
  for (;;) {
    const query: Record<string, string> = { format: 'json', limit: String(options.pageSize) };
    if (options.prefix) query.prefix = options.prefix;
    if (marker) query.marker = marker;
    const res = await swift(ctx, req, { method: 'GET', container, query });
    if (res.status === 404) {
      drainBody(res);
      return;
    }
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket: options.bucket });
    const page = res.status === 204 ? [] : (JSON.parse(await responseText(res)) as Row[]);
    if (page.length > 0) yield page;
    if (page.length < options.pageSize) return;
    const last = page[page.length - 1]!;
    marker = last.name ?? last.subdir!;
  }
}
