// ListObjectVersions (GET /<bucket>?versions): every version and delete marker, keys
// ascending and each key's versions newest first, merged from the bucket's container (the
// latest version of each key, a HEAD each for its version id) and the versions container
// (older versions and delete markers, whose names carry the version's timestamp). prefix,
// delimiter (any length; rolled-up prefixes count as one entry), key-marker and
// version-id-marker (exclusive: the listing resumes after that version), max-keys (≤ 1000)
// and encoding-type=url. Version and DeleteMarker entries are written interleaved, in
// S3's order, which is why this answer's XML is assembled here rather than by the builder.
import { owner } from '../buckets.js';
import { S3Error } from '../errors.js';
import { SYSMETA_S3_ETAG, listingTime, quoteEtag } from '../objects.js';
import { drainBody, isSuccess, swift, xmlResponse, type Command, type S3Context, type S3Request } from '../request.js';
import { uriEncode } from '../signature-v4.js';
import {
  archiveName,
  checkVersionId,
  listRows,
  parseArchived,
  versionIdOf,
  versionTime,
  versionTsOf,
  versioningState,
  versionsContainer,
  type Archived,
  type Row,
} from '../versioning.js';
import { S3_XMLNS } from '../xml.js';

const MAX_KEYS = 1000;

interface Entry {
  key: string;
  versionId: string;
  isLatest: boolean;
  lastModified: string;
  deleteMarker: boolean;
  etag?: string;
  size?: number;
}

type Item = { entry: Entry } | { prefix: string };

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
const element = (name: string, value: string | number | boolean) => `<${name}>${escapeXml(String(value))}</${name}>`;

function maxKeysOf(req: S3Request): number {
  const text = req.query.get('max-keys');
  if (text === undefined) return MAX_KEYS;
  if (!/^\d+$/.test(text)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: text });
  return Math.min(MAX_KEYS, Number(text));
}

/** The plain (latest) object of a listing row as a version entry: its version id needs a HEAD. */
async function plainEntry(ctx: S3Context, req: S3Request, bucket: string, row: Row): Promise<Entry | null> {
  const head = await swift(ctx, req, { method: 'HEAD', container: bucket, object: row.name! });
  drainBody(head);
  if (!isSuccess(head.status)) return null; // gone since it was listed
  const etag = head.headers[SYSMETA_S3_ETAG] ?? head.headers.etag ?? row.hash ?? '';
  const own = head.headers['x-object-sysmeta-s3-version-id'];
  return {
    key: row.name!,
    versionId: versionIdOf(head.headers),
    isLatest: true,
    lastModified: own !== undefined ? versionTime(versionTsOf(head.headers)) : listingTime(row.last_modified),
    deleteMarker: false,
    etag: quoteEtag(etag.replace(/^"(.*)"$/, '$1')),
    size: Number(head.headers['content-length'] ?? row.bytes ?? 0),
  };
}

async function archivedEntry(ctx: S3Context, req: S3Request, bucket: string, archived: Archived, isLatest: boolean): Promise<Entry> {
  if (archived.deleteMarker) return { key: archived.key, versionId: archived.versionId, isLatest, lastModified: versionTime(archived.ts), deleteMarker: true };
  let etag = archived.row.hash ?? '';
  if (archived.row.slo_etag !== undefined) {
    // A multipart object's S3 ETag is in its system metadata.
    const head = await swift(ctx, req, { method: 'HEAD', container: versionsContainer(bucket), object: archived.name });
    drainBody(head);
    etag = head.headers[SYSMETA_S3_ETAG] ?? archived.row.slo_etag;
  }
  return {
    key: archived.key,
    versionId: archived.versionId,
    isLatest,
    lastModified: versionTime(archived.ts),
    deleteMarker: false,
    etag: quoteEtag(etag.replace(/^"(.*)"$/, '$1')),
    size: archived.row.bytes ?? 0,
  };
}

/** One key's versions, newest first: the plain object's (if any), then the archived ones. */
async function* keyGroups(ctx: S3Context, req: S3Request, bucket: string, prefix: string, keyMarker: string, versionMarker: string | undefined) {
  // Where each listing starts. With a version-id marker, the key-marker's own versions
  // after it are listed first; otherwise listing resumes after every version of it.
  let plainMarker = keyMarker;
  let archiveMarker = keyMarker ? `${keyMarker}\x02` : '';
  let skipPlainOf: string | undefined;
  let resume: { key: string; versionId: string } | undefined;
  if (keyMarker && versionMarker !== undefined) {
    plainMarker = keyMarker;
    archiveMarker = keyMarker;
    skipPlainOf = keyMarker;
    resume = { key: keyMarker, versionId: versionMarker };
    if (versionMarker !== 'null') {
      // Versions of the marker key older than the marker: after its archive name.
      archiveMarker = archiveName(keyMarker, versionMarker);
      resume = undefined;
    }
  }
  const plain = listRows(ctx, req, bucket, prefix, plainMarker)[Symbol.asyncIterator]();
  const archive = listRows(ctx, req, versionsContainer(bucket), prefix, archiveMarker)[Symbol.asyncIterator]();
  let plainHead = (await plain.next()).value as Row | undefined;
  let archiveHead: Archived | null | undefined;
  const nextArchived = async () => {
    for (;;) {
      const r = await archive.next();
      if (r.done) return undefined;
      const parsed = parseArchived(r.value as Row);
      if (parsed) return parsed;
    }
  };
  archiveHead = await nextArchived();
  while (plainHead !== undefined || archiveHead !== undefined) {
    const plainKey = plainHead?.name;
    const key = plainKey !== undefined && (archiveHead === undefined || plainKey <= archiveHead.key) ? plainKey : archiveHead!.key;
    let current: Row | undefined;
    if (plainKey === key) {
      current = plainHead;
      plainHead = (await plain.next()).value as Row | undefined;
      if (plainHead?.name === undefined) plainHead = undefined;
    }
    const archived: Archived[] = [];
    while (archiveHead !== undefined && archiveHead.key === key) {
      archived.push(archiveHead);
      archiveHead = await nextArchived();
    }
    // A version-id marker of the marker key: its plain version is already listed.
    if (skipPlainOf === key) current = undefined;
    yield { key, current, archived, resumeAfter: resume?.key === key ? resume.versionId : undefined, continuing: skipPlainOf === key };
  }
}

