// ListBuckets (GET /): the caller's account listing, without the hidden segments containers.
import { SEGMENTS_SUFFIX, owner } from '../buckets.js';
import { fromSwiftStatus } from '../errors.js';
import { listingTime } from '../objects.js';
import { isSuccess, responseText, swift, xmlResponse, type Command } from '../request.js';
import { toXml } from '../xml.js';

const PAGE = 10_000;

export const listBuckets: Command = async (ctx, req) => {
  const buckets: Array<{ Name: string; CreationDate: string }> = [];
  let marker = '';
  for (;;) {
    const res = await swift(ctx, req, { method: 'GET', query: { format: 'json', limit: String(PAGE), ...(marker ? { marker } : {}) } });
    if (!isSuccess(res.status)) throw fromSwiftStatus(res.status);
    const rows = res.status === 204 ? [] : (JSON.parse(await responseText(res)) as Array<{ name: string; last_modified?: string }>);
    for (const row of rows) {
      if (!row.name.endsWith(SEGMENTS_SUFFIX)) buckets.push({ Name: row.name, CreationDate: listingTime(row.last_modified) });
    }
    if (rows.length < PAGE) break;
    marker = rows[rows.length - 1]!.name;
  }
  return xmlResponse(toXml('ListAllMyBucketsResult', { Owner: owner(req), Buckets: buckets.length ? { Bucket: buckets } : '' }));
};
