// Static large objects (Swift's slo middleware): PUT ?multipart-manifest=put checks every
// listed segment and stores the manifest (inline data segments included, and with
// ?heartbeat=on answering 202 at once and keeping the connection alive with spaces);
// GET/HEAD of a manifest serve the concatenated segments under the SLO's ETag;
// ?multipart-manifest=get returns the manifest itself (?format=raw: in the PUT format);
// DELETE ?multipart-manifest=delete removes the segments and then the manifest.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isTrue } from '../../common/http.js';
import { quoteName, type SwiftPath } from '../../common/paths.js';
import { readBody } from '../backend.js';
import { ERROR_CONTENT_TYPE, SwiftError, entityTooLarge, reason, statusLine } from '../errors.js';
import { bulkFormat, bulkResponseBody } from './bulk-response.js';
import { checkUploadLength } from './constraints.js';
import { cleanContentType, unquoteEtag } from './headers.js';
import { guessContentType } from './mime.js';
import { rangesForLength } from './ranges.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from './request.js';
import { MAX_NESTING, drain, fetchManifestWhole, segmentedResponse, type Segment } from './segments.js';
import type { Handler, Middleware, Services } from './services.js';
import {
  entryByteRange,
  entryLength,
  isDataEntry,
  parseManifestInput,
  parseStoredManifest,
  rawManifestBody,
  sloEtag,
  storedManifestBody,
  type PutEntry,
  type StoredEntry,
  type StoredObjectEntry,
} from './slo-manifest.js';

const SYSMETA_SLO_ETAG = 'x-object-sysmeta-slo-etag';
const SYSMETA_SLO_SIZE = 'x-object-sysmeta-slo-size';
const LISTING_ETAG_OVERRIDE = 'x-object-sysmeta-container-update-override-etag';
/** slo.py's default `concurrency` for segment HEADs and deletes. */
const CONCURRENCY = 2;
/** Swift's bulk middleware, as slo.py builds it, sends delete keep-alives every 10 s (not the SLO yield_frequency). */
const BULK_YIELD_FREQUENCY_MS = 10_000;
/** What a heartbeat PUT sends between its whitespace and the result (slo.py's separator). */
const HEARTBEAT_SEPARATOR = '\r\n\r\n';

const isSlo = (headers: Record<string, string>) => isTrue(headers['x-static-large-object']);

/** "/container/object" of a manifest entry (leading slashes ignored) as a path in `account`. */
function segmentPath(account: string, name: string): SwiftPath | null {
  const trimmed = name.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) return null;
  return { account, container: trimmed.slice(0, slash), object: trimmed.slice(slash + 1) };
}


/** Concurrency-limited map that keeps the order of its input. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A segment's Last-Modified as slo.py stores it ('%Y-%m-%dT%H:%M:%S.%f'). */
function storedLastModified(lastModified: string | undefined): string {
  const ms = lastModified ? Date.parse(lastModified) : NaN;
  const date = Number.isNaN(ms) ? new Date() : new Date(ms);
  return `${date.toISOString().slice(0, 19)}.000000`;
}

/** An error's own text, as swob's Response.body reads it: empty for an error left to swob's default page. */
const explicitBody = (err: SwiftError) => (err.body === err.message ? err.body : '');

/**
 * '\n'.join(RESPONSE_REASONS[status]): what slo.py reports as "Response Body" for an error
 * it made without a body of its own.
 */
function reasonLines(status: number): string {
  const { title, explanation } = reason(status);
  return explanation ? `${title}\n${explanation}` : title;
}

type Problem = [segment: string, reason: string];

/** What a manifest PUT came to, before it is told to the client. */
type PutOutcome =
  | { kind: 'problems'; problems: Problem[] }
  | { kind: 'etag-mismatch' }
  | { kind: 'stored'; res: SwiftResponse; etag: string }
  | { kind: 'failed'; err: SwiftError };