export const listObjectVersions: Command = async (ctx, req) => {
  const bucket = req.bucket!;
  const maxKeys = maxKeysOf(req);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const keyMarker = req.query.get('key-marker') ?? '';
  const versionMarkerText = req.query.get('version-id-marker');
  const versionMarker = versionMarkerText === undefined || versionMarkerText === '' ? undefined : versionMarkerText;
  const encodingType = req.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  if (versionMarker !== undefined) {
    if (keyMarker === '') {
      throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionMarker });
    }
    checkVersionId(versionMarker, 'version-id-marker');
  }
  await versioningState(ctx, req, bucket); // NoSuchBucket

  const items: Item[] = [];
  let truncated = false;
  let lastPrefix: string | undefined;
  // A key-marker that is a rolled-up prefix resumes after everything under it.
  const skipUnder = delimiter && keyMarker.startsWith(prefix) && keyMarker.endsWith(delimiter) ? keyMarker : undefined;
  const push = (item: Item): boolean => {
    if (items.length >= maxKeys) {
      truncated = true;
      return false;
    }
    items.push(item);
    return true;
  };
  if (maxKeys > 0) {
    groups: for await (const group of keyGroups(ctx, req, bucket, prefix, keyMarker, versionMarker)) {
      if (skipUnder !== undefined && group.key.startsWith(skipUnder)) continue;
      if (delimiter) {
        const at = group.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = group.key.slice(0, at + delimiter.length);
          if (common === lastPrefix) continue;
          lastPrefix = common;
          if (!push({ prefix: common })) break;
          continue;
        }
      }
      const entries: Entry[] = [];
      let first = !group.continuing;
      if (group.current) {
        const entry = await plainEntry(ctx, req, bucket, group.current);
        if (entry) {
          entries.push(entry);
          first = false;
        }
      }
      const plainId = entries[0]?.versionId;
      for (const archived of group.archived) {
        // An archive copy of the plain version (a write that failed after archiving) is one version.
        if (archived.versionId === plainId) continue;
        entries.push(await archivedEntry(ctx, req, bucket, archived, first));
        first = false;
      }
      let list = entries;
      if (group.resumeAfter !== undefined) {
        // Resuming after the null version: after its archived copy, or (when it is the
        // plain, latest version, already skipped) with every archived one.
        const at = list.findIndex((e) => e.versionId === group.resumeAfter);
        if (at >= 0) list = list.slice(at + 1);
      }
      for (const entry of list) if (!push({ entry })) break groups;
    }
  }

  const enc = (s: string) => (encodingType === 'url' ? uriEncode(s, true) : s);
  const me = owner(req);
  const ownerXml = `<Owner>${element('ID', me.ID)}${element('DisplayName', me.DisplayName)}</Owner>`;
  const parts: string[] = [element('Name', bucket), element('Prefix', enc(prefix)), element('KeyMarker', enc(keyMarker)), element('VersionIdMarker', versionMarker ?? '')];
  if (truncated) {
    const last = items[items.length - 1]!;
    if ('entry' in last) {
      parts.push(element('NextKeyMarker', enc(last.entry.key)), element('NextVersionIdMarker', last.entry.versionId));
    } else {
      parts.push(element('NextKeyMarker', enc(last.prefix)));
    }
  }
  parts.push(element('MaxKeys', maxKeys));
  if (delimiter) parts.push(element('Delimiter', enc(delimiter)));
  if (encodingType) parts.push(element('EncodingType', encodingType));
  parts.push(element('IsTruncated', truncated));
  for (const item of items) {
    if (!('entry' in item)) continue;
    const e = item.entry;
    const common = element('Key', enc(e.key)) + element('VersionId', e.versionId) + element('IsLatest', e.isLatest) + element('LastModified', e.lastModified);
    parts.push(
      e.deleteMarker
        ? `<DeleteMarker>${common}${ownerXml}</DeleteMarker>`
        : `<Version>${common}${element('ETag', e.etag!)}${element('Size', e.size!)}${element('StorageClass', 'STANDARD')}${ownerXml}</Version>`,
    );
  }
  for (const item of items) if ('prefix' in item) parts.push(`<CommonPrefixes>${element('Prefix', enc(item.prefix))}</CommonPrefixes>`);
  return xmlResponse(`<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="${S3_XMLNS}">${parts.join('')}</ListVersionsResult>`);
};

