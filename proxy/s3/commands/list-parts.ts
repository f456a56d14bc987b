// ListParts (GET /<bucket>/<key>?uploadId=U): the upload's stored parts in order, paged by
// max-parts (≤ 1000) and part-number-marker.
import { owner } from '../buckets.js';
import { S3Error } from '../errors.js';
import { requireUpload, storedParts, uploadIdOf } from '../multipart.js';
import { listingTime, quoteEtag } from '../objects.js';
import { xmlResponse, type Command, type S3Request } from '../request.js';
import { toXml } from '../xml.js';

const MAX_PARTS = 1000;

function integerParam(req: S3Request, name: string, fallback: number): number {
  const text = req.query.get(name);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: text });
  return Number(text);
}

export const listParts: Command = async (ctx, req) => {
  const uploadId = uploadIdOf(req);
  const maxParts = Math.min(MAX_PARTS, integerParam(req, 'max-parts', MAX_PARTS));
  const after = integerParam(req, 'part-number-marker', 0);
  await requireUpload(ctx, req, uploadId);
  const parts = after <= 10_000 ? await storedParts(ctx, req, uploadId, after) : [];
  const page = parts.slice(0, maxParts);
  const truncated = parts.length > maxParts;
  const body: Record<string, unknown> = {
    Bucket: req.bucket!,
    Key: req.key!,
    UploadId: uploadId,
    Initiator: owner(req),
    Owner: owner(req),
    StorageClass: 'STANDARD',
    PartNumberMarker: after,
    ...(page.length ? { NextPartNumberMarker: page[page.length - 1]!.partNumber } : {}),
    MaxParts: maxParts,
    IsTruncated: truncated,
  };
  if (page.length) {
    body.Part = page.map((p) => ({ PartNumber: p.partNumber, LastModified: listingTime(p.lastModified), ETag: quoteEtag(p.etag), Size: p.size }));
  }
  return xmlResponse(toXml('ListPartsResult', body));
};
