// The S3 API's front: which requests are S3 (SigV4-signed, presigned, or addressed to a
// virtual-hosted bucket), bucket and key from path-style or virtual-hosted addressing,
// authentication, the route to one command per operation (commands/*.ts), and every
// error rendered as S3's XML with the request id.
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { ProxyConfig } from '../config.js';
import type { TempAuth } from '../auth/tempauth.js';
import type { AuthAttempts } from '../auth/attempts.js';
import type { SwiftApi } from '../swift/app.js';
import { RequestTargetError, decodePath, splitTarget } from '../../common/http.js';
import { checkNameLengths } from '../swift/request.js';
import { SwiftError } from '../errors.js';
import { authenticate, type CredentialLookup } from './auth.js';
import { S3Error, fromSwiftStatus } from './errors.js';
import { drainBody } from './request.js';
import { parseQueryPairs } from './signature-v4.js';
import type { S3Context, S3Request, S3Response } from './request.js';
import { commandFor, type Handlers } from './operations.js';
import { conditionalWrite } from './write-conditions.js';
import { copyObject } from './commands/copy-object.js';
import { createBucket } from './commands/create-bucket.js';
import { deleteBucket } from './commands/delete-bucket.js';
import { deleteObject } from './commands/delete-object.js';
import { deleteObjects } from './commands/delete-objects.js';
import { getBucketLocation } from './commands/get-bucket-location.js';
import { getObject } from './commands/get-object.js';
import { headBucket } from './commands/head-bucket.js';
import { listBuckets } from './commands/list-buckets.js';
import { listObjects } from './commands/list-objects.js';
import { putObject } from './commands/put-object.js';
import { abortMultipartUpload } from './commands/abort-multipart-upload.js';
import { completeMultipartUpload } from './commands/complete-multipart-upload.js';
import { createMultipartUpload } from './commands/create-multipart-upload.js';
import { listMultipartUploads } from './commands/list-multipart-uploads.js';
import { listParts } from './commands/list-parts.js';
import { uploadPart, uploadPartCopy } from './commands/upload-part.js';
import { getObjectAttributes } from './commands/get-object-attributes.js';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './commands/acl.js';
import { deleteBucketCors, getBucketCors, putBucketCors } from './commands/bucket-cors.js';
import { getBucketVersioning, putBucketVersioning } from './commands/bucket-versioning.js';
import { listObjectVersions } from './commands/list-object-versions.js';
import { actualRequestHeaders, preflight } from './cors.js';
import { deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging } from './commands/tagging.js';

export interface S3HttpRequest {
  method: string;
  /** The request target as the client sent it. */
  url: string;
  headers: Record<string, string>;
  body: Readable | null;
  transId: string;
  log: FastifyBaseLogger;
  hostUrl: string;
  continueBody: () => void;
  /** The client's address: its signature failures count against it (auth/attempts.ts). */
  source: string;
}

const hostName = (host: string | undefined) => (host ?? '').replace(/:\d+$/, '').toLowerCase();

/** The bucket named by a virtual-hosted request's Host ("<bucket>.<s3_domain>"), if any. */
export function virtualHostBucket(host: string | undefined, domain: string): string | undefined {
  const name = hostName(host);
  const suffix = `.${domain.toLowerCase()}`;
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : undefined;
}

/**
 * Whether a raw request belongs to the S3 API rather than Swift, /auth, /info or
 * /healthcheck: signed or presigned for S3, or addressed to a virtual-hosted bucket.
 * (An unsigned path-style request stays with the Swift routes: 404 as before.)
 */
export function isS3Request(url: string, headers: Record<string, string | string[] | undefined>, domain: string): boolean {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && (authorization.startsWith('AWS4-HMAC-SHA256 ') || authorization.startsWith('AWS '))) return true;
  if (/[?&](X-Amz-Algorithm|AWSAccessKeyId)=/.test(url)) return true;
  // A browser's CORS preflight for a bucket (unsigned, path-style).
  if (headers['access-control-request-method'] !== undefined && !/^\/(v1|auth|info|healthcheck)(\/|\?|$)/.test(url)) return true;
  return virtualHostBucket(typeof headers.host === 'string' ? headers.host : undefined, domain) !== undefined;
}

/** The implemented operations: every other one of operations.ts answers NotImplemented. */
export const HANDLERS: Handlers = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjects(1),
  ListObjectsV2: listObjects(2),
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  GetBucketCors: getBucketCors,
  PutBucketCors: putBucketCors,
  DeleteBucketCors: deleteBucketCors,
  ListParts: listParts,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: conditionalWrite(completeMultipartUpload),
  AbortMultipartUpload: abortMultipartUpload,
  CreateMultipartUpload: createMultipartUpload,
  CopyObject: conditionalWrite(copyObject),
  PutObject: conditionalWrite(putObject),
  GetObject: getObject,
  HeadObject: getObject,
  DeleteObject: deleteObject,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectAttributes: getObjectAttributes,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  GetBucketTagging: getBucketTagging,
  PutBucketTagging: putBucketTagging,
  DeleteBucketTagging: deleteBucketTagging,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  ListObjectVersions: listObjectVersions,
};

