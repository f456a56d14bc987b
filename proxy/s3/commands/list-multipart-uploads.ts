// ListMultipartUploads (GET /<bucket>?uploads): the upload markers of the segments
// container, sorted by key then upload id, with prefix, a one-character delimiter rolled
// up into CommonPrefixes, key-marker / upload-id-marker and max-uploads (≤ 1000).
import { owner, requireBucket } from '../buckets.js';
import { S3Error } from '../errors.js';
import { listSegments, parseMarkerName, type UploadMarker } from '../multipart.js';
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

  const uploads: UploadMarker[] = [];
  for (const row of await listSegments(ctx, req, prefix)) {
    const parsed = parseMarkerName(row.name);
    if (parsed && parsed.key.startsWith(prefix)) uploads.push({ ...parsed, initiated: row.last_modified });
  }
  uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  // A key marker that is a rolled-up prefix (the last page ended on it) skips all its keys.
  const skipPrefix = delimiter && keyMarker.endsWith(delimiter) ? keyMarker : undefined;
  const after = uploads.filter(
    (u) =>
      (u.key > keyMarker || (u.key === keyMarker && uploadIdMarker !== '' && u.uploadId > uploadIdMarker)) &&
      !(skipPrefix !== undefined && u.key.startsWith(skipPrefix)),
  );

  // Uploads and common prefixes together count against max-uploads, in key order.
  const entries: Array<{ upload: UploadMarker } | { prefix: string }> = [];
  const seenPrefixes = new Set<string>();
  let truncated = false;
  let lastKey = '';
  let lastUploadId = '';
  for (const upload of after) {
    const cut = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    const rolled = cut >= 0 ? upload.key.slice(0, cut + delimiter.length) : undefined;
    if (rolled !== undefined && seenPrefixes.has(rolled)) continue;
    if (entries.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (rolled !== undefined) {
      seenPrefixes.add(rolled);
      entries.push({ prefix: rolled });
      lastKey = rolled;
      lastUploadId = '';
    } else {
      entries.push({ upload });
      lastKey = upload.key;
      lastUploadId = upload.uploadId;
    }
  }
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
