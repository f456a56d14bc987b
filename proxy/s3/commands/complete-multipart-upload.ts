// CompleteMultipartUpload (POST /<bucket>/<key>?uploadId=U): checks the client's part list
// against the stored parts (InvalidPartOrder, InvalidPart, EntityTooSmall), writes a static
// large object over them whose S3 ETag "<md5 of the binary part md5s>-<N>" is kept in
// system metadata, then removes what is no longer needed: the marker, parts uploaded but
// not listed, and the parts of the multipart object this one replaced.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { segmentsContainer } from '../buckets.js';
import { S3Error, fromSwiftStatus } from '../errors.js';
import { MIN_PART_SIZE, deleteSegments, requireUpload, storedParts, uploadIdOf, uploadMarkerName, type StoredPart } from '../multipart.js';
import { SYSMETA_S3_ETAG, objectWriteHeaders, s3ObjectHeaders } from '../objects.js';
import { readSmallPayload } from '../payload.js';
import { prepareWrite } from '../versioning.js';
import { SYSMETA_TAGGING } from '../tagging.js';
import { ifNoneMatchHeader } from '../write-conditions.js';
import { drainBody, isSuccess, responseText, swift, xmlResponse, type Command, type S3Context, type S3Request } from '../request.js';
import { parseXml, toXml } from '../xml.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface ListedPart {
  partNumber: number;
  etag: string;
}

function listedParts(body: Buffer): ListedPart[] {
  const doc = parseXml(body.toString('utf8'), 'CompleteMultipartUpload');
  const parts = (doc.Part ?? []) as Array<Record<string, unknown>>;
  if (parts.length === 0) throw new S3Error('MalformedXML');
  return parts.map((p) => {
    const number = typeof p.PartNumber === 'string' && /^\d{1,5}$/.test(p.PartNumber) ? Number(p.PartNumber) : NaN;
    if (!Number.isInteger(number) || typeof p.ETag !== 'string') throw new S3Error('MalformedXML');
    return { partNumber: number, etag: p.ETag.replace(/^"(.*)"$/, '$1').toLowerCase() };
  });
}

/** The stored parts the client's list names, in its order, after S3's checks. */
function chooseParts(listed: ListedPart[], stored: StoredPart[], uploadId: string): StoredPart[] {
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', undefined, { UploadId: uploadId });
  }
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const chosen = listed.map((want) => {
    const part = byNumber.get(want.partNumber);
    if (!part || part.etag !== want.etag) {
      throw new S3Error('InvalidPart', undefined, { UploadId: uploadId, PartNumber: String(want.partNumber), ETag: `"${want.etag}"` });
    }
    return part;
  });
  chosen.forEach((part, i) => {
    if (i < chosen.length - 1 && part.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', undefined, {
        ProposedSize: String(part.size),
        MinSizeAllowed: String(MIN_PART_SIZE),
        PartNumber: String(part.partNumber),
        ETag: `"${part.etag}"`,
      });
    }
  });
  return chosen;
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-<count>". */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

/** Segment names (in the bucket's segments container) of the multipart object at the key now, if it is one. */
async function replacedSegments(ctx: S3Context, req: S3Request): Promise<string[]> {
  const bucket = req.bucket!;
  const res = await swift(ctx, req, { method: 'GET', container: bucket, object: req.key!, query: { 'multipart-manifest': 'get' } });
  if (!isSuccess(res.status) || res.headers[SYSMETA_S3_ETAG] === undefined || (res.headers['x-static-large-object'] ?? '').toLowerCase() !== 'true') {
    drainBody(res);
    return [];
  }
  const prefix = `/${segmentsContainer(bucket)}/`;
  const entries = JSON.parse(await responseText(res)) as Array<{ name: string }>;
  return entries.filter((e) => e.name.startsWith(prefix)).map((e) => e.name.slice(prefix.length));
}

export const completeMultipartUpload: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const key = req.key!;
  const uploadId = uploadIdOf(req);
  const listed = listedParts(await readSmallPayload(req.body, req.headers, req, MAX_BODY_BYTES));
  const marker = await requireUpload(ctx, req, uploadId);
  const stored = await storedParts(ctx, req, uploadId);
  const chosen = chooseParts(listed, stored, uploadId);
  if (chosen.length > ctx.config.max_manifest_segments) {
    throw new S3Error('InvalidRequest', `An object may have at most ${ctx.config.max_manifest_segments} parts on this cluster.`);
  }
  const etag = multipartEtag(chosen.map((p) => p.etag));
  const container = segmentsContainer(bucket);
  const manifest = JSON.stringify(chosen.map((p) => ({ path: `/${container}/${p.name}`, etag: p.etag, size_bytes: p.size })));
  const replaced = await replacedSegments(ctx, req);
  // In a bucket with versioning the object replaced is archived (its parts stay in use).
  const versioned = await prepareWrite(ctx, req, bucket, key, { ifNoneMatch: req.headers['if-none-match'] !== undefined });
  try {
    // The marker's stored content headers and metadata, as written at CreateMultipartUpload.
    const shown = s3ObjectHeaders(marker);
    delete shown['content-length'];
    const headers: Record<string, string> = {
      ...objectWriteHeaders(shown),
      [SYSMETA_S3_ETAG]: etag,
      ...(versioned?.headers ?? {}),
      // The x-amz-tagging of CreateMultipartUpload, kept on the marker.
      ...Object.fromEntries(Object.entries(marker).filter(([name]) => name.startsWith(SYSMETA_TAGGING))),
      'content-length': String(Buffer.byteLength(manifest)),
      // If-None-Match: * is evaluated by the object servers (If-Match before: ../write-conditions.ts).
      ...ifNoneMatchHeader(req),
    };
    const res = await swift(ctx, req, {
      method: 'PUT',
      container: bucket,
      object: key,
      query: { 'multipart-manifest': 'put' },
      headers,
      body: Readable.from([Buffer.from(manifest)]),
    });
    drainBody(res);
    if (res.status === 404) throw fromSwiftStatus(404, { bucket });
    if (res.status === 412) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (!isSuccess(res.status)) {
      req.log.warn({ status: res.status, body: typeof res.body === 'string' ? res.body : undefined }, 'multipart manifest refused');
      throw res.status === 400 ? new S3Error('InvalidPart', undefined, { UploadId: uploadId }) : fromSwiftStatus(res.status, { bucket, key });
    }
    const used = new Set(chosen.map((p) => p.name));
    const leftovers = [...stored.map((p) => p.name).filter((n) => !used.has(n)), ...(versioned?.archived ? [] : replaced.filter((n) => !used.has(n))), uploadMarkerName(key, uploadId)];
    await deleteSegments(ctx, req, leftovers);
    const answer = xmlResponse(
      toXml('CompleteMultipartUploadResult', {
        Location: `${req.hostUrl}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`,
        Bucket: bucket,
        Key: key,
        ETag: `"${etag}"`,
      }),
    );
    if (versioned) answer.headers['x-amz-version-id'] = versioned.versionId;
    return answer;
  } finally {
    versioned?.release();
  }
};
