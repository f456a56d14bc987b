// ListObjects (GET /<bucket>) and ListObjectsV2 (GET /<bucket>?list-type=2): a page of the
// container listing (limit = max-keys + 1 tells whether more follow), with prefix, a
// one-character delimiter rolled up into CommonPrefixes, marker / start-after /
// continuation-token, fetch-owner, and encoding-type=url. A multipart object's S3 ETag
// lives in its system metadata, so those rows (only those) are looked up with a HEAD.
import { owner } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { SYSMETA_S3_ETAG, listingTime, quoteEtag } from '../objects.js';
import { drainBody, isSuccess, responseText, swift, xmlResponse, type Command, type S3Context, type S3Request } from '../request.js';
import { uriEncode } from '../signature-v4.js';
import { toXml } from '../xml.js';

const MAX_KEYS = 1000;
const HEAD_CONCURRENCY = 8;

interface Row {
  name?: string;
  subdir?: string;
  hash?: string;
  bytes?: number;
  last_modified?: string;
  slo_etag?: string;
}

function maxKeysOf(req: S3Request): number {
  const text = req.query.get('max-keys');
  if (text === undefined) return MAX_KEYS;
  if (!/^\d+$/.test(text)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: text });
  return Math.min(MAX_KEYS, Number(text));
}

/** The ETag S3 shows for each object row: the MD5, or a multipart object's own ETag. */
async function etagsOf(ctx: S3Context, req: S3Request, bucket: string, rows: Row[]): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  const large = rows.filter((r) => r.name !== undefined && r.slo_etag !== undefined);
  for (let i = 0; i < large.length; i += HEAD_CONCURRENCY) {
    await Promise.all(
      large.slice(i, i + HEAD_CONCURRENCY).map(async (row) => {
        const head = await swift(ctx, req, { method: 'HEAD', container: bucket, object: row.name! });
        drainBody(head);
        const etag = head.headers[SYSMETA_S3_ETAG] ?? row.slo_etag;
        if (etag) etags.set(row.name!, quoteEtag(etag.replace(/^"(.*)"$/, '$1')));
      }),
    );
  }
  for (const row of rows) if (row.name !== undefined && !etags.has(row.name)) etags.set(row.name, quoteEtag(row.hash ?? ''));
  return etags;
}

export function listObjects(version: 1 | 2): Command {
  return async (ctx, req) => {
    const bucket = req.bucket!;
    const maxKeys = maxKeysOf(req);
    const prefix = req.query.get('prefix') ?? '';
    const delimiter = req.query.get('delimiter') ?? '';
    const encodingType = req.query.get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
    }
    if ([...delimiter].length > 1) throw new S3Error('NotImplemented', 'Only one-character delimiters are supported.');
    const token = req.query.get('continuation-token');
    let marker: string;
    if (version === 2) {
      marker = req.query.get('start-after') ?? '';
      if (token !== undefined) {
        marker = Buffer.from(token, 'base64url').toString('utf8');
        if (token === '' || Buffer.from(marker, 'utf8').toString('base64url') !== token) {
          throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
        }
      }
    } else {
      marker = req.query.get('marker') ?? '';
    }
    let rows: Row[] = [];
    if (maxKeys > 0) {
      const query: Record<string, string> = { format: 'json', limit: String(maxKeys + 1) };
      if (prefix) query.prefix = prefix;
      if (delimiter) query.delimiter = delimiter;
      if (marker) query.marker = marker;
      const res = await swift(ctx, req, { method: 'GET', container: bucket, query });
      if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
      rows = res.status === 204 ? [] : (JSON.parse(await responseText(res)) as Row[]);
    } else {
      const res = await swift(ctx, req, { method: 'HEAD', container: bucket });
      drainBody(res);
      if (!isSuccess(res.status)) throw fromSwiftStatus(res.status, { bucket });
    }
    const truncated = rows.length > maxKeys;
    rows = rows.slice(0, maxKeys);
    const last = rows[rows.length - 1];
    const next = last ? (last.name ?? last.subdir!) : '';
    const enc = (s: string) => (encodingType === 'url' ? uriEncode(s, true) : s);
    const etags = await etagsOf(ctx, req, bucket, rows);
    const showOwner = version === 1 || req.query.get('fetch-owner') === 'true';
    const contents = rows
      .filter((r) => r.name !== undefined)
      .map((r) => ({
        Key: enc(r.name!),
        LastModified: listingTime(r.last_modified),
        ETag: etags.get(r.name!)!,
        Size: r.bytes ?? 0,
        ...(showOwner ? { Owner: owner(req) } : {}),
        StorageClass: 'STANDARD',
      }));
    const prefixes = rows.filter((r) => r.subdir !== undefined).map((r) => ({ Prefix: enc(r.subdir!) }));
    const body: Record<string, unknown> = { Name: bucket, Prefix: enc(prefix) };
    if (version === 1) {
      body.Marker = enc(marker);
      if (truncated) body.NextMarker = enc(next);
    } else {
      if (req.query.has('start-after')) body.StartAfter = enc(req.query.get('start-after')!);
      if (token !== undefined) body.ContinuationToken = token;
      if (truncated) body.NextContinuationToken = Buffer.from(next, 'utf8').toString('base64url');
      body.KeyCount = contents.length + prefixes.length;
    }
    body.MaxKeys = maxKeys;
    if (delimiter) body.Delimiter = enc(delimiter);
    if (encodingType) body.EncodingType = encodingType;
    body.IsTruncated = truncated;
    if (contents.length) body.Contents = contents;
    if (prefixes.length) body.CommonPrefixes = prefixes;
    return xmlResponse(toXml('ListBucketResult', body));
  };
}
