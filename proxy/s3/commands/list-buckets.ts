// ListBuckets (GET /): the caller's account listing, without the hidden segments and
// versions containers, paged as AWS pages it: prefix, max-buckets (1–10,000, and never more than
// 10,000 without it) and an opaque continuation-token. The account listing is read one
// backend page at a time and reading stops once the answer is full, so a request costs
// at most one page beyond what it returns, however many buckets the account has.
import { SEGMENTS_SUFFIX, owner } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { listingTime } from '../objects.js';
import { isSuccess, responseText, swift, xmlResponse, type Command } from '../request.js';
import { VERSIONS_SUFFIX } from '../versioning.js';
import { toXml } from '../xml.js';

const MAX_BUCKETS = 10_000;

/** The token is the last bucket name returned, encoded so clients treat it as opaque. */
const encodeToken = (name: string) => Buffer.from(name, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  const name = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (name === '' || encodeToken(name) !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
  }
  return name;
}

export const listBuckets: Command = async (ctx, req) => {
  const prefix = req.query.get('prefix') ?? '';
  const maxText = req.query.get('max-buckets');
  if (maxText !== undefined && !(/^\d{1,5}$/.test(maxText) && Number(maxText) >= 1 && Number(maxText) <= MAX_BUCKETS)) {
    throw new S3Error('InvalidArgument', `max-buckets must be an integer between 1 and ${MAX_BUCKETS}`, { ArgumentName: 'max-buckets', ArgumentValue: maxText });
  }
  const maxBuckets = maxText === undefined ? MAX_BUCKETS : Number(maxText);
  const token = req.query.get('continuation-token');
  let marker = token !== undefined ? decodeToken(token) : '';
  const pageSize = ctx.config.account_listing_limit;

  const buckets: Array<{ Name: string; CreationDate: string }> = [];
  let truncated = false;
  pages: for (;;) {
    const query: Record<string, string> = { format: 'json', limit: String(pageSize), ...(prefix ? { prefix } : {}), ...(marker ? { marker } : {}) };
    const res = await swift(ctx, req, { method: 'GET', query });
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status);
    const rows = res.status === 204 ? [] : (JSON.parse(await responseText(res)) as Array<{ name: string; last_modified?: string }>);
    for (const row of rows) {
      if (row.name.endsWith(SEGMENTS_SUFFIX) || row.name.endsWith(VERSIONS_SUFFIX)) continue;
      if (buckets.length >= maxBuckets) {
        truncated = true;
        break pages;
      }
      buckets.push({ Name: row.name, CreationDate: listingTime(row.last_modified) });
    }
    if (rows.length < pageSize) break;
    marker = rows[rows.length - 1]!.name;
  }
  return xmlResponse(
    toXml('ListAllMyBucketsResult', {
      Owner: owner(req),
      Buckets: buckets.length ? { Bucket: buckets } : '',
      ...(truncated ? { ContinuationToken: encodeToken(buckets[buckets.length - 1]!.Name) } : {}),
      ...(prefix ? { Prefix: prefix } : {}),
    }),
  );
};