export function sloMiddleware(s: Services): Middleware {
  async function readManifestBody(req: SwiftRequest): Promise<Buffer> {
    const length = checkUploadLength(req.headers, s.config);
    const tooLarge = () => entityTooLarge(`Manifest File > ${s.config.max_manifest_size} bytes`);
    if (length !== undefined && length > s.config.max_manifest_size) throw tooLarge();
    req.continueBody();
    try {
      return req.body ? await readBody(req.body, s.config.max_manifest_size) : Buffer.alloc(0);
    } catch {
      throw tooLarge();
    }
  }

  /** HEADs one listed segment as the caller (so a nested SLO shows its own size and ETag). */
  async function headSegment(req: SwiftRequest, name: string): Promise<SwiftResponse> {
    const path = segmentPath(req.path.account, name)!;
    try {
      const head = await s.handle(subrequest(req, { method: 'HEAD', path }));
      drain(head);
      return head;
    } catch (err) {
      if (err instanceof SwiftError) return { status: err.status, headers: err.headers };
      throw err;
    }
  }

  /** slo.py's validate_seg_dict: the stored entry and its length, or the entry's problems. */
  function checkSegment(entry: Extract<PutEntry, { path: string }>, head: SwiftResponse, isLast: boolean, problems: Problem[]) {
    const name = quoteName(entry.path);
    if (head.status < 200 || head.status >= 300) {
      problems.push([name, statusLine(head.status)]);
      return null;
    }
    const size = Number(head.headers['content-length'] ?? 0);
    const etag = unquoteEtag(head.headers.etag);
    let length = size;
    let range: string | undefined;
    if (entry.range) {
      const ranges = rangesForLength(entry.range, size);
      if (ranges.length === 0) problems.push([name, 'Unsatisfiable Range']);
      else if (ranges[0]!.first !== 0 || ranges[0]!.last !== size - 1) {
        range = `${ranges[0]!.first}-${ranges[0]!.last}`;
        length = ranges[0]!.last - ranges[0]!.first + 1;
      }
    }
    if (length < 1 && !isLast) problems.push([name, 'Too small; each segment must be at least 1 byte.']);
    if (entry.sizeBytes !== null && entry.sizeBytes !== size) problems.push([name, 'Size Mismatch']);
    if (entry.etag !== null && entry.etag !== etag) problems.push([name, 'Etag Mismatch']);
    const stored: StoredObjectEntry = {
      name: `/${entry.path.replace(/^\/+/, '')}`,
      bytes: size,
      hash: etag,
      content_type: (head.headers['content-type'] ?? '').split(';')[0]!,
      last_modified: storedLastModified(head.headers['last-modified']),
    };
    if (range !== undefined) stored.range = range;
    if (isSlo(head.headers)) stored.sub_slo = true;
    return { stored, length };
  }

  /** HEADs every distinct segment (2 at a time, `beat` after each), then stores the manifest unless something is wrong. */
  async function checkAndStore(req: SwiftRequest, entries: PutEntry[], next: Handler, beat: () => void): Promise<PutOutcome> {
    const paths = [...new Set(entries.flatMap((e) => ('path' in e ? [e.path] : [])))];
    const heads = new Map<string, SwiftResponse>();
    await mapLimit(paths, CONCURRENCY, async (path) => {
      heads.set(path, await headSegment(req, path));
      beat();
    });
    const problems: Problem[] = [];
    const stored = new Array<StoredEntry>(entries.length);
    let total = 0;
    for (const path of paths) {
      entries.forEach((entry, i) => {
        if (!('path' in entry) || entry.path !== path) return;
        const checked = checkSegment(entry, heads.get(path)!, i === entries.length - 1, problems);
        if (checked) {
          stored[i] = checked.stored;
          total += checked.length;
        }
      });
    }
    entries.forEach((entry, i) => {
      if ('data' in entry) {
        stored[i] = { data: entry.data.toString('base64') };
        total += entry.data.length;
      }
    });
    if (problems.length > 0) return { kind: 'problems', problems };
    const etag = sloEtag(stored);
    const clientEtag = req.headers.etag === undefined ? '' : unquoteEtag(req.headers.etag);
    if (clientEtag && clientEtag !== etag) return { kind: 'etag-mismatch' };
    const manifest = storedManifestBody(stored);
    const manifestMd5 = createHash('md5').update(manifest).digest('hex');
    const contentType = req.headers['content-type'] || guessContentType(req.path.object!);
    const headers: Record<string, string> = {
      ...req.headers,
      // The listing shows the large object's size: swift_bytes in its content type.
      'content-type': `${contentType};swift_bytes=${total}`,
      'content-length': String(manifest.length),
      etag: manifestMd5,
      'x-static-large-object': 'True',
      [SYSMETA_SLO_ETAG]: etag,
      [SYSMETA_SLO_SIZE]: String(total),
      [LISTING_ETAG_OVERRIDE]: `${manifestMd5}; slo_etag=${etag}`,
    };
    delete headers['transfer-encoding'];
    const query = new Map(req.query);
    query.delete('multipart-manifest');
    try {
      const res = await next({ ...req, headers, query, body: Readable.from([manifest]), continueBody: () => {} });
      return { kind: 'stored', res, etag };
    } catch (err) {
      if (err instanceof SwiftError) return { kind: 'failed', err };
      throw err;
    }
  }

  async function putManifest(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    if (req.headers['x-copy-from']) throw new SwiftError(405, 'Multipart Manifest PUTs cannot be COPY requests');
    const entries = parseManifestInput(await readManifestBody(req), `${req.path.container}/${req.path.object}`);
    const objectSegments = entries.filter((e) => 'path' in e).length;
    if (objectSegments > s.config.max_manifest_segments) {
      throw entityTooLarge(`Number of object-backed segments must be <= ${s.config.max_manifest_segments}`);
    }
    // A manifest PUT answers in text/plain when Accept is missing, malformed or matches nothing.
    const format = bulkFormat(req.headers.accept) ?? 'text/plain';
    if (isTrue(req.query.get('heartbeat'))) return heartbeatPut(req, entries, next, format);
    const outcome = await checkAndStore(req, entries, next, () => {});
    switch (outcome.kind) {
      case 'problems':
        return { status: 400, headers: { 'content-type': format }, body: bulkResponseBody(format, {}, outcome.problems, 'upload') };
      case 'etag-mismatch':
        throw new SwiftError(422);
      case 'failed':
        throw outcome.err;
      case 'stored': {
        const { res } = outcome;
        const success = res.status >= 200 && res.status < 300;
        return success ? { ...res, headers: { ...res.headers, etag: `"${outcome.etag}"` } } : res;
      }
    }
  }

  /**
   * ?heartbeat=on: 202 at once, a space now and one after each segment check when
   * slo_yield_frequency_ms has passed, then "\r\n\r\n" and the result in the Accept
   * format ("Response Status", "Response Body", "Etag", "Last Modified", "Errors").
   */
  function heartbeatPut(req: SwiftRequest, entries: PutEntry[], next: Handler, format: string): SwiftResponse {
    const body = new Readable({ read() {} });
    body.push(' ');
    let lastBeat = Date.now();
    const beat = () => {
      const now = Date.now();
      if (now - lastBeat > s.config.slo_yield_frequency_ms) {
        body.push(' ');
        lastBeat = now;
      }
    };
    const report = (fields: Record<string, string>, problems: Problem[] = []) =>
      HEARTBEAT_SEPARATOR + bulkResponseBody(format, fields, problems, 'upload');
    checkAndStore(req, entries, next, beat)
      .then(async (outcome) => {
        if (outcome.kind === 'problems') {
          return report({ 'Response Status': statusLine(400), 'Response Body': reasonLines(400) }, outcome.problems);
        }
        if (outcome.kind === 'etag-mismatch') {
          return report({ 'Response Status': statusLine(422), 'Response Body': reasonLines(422) });
        }
        if (outcome.kind === 'failed') {
          return report({ 'Response Status': statusLine(outcome.err.status), 'Response Body': explicitBody(outcome.err) });
        }
        const { res } = outcome;
        const fields: Record<string, string> = { 'Response Status': statusLine(res.status) };
        if (res.status >= 200 && res.status < 300) {
          fields.Etag = `"${outcome.etag}"`;
          fields['Last Modified'] = res.headers['last-modified'] ?? '';
        }
        const resBody = res.body instanceof Readable ? (await readBody(res.body, 64 * 1024)).toString('utf8') : String(res.body ?? '');
        fields['Response Body'] = resBody;
        return report(fields);
      })
      .catch((err: Error) => {
        req.log.error({ err: err.message }, 'SLO heartbeat PUT failed');
        return report({ 'Response Status': statusLine(500), 'Response Body': '' });
      })
      .then((text) => {
        body.push(text);
        body.push(null);
      });
    return { status: 202, headers: { 'content-type': format }, body };
  }

  /** The manifest itself: as stored (application/json), or with ?format=raw in the PUT format under the object's own type. */
  async function manifestResponse(req: SwiftRequest, res: SwiftResponse, next: Handler): Promise<SwiftResponse> {
    if (req.query.get('format') !== 'raw') {
      return { ...res, headers: { ...res.headers, 'content-type': 'application/json; charset=utf-8' } };
    }
    const source = req.method === 'HEAD' ? await next({ ...req, method: 'GET' }) : res;
    const raw = rawManifestBody(await readManifest(source));
    const headers: Record<string, string> = {
      ...res.headers,
      'content-type': cleanContentType(res.headers['content-type'] ?? 'application/octet-stream'),
      'content-length': String(raw.length),
      etag: createHash('md5').update(raw).digest('hex'),
    };
    return { status: 200, headers, body: req.method === 'HEAD' ? null : raw };
  }

  async function readManifest(res: SwiftResponse): Promise<StoredEntry[]> {
    const body = res.body instanceof Readable ? await readBody(res.body, s.config.max_manifest_size * 4) : Buffer.from(res.body ?? '');
    return parseStoredManifest(body);
  }

  /** The manifest's entries as byte ranges of segment objects and inline data. */
  function segmentsOf(account: string, entries: StoredEntry[]): Segment[] {
    return entries
      .filter((e) => entryLength(e) > 0)
      .map((e): Segment => {
        if (isDataEntry(e)) {
          const data = Buffer.from(e.data, 'base64');
          return { data, first: 0, last: data.length - 1 };
        }
        const path = segmentPath(account, e.name);
        if (!path) throw new SwiftError(500, 'Unable to load SLO manifest');
        return { path, ...entryByteRange(e), etag: e.hash };
      });
  }

  /** The large object's own headers: the SLO ETag (quoted) and size, the manifest's ETag as X-Manifest-Etag. */
  function largeObjectHeaders(res: SwiftResponse, etag: string, size: string): Record<string, string> {
    return {
      ...res.headers,
      'content-type': cleanContentType(res.headers['content-type'] ?? 'application/octet-stream'),
      etag: `"${etag}"`,
      'x-manifest-etag': unquoteEtag(res.headers.etag),
      'content-length': size,
    };
  }

  /** GET/HEAD of a manifest: the large object's headers, and on GET its bytes. */
  async function serve(req: SwiftRequest, res: SwiftResponse, next: Handler): Promise<SwiftResponse> {
    if (req.depth > MAX_NESTING) throw new SwiftError(409, 'Max recursion depth exceeded');
    const storedEtag = res.headers[SYSMETA_SLO_ETAG];
    const storedSize = res.headers[SYSMETA_SLO_SIZE];
    if (res.status === 304 || res.status === 412) {
      drain(res);
      return { ...res, headers: largeObjectHeaders(res, storedEtag ?? '', '0'), body: null };
    }
    if (req.method === 'HEAD' && storedEtag && storedSize) {
      return { status: 200, headers: largeObjectHeaders(res, storedEtag, storedSize), body: null };
    }
    const manifestRes = req.method === 'HEAD' ? await next({ ...req, method: 'GET', headers: {} }) : res;
    const entries = await readManifest(manifestRes);
    const segments = segmentsOf(req.path.account, entries);
    const total = entries.reduce((sum, e) => sum + entryLength(e), 0);
    const headers = largeObjectHeaders(res, storedEtag || sloEtag(entries), String(total));
    return segmentedResponse(s, req, headers, segments, total, { multiRange: true });
  }

  /**
   * ?multipart-manifest=delete, as slo.py drives Swift's bulk delete: every segment (a
   * nested manifest's segments before it), then the manifest; inline data has nothing to
   * delete. Always a 200 whose body reports the outcome ("Response Status" etc.).
   */
  async function deleteManifest(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const outFormat = bulkFormat(req.headers.accept);
    const fields: Record<string, string | number> = {
      'Response Status': statusLine(200),
      'Response Body': '',
      'Number Deleted': 0,
      'Number Not Found': 0,
    };
    const failed: Problem[] = [];
    let failedStatus = 400;
    let keepAlive = () => {};

    /** A manifest's entries, or the error the bulk delete reports for it. */
    const manifestEntries = async (name: string): Promise<StoredEntry[] | { code: number; message: string }> => {
      const path = segmentPath(req.path.account, name);
      if (!path) return { code: 400, message: 'Not an SLO manifest' };
      let res: SwiftResponse;
      try {
        res = await next(subrequest(req, { method: 'GET', path, query: new Map([['multipart-manifest', 'get']]) }));
      } catch (err) {
        if (!(err instanceof SwiftError)) throw err;
        res = { status: err.status, headers: err.headers };
      }
      if (res.status >= 200 && res.status < 300) {
        if (isSlo(res.headers)) return readManifest(res);
        drain(res);
        return { code: 400, message: 'Not an SLO manifest' };
      }
      drain(res);
      if (res.status === 404) return { code: 404, message: 'SLO manifest not found' };
      if (res.status === 401) return { code: 401, message: '401 Unauthorized' };
      return { code: 500, message: 'Unable to load SLO manifest or segment.' };
    };

    const deleteObject = async (name: string) => {
      const path = segmentPath(req.path.account, name);
      let status: number;
      try {
        const res = path ? await next(subrequest(req, { method: 'DELETE', path })) : { status: 412, headers: {} };
        drain(res);
        status = res.status;
      } catch (err) {
        if (!(err instanceof SwiftError)) throw err;
        status = err.status;
      }
      keepAlive();
      if (status >= 200 && status < 300) (fields['Number Deleted'] as number)++;
      else if (status === 404) (fields['Number Not Found'] as number)++;
      else {
        if (status >= 500) failedStatus = 502;
        failed.push([quoteName(name), statusLine(status)]);
      }
    };

    const work = async () => {
      // slo.get_segments_to_delete_iter: breadth first, each manifest after its segments.
      const queue: { name: string; subSlo: boolean; error?: { code: number; message: string } }[] = [
        { name: `/${req.path.container}/${req.path.object}`, subSlo: true },
      ];
      while (queue.length > 0) {
        if (queue.length > s.config.max_manifest_segments * 10) throw new SwiftError(400, 'Too many buffered slo segments to delete.');
        const item = queue.shift()!;
        if (item.subSlo) {
          const entries = await manifestEntries(item.name);
          if (Array.isArray(entries)) {
            for (const e of entries) if (!isDataEntry(e)) queue.push({ name: e.name, subSlo: Boolean(e.sub_slo) });
            queue.push({ name: item.name, subSlo: false });
          } else queue.push({ name: item.name, subSlo: false, error: entries });
          continue;
        }
        if (item.error) {
          if (item.error.code === 404) (fields['Number Not Found'] as number)++;
          else failed.push([quoteName(item.name), item.error.message]);
          continue;
        }
        await deleteObject(item.name);
      }
    };

    // Bulk's keep-alive: whitespace (first the XML declaration for XML) whenever a delete
    // finishes more than BULK_YIELD_FREQUENCY_MS after the last one, then "\r\n\r\n" before the report.
    const body = new Readable({ read() {} });
    let lastYield = Date.now();
    let toYield = outFormat?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' ';
    let separator = '';
    keepAlive = () => {
      if (Date.now() - lastYield <= BULK_YIELD_FREQUENCY_MS) return;
      lastYield = Date.now();
      body.push(toYield);
      [toYield, separator] = [' ', '\r\n\r\n'];
    };
    const finish = async () => {
      try {
        if (!outFormat) throw new SwiftError(406);
        await work();
        if (failed.length > 0) fields['Response Status'] = statusLine(failedStatus);
        else if (!fields['Number Deleted'] && !fields['Number Not Found']) {
          fields['Response Status'] = statusLine(400);
          fields['Response Body'] = 'Invalid bulk delete.';
        }
      } catch (err) {
        if (err instanceof SwiftError) {
          fields['Response Status'] = statusLine(err.status);
          fields['Response Body'] = explicitBody(err);
        } else {
          req.log.error({ err: (err as Error).message }, 'SLO delete failed');
          fields['Response Status'] = statusLine(500);
        }
      }
      body.push(separator + bulkResponseBody(outFormat, fields, failed, 'delete'));
      body.push(null);
    };
    void finish();
    return { status: 200, headers: { 'content-type': outFormat ?? ERROR_CONTENT_TYPE }, body };
  }

  return async function slo(req: SwiftRequest, next: Handler): Promise<SwiftResponse> {
    const mode = req.query.get('multipart-manifest');
    if (req.method === 'PUT' && mode === 'put') return putManifest(req, next);
    if (req.method === 'DELETE' && mode === 'delete') return deleteManifest(req, next);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (req.headers['x-static-large-object'] !== undefined) {
        throw new SwiftError(
          400,
          'X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.',
        );
      }
      return next(req);
    }
    if (mode === 'get') {
      const res = await next(req);
      return isSlo(res.headers) && res.status >= 200 && res.status < 300 ? manifestResponse(req, res, next) : res;
    }
    // Conditional requests of a large object compare its SLO etag, not the manifest's —
    // unless a layer above named its own etag first (S3's multipart ETag), as Swift
    // appends to X-Backend-Etag-Is-At rather than replacing it.
    const etagIsAt = req.headers['x-backend-etag-is-at'];
    const withEtagIsAt = { ...req, headers: { ...req.headers, 'x-backend-etag-is-at': etagIsAt ? `${etagIsAt},${SYSMETA_SLO_ETAG}` : SYSMETA_SLO_ETAG } };
    const res = await fetchManifestWhole(withEtagIsAt, next, isSlo);
    if (!isSlo(res.headers)) return res;
    if (res.status !== 304 && res.status !== 412 && (res.status < 200 || res.status >= 300)) return res;
    return serve(req, res, next);
  };
}
