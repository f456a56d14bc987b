// GetObjectAttributes (GET /<bucket>/<key>?attributes, x-amz-object-attributes): the ETag
// (unquoted, as S3 gives it here), size, storage class and, for a multipart object, its
// parts (numbers and sizes from the manifest), paged by max-parts / part-number-marker.
import { S3Error } from '../errors.js';
import { objectParts } from '../multipart.js';
import { s3ObjectHeaders } from '../objects.js';
import { xmlResponse, type Command } from '../request.js';
import { toXml } from '../xml.js';

const KNOWN = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);
const MAX_PARTS = 1000;

export const getObjectAttributes: Command = async (ctx, req) => {
  const wanted = (req.headers['x-amz-object-attributes'] ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (wanted.length === 0) throw new S3Error('InvalidArgument', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', { ArgumentName: 'x-amz-object-attributes' });
  const unknown = wanted.find((a) => !KNOWN.has(a));
  if (unknown) throw new S3Error('InvalidArgument', `Invalid attribute name specified: ${unknown}`, { ArgumentName: 'x-amz-object-attributes', ArgumentValue: unknown });
  const maxText = req.headers['x-amz-max-parts'];
  const markerText = req.headers['x-amz-part-number-marker'];
  for (const [name, text] of [['x-amz-max-parts', maxText], ['x-amz-part-number-marker', markerText]] as const) {
    if (text !== undefined && !/^\d{1,9}$/.test(text)) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { ArgumentName: name, ArgumentValue: text });
  }
  const maxParts = Math.min(MAX_PARTS, maxText === undefined ? MAX_PARTS : Number(maxText));
  const after = markerText === undefined ? 0 : Number(markerText);

  const { headers, parts } = await objectParts(ctx, req);
  const sizes = parts ?? [];
  const shown = s3ObjectHeaders(headers);
  const size = parts ? parts.reduce((a, b) => a + b, 0) : Number(headers['content-length'] ?? 0);

  const body: Record<string, unknown> = {};
  if (wanted.includes('ETag')) body.ETag = (shown.etag ?? '').replace(/^"(.*)"$/, '$1');
  if (wanted.includes('ObjectParts') && parts) {
    const page = sizes.map((s, i) => ({ PartNumber: i + 1, Size: s })).filter((p) => p.PartNumber > after).slice(0, maxParts);
    const last = page[page.length - 1];
    body.ObjectParts = {
      // The SDKs call it TotalPartsCount; on the wire it is PartsCount.
      PartsCount: sizes.length,
      PartNumberMarker: after,
      ...(last ? { NextPartNumberMarker: last.PartNumber } : {}),
      MaxParts: maxParts,
      IsTruncated: last !== undefined && last.PartNumber < sizes.length,
      ...(page.length ? { Part: page } : {}),
    };
  }
  if (wanted.includes('StorageClass')) body.StorageClass = 'STANDARD';
  if (wanted.includes('ObjectSize')) body.ObjectSize = size;
  const out = xmlResponse(toXml('GetObjectAttributesResponse', body));
  if (shown['last-modified']) out.headers['last-modified'] = shown['last-modified'];
  return out;
};