export function createS3Api(
  config: ProxyConfig,
  swiftApi: SwiftApi,
  tempauth: TempAuth,
  attempts: AuthAttempts,
  credentials?: CredentialLookup,
): (input: S3HttpRequest) => Promise<S3Response> {
  const ctx: S3Context = { config, swift: swiftApi, info: swiftApi.info, auth: tempauth };
  const signers = { users: config.users, tempauth, attempts, lookup: credentials };

  async function parse(input: S3HttpRequest): Promise<S3Request> {
    const { rawPath, rawQuery } = splitTarget(input.url);
    let path: string;
    try {
      path = decodePath(rawPath);
    } catch (err) {
      if (err instanceof RequestTargetError) throw new S3Error('InvalidArgument', err.message);
      throw err;
    }
    const queryPairs = parseQueryPairs(rawQuery);
    let bucket = virtualHostBucket(input.headers.host, config.s3_domain);
    const signed = { method: input.method, path, query: queryPairs, headers: input.headers, rawPath, ...(bucket !== undefined ? { virtualBucket: bucket } : {}) };
    const auth = await authenticate(signers, signed, input.source);
    let key: string | undefined;
    if (bucket !== undefined) {
      key = path.slice(1);
    } else {
      const rest = path.slice(1);
      const slash = rest.indexOf('/');
      bucket = slash < 0 ? rest : rest.slice(0, slash);
      key = slash < 0 ? '' : rest.slice(slash + 1);
      if (bucket === '') bucket = undefined;
    }
    if (key === '') key = undefined;
    const query = new Map<string, string>();
    for (const [name, value] of queryPairs) if (!query.has(name)) query.set(name, value);
    if (bucket !== undefined) {
      try {
        checkNameLengths({ account: auth.account, container: bucket, ...(key !== undefined ? { object: key } : {}) }, config);
      } catch {
        throw key !== undefined && Buffer.byteLength(key) > config.max_object_name_length ? new S3Error('KeyTooLongError') : new S3Error('InvalidBucketName');
      }
    }
    return {
      method: input.method,
      ...(bucket !== undefined ? { bucket } : {}),
      ...(key !== undefined ? { key } : {}),
      query,
      headers: input.headers,
      body: input.body,
      user: auth.user,
      identity: auth.identity,
      account: auth.account,
      claim: auth.claim,
      signingKey: auth.signingKey,
      transId: input.transId,
      log: input.log,
      hostUrl: input.hostUrl,
      continueBody: input.continueBody,
    };
  }

  /** The bucket a request addresses, read without authenticating it (preflights are unsigned). */
  function unsignedBucket(input: S3HttpRequest): string | undefined {
    const hosted = virtualHostBucket(input.headers.host, config.s3_domain);
    if (hosted !== undefined) return hosted;
    try {
      const first = decodePath(splitTarget(input.url).rawPath).slice(1).split('/')[0];
      return first ? first : undefined;
    } catch {
      return undefined;
    }
  }

  return async function handleS3(input: S3HttpRequest): Promise<S3Response> {
    let res: S3Response;
    try {
      if (input.method === 'OPTIONS') {
        res = await preflight(ctx, { bucket: unsignedBucket(input), headers: input.headers, transId: input.transId, log: input.log, hostUrl: input.hostUrl });
      } else {
        const req = await parse(input);
        const { command, headOf } = commandFor(HANDLERS, req);
        res = await command(ctx, req);
        if (headOf) {
          drainBody(res);
          res = { ...res, body: null };
        }
        if (req.headers.origin !== undefined) Object.assign(res.headers, await actualRequestHeaders(ctx, req));
      }
    } catch (caught) {
      let err: S3Error;
      if (caught instanceof S3Error) err = caught;
      else if (caught instanceof SwiftError) err = fromSwiftStatus(caught.status, undefined, caught.message);
      else {
        input.log.error({ err: caught }, 'S3 request failed');
        err = new S3Error('InternalError');
      }
      // A throttled signature guess is the client's doing, not a fault worth a warning.
      if (err.status >= 500 && err.code !== 'SlowDown') input.log.warn({ code: err.code, message: err.message }, 'S3 request failed');
      res = {
        status: err.status,
        headers: { 'content-type': 'application/xml', ...err.headers },
        body: input.method === 'HEAD' ? null : err.toXml(input.transId),
      };
    }
    res.headers['x-amz-request-id'] = input.transId;
    return res;
  };
}
