// ListMultipartUploads (GET /<bucket>?uploads): the upload markers of the segments
// container, sorted by key then upload id, with prefix, a one-character delimiter rolled
// up into CommonPrefixes, key-marker / upload-id-marker and max-uploads (≤ 1000).
import { owner, requireBucket } from '../buckets.js';
import { S3Error } from '../errors.js';
import { parseMarkerName, segmentPages, type UploadMarker } from '../multipart.js';
import { listingTime } from '../objects.js';
import { xmlResponse, type Command } from '../request.js';
import { uriEncode } from '../signature-v4.js';
import { toXml } from '../xml.js';

const MAX_UPLOADS = 1000;

export const listMultipartUploads: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const keyMarker = req.query.get('key-marker') ?? '';
  const uploadIdMarker = req.query.get('upload-id-marker') ?? '';
  const encodingType = req.query.get('encoding-type');
  const maxText = req.query.get('max-uploads');
  if (maxText !== undefined && !/^\d{1,9}$/.test(maxText)) {
    throw new S3Error('InvalidArgument', 'Provided max-uploads not an integer or within integer range', { ArgumentName: 'max-uploads', ArgumentValue: maxText });
  }
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  if ([...delimiter].length > 1) throw new S3Error('NotImplemented', 'Only one-character delimiters are supported.');
  const maxUploads = Math.min(MAX_UPLOADS, maxText === undefined ? MAX_UPLOADS : Number(maxText));
  await requireBucket(ctx, req);

  // Uploads and common prefixes together count against max-uploads, in key order. Only the
  // first max-uploads + 1 entries are kept (the extra one says the answer is truncated),
  // and the segments listing is read page by page until no later row can change them.
  const best = new SmallestEntries(maxUploads + 1);
  // A key marker that is a rolled-up prefix (the last page ended on it) skips all its keys.
  const skipPrefix = delimiter && keyMarker.endsWith(delimiter) ? keyMarker : undefined;
  // Every upload sorting after the key marker is named after it too (see mayStillCome).
  for await (const page of segmentPages(ctx, req, prefix, keyMarker > prefix ? keyMarker : '')) {
    for (const row of page) {
      const upload = parseMarkerName(row.name);
      if (!upload || !upload.key.startsWith(prefix)) continue;
      const after = upload.key > keyMarker || (upload.key === keyMarker && uploadIdMarker !== '' && upload.uploadId > uploadIdMarker);
      if (!after || (skipPrefix !== undefined && upload.key.startsWith(skipPrefix))) continue;
      const cut = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
      best.offer(cut >= 0 ? { prefix: upload.key.slice(0, cut + delimiter.length) } : { upload: { ...upload, initiated: row.last_modified } });
    }
    const largest = best.full ? best.largest : undefined;
    if (largest !== undefined && !mayStillCome(entryKey(largest), page[page.length - 1]!.name, prefix.length)) break;
  }
  const entries = best.entries.slice(0, maxUploads);
  const truncated = best.entries.length > maxUploads;
  const last = entries[entries.length - 1];
  const lastKey = last === undefined ? '' : entryKey(last);
  const lastUploadId = last !== undefined && 'upload' in last ? last.upload.uploadId : '';
  const enc = (s: string) => (encodingType === 'url' ? uriEncode(s, true) : s);
  const body: Record<string, unknown> = {
    Bucket: bucket,
    KeyMarker: enc(keyMarker),
    UploadIdMarker: uploadIdMarker,
    ...(truncated ? { NextKeyMarker: enc(lastKey), NextUploadIdMarker: lastUploadId } : {}),
    ...(prefix ? { Prefix: enc(prefix) } : {}),
    ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
    ...(encodingType ? { EncodingType: encodingType } : {}),
    MaxUploads: maxUploads,
    IsTruncated: truncated,
  };
  const list = entries.flatMap((e) => ('upload' in e ? [e.upload] : []));
  if (list.length) {
    body.Upload = list.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      Initiator: owner(req),
      Owner: owner(req),
      StorageClass: 'STANDARD',
      Initiated: listingTime(u.initiated),
    }));
  }
  const prefixes = entries.flatMap((e) => ('prefix' in e ? [{ Prefix: enc(e.prefix) }] : []));
  if (prefixes.length) body.CommonPrefixes = prefixes;
  return xmlResponse(toXml('ListMultipartUploadsResult', body));
};

type Entry = { upload: UploadMarker } | { prefix: string };
const entryKey = (e: Entry) => ('upload' in e ? e.upload.key : e.prefix);

/** S3's order: by key (a common prefix by itself), then by upload id. */
function compareEntries(a: Entry, b: Entry): number {
  const ka = entryKey(a);
  const kb = entryKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  const ua = 'upload' in a ? a.upload.uploadId : '';
  const ub = 'upload' in b ? b.upload.uploadId : '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** The `capacity` smallest entries offered, sorted, each common prefix once. */
class SmallestEntries {
  readonly entries: Entry[] = [];
  constructor(private readonly capacity: number) {}

  get full(): boolean {
    return this.entries.length >= this.capacity;
  }

  get largest(): Entry | undefined {
    return this.entries[this.entries.length - 1];
  }

  offer(entry: Entry): void {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareEntries(this.entries[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    const at = this.entries[lo];
    if (at !== undefined && compareEntries(at, entry) === 0) return; // a prefix already rolled up
    if (lo >= this.capacity) return;
    this.entries.splice(lo, 0, entry);
    if (this.entries.length > this.capacity) this.entries.pop();
  }
}

/**
 * Whether a row named after `lastName` could still hold a key sorting before `key`. Rows
 * are named "<key>/<upload id>", so the listing is in key order except where a key is a
 * prefix of another followed by a character below "/" ("a" sorts before "a-b", yet
 * "a-b/…" is listed before "a/…"). So the only keys that can still come are the proper
 * prefixes p of `key` (at least the listing's prefix long) with such a character after
 * them, and they are all listed by the end of the shortest one's "p/" rows.
 */
function mayStillCome(key: string, lastName: string, minLength: number): boolean {
  for (let i = minLength; i < key.length; i++) {
    if (key[i]! < '/') {
      const rows = `${key.slice(0, i)}/`;
      return lastName < rows || lastName.startsWith(rows);
    }
  }
  return false;
}
