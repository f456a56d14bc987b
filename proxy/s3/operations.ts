// Every operation of the Amazon S3 API reference with its HTTP shape (method, what is
// addressed: the service, a bucket or an object, and the sub-resource query parameter
// that selects it), and the one dispatch from a request to its operation. An operation
// with a handler (HANDLERS) runs it; every other one answers S3's NotImplemented (501)
// naming the operation. A request that carries a sub-resource with no operation for its
// method and resource is 405 MethodNotAllowed. So nothing falls through to a plain GET
// or PUT: `GET /bucket?versions` is never answered as a ListObjects.
//
// The shapes are the REST bindings of the S3 service model (as the AWS SDKs send them;
// `x-id` is only a hint the SDKs add and is ignored here, as AWS does).
import { S3Error } from './errors.js';
import type { Command, S3Request } from './request.js';

export type Target = 'service' | 'bucket' | 'object';
export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

export interface OperationShape {
  name: string;
  method: Method;
  target: Target;
  /** The query parameter that selects this operation; none: a plain request of that method. */
  subresource?: string;
  /** A further condition (a header or parameter) telling it from another of the same shape. */
  when?: (req: Pick<S3Request, 'query' | 'headers'>) => boolean;
}

const has = (name: string) => (req: Pick<S3Request, 'query' | 'headers'>) => req.query.has(name);
const header = (name: string) => (req: Pick<S3Request, 'query' | 'headers'>) => req.headers[name] !== undefined;

const bucket = (method: Method, subresource: string | undefined, name: string, when?: OperationShape['when']): OperationShape => ({
  name,
  method,
  target: 'bucket',
  ...(subresource !== undefined ? { subresource } : {}),
  ...(when ? { when } : {}),
});
const object = (method: Method, subresource: string | undefined, name: string, when?: OperationShape['when']): OperationShape => ({
  name,
  method,
  target: 'object',
  ...(subresource !== undefined ? { subresource } : {}),
  ...(when ? { when } : {}),
});
/** A bucket configuration with Get/Put/Delete on one sub-resource. */
const config = (subresource: string, get: string, put: string, del?: string): OperationShape[] => [
  bucket('GET', subresource, get),
  bucket('PUT', subresource, put),
  ...(del ? [bucket('DELETE', subresource, del)] : []),
];
/** The id-keyed configurations (analytics, inventory, metrics, intelligent tiering): without id, the list. */
const keyed = (subresource: string, what: string, plural: string): OperationShape[] => [
  bucket('GET', subresource, `GetBucket${what}Configuration`, has('id')),
  bucket('GET', subresource, `ListBucket${plural}Configurations`),
  bucket('PUT', subresource, `PutBucket${what}Configuration`),
  bucket('DELETE', subresource, `DeleteBucket${what}Configuration`),
];

/**
 * In dispatch order: within one (method, target), the first whose sub-resource is present
 * and whose condition holds. Every name of the S3 API reference's action list is here.
 */
export const OPERATIONS: readonly OperationShape[] = [
  // The service.
  { name: 'ListDirectoryBuckets', method: 'GET', target: 'service', when: (r) => r.query.get('x-id') === 'ListDirectoryBuckets' },
  { name: 'ListBuckets', method: 'GET', target: 'service' },
  // Buckets.
  bucket('PUT', undefined, 'CreateBucket'),
  bucket('HEAD', undefined, 'HeadBucket'),
  bucket('DELETE', undefined, 'DeleteBucket'),
  bucket('GET', 'location', 'GetBucketLocation'),
  bucket('GET', 'uploads', 'ListMultipartUploads'),
  bucket('GET', 'versions', 'ListObjectVersions'),
  bucket('GET', 'session', 'CreateSession'),
  bucket('GET', undefined, 'ListObjectsV2', (r) => r.query.get('list-type') === '2'),
  bucket('GET', undefined, 'ListObjects'),
  bucket('POST', 'delete', 'DeleteObjects'),
  // Browser uploads (POST with a multipart/form-data body) are the only plain bucket POST.
  bucket('POST', undefined, 'PostObject'),
  ...config('acl', 'GetBucketAcl', 'PutBucketAcl'),
  ...config('cors', 'GetBucketCors', 'PutBucketCors', 'DeleteBucketCors'),
  ...config('versioning', 'GetBucketVersioning', 'PutBucketVersioning'),
  ...config('tagging', 'GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging'),
  ...config('policy', 'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy'),
  bucket('GET', 'policyStatus', 'GetBucketPolicyStatus'),
  ...config('lifecycle', 'GetBucketLifecycleConfiguration', 'PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle'),
  ...config('encryption', 'GetBucketEncryption', 'PutBucketEncryption', 'DeleteBucketEncryption'),
  ...config('object-lock', 'GetObjectLockConfiguration', 'PutObjectLockConfiguration'),
  ...config('replication', 'GetBucketReplication', 'PutBucketReplication', 'DeleteBucketReplication'),
  ...config('website', 'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite'),
  ...config('logging', 'GetBucketLogging', 'PutBucketLogging'),
  ...config('notification', 'GetBucketNotificationConfiguration', 'PutBucketNotificationConfiguration'),
  ...config('accelerate', 'GetBucketAccelerateConfiguration', 'PutBucketAccelerateConfiguration'),
  ...config('requestPayment', 'GetBucketRequestPayment', 'PutBucketRequestPayment'),
  ...config('ownershipControls', 'GetBucketOwnershipControls', 'PutBucketOwnershipControls', 'DeleteBucketOwnershipControls'),
  ...config('publicAccessBlock', 'GetPublicAccessBlock', 'PutPublicAccessBlock', 'DeletePublicAccessBlock'),
  ...config('abac', 'GetBucketAbac', 'PutBucketAbac'),
  ...keyed('analytics', 'Analytics', 'Analytics'),
  ...keyed('inventory', 'Inventory', 'Inventory'),
  ...keyed('metrics', 'Metrics', 'Metrics'),
  ...keyed('intelligent-tiering', 'IntelligentTiering', 'IntelligentTiering'),
  bucket('POST', 'metadataConfiguration', 'CreateBucketMetadataConfiguration'),
  bucket('GET', 'metadataConfiguration', 'GetBucketMetadataConfiguration'),
  bucket('DELETE', 'metadataConfiguration', 'DeleteBucketMetadataConfiguration'),
  bucket('POST', 'metadataTable', 'CreateBucketMetadataTableConfiguration'),
  bucket('GET', 'metadataTable', 'GetBucketMetadataTableConfiguration'),
  bucket('DELETE', 'metadataTable', 'DeleteBucketMetadataTableConfiguration'),
  bucket('PUT', 'metadataInventoryTable', 'UpdateBucketMetadataInventoryTableConfiguration'),
  bucket('PUT', 'metadataJournalTable', 'UpdateBucketMetadataJournalTableConfiguration'),
  bucket('PUT', 'metadataAnnotationTable', 'UpdateBucketMetadataAnnotationTableConfiguration'),
  // Objects.
  object('GET', 'uploadId', 'ListParts'),
  object('PUT', 'uploadId', 'UploadPartCopy', header('x-amz-copy-source')),
  object('PUT', 'uploadId', 'UploadPart'),
  object('POST', 'uploadId', 'CompleteMultipartUpload'),
  object('DELETE', 'uploadId', 'AbortMultipartUpload'),
  object('POST', 'uploads', 'CreateMultipartUpload'),
  object('PUT', 'renameObject', 'RenameObject'),
  object('PUT', undefined, 'CopyObject', header('x-amz-copy-source')),
  object('PUT', undefined, 'PutObject'),
  object('GET', undefined, 'GetObject'),
  object('HEAD', undefined, 'HeadObject'),
  object('DELETE', undefined, 'DeleteObject'),
  object('GET', 'acl', 'GetObjectAcl'),
  object('PUT', 'acl', 'PutObjectAcl'),
  object('GET', 'attributes', 'GetObjectAttributes'),
  object('GET', 'tagging', 'GetObjectTagging'),
  object('PUT', 'tagging', 'PutObjectTagging'),
  object('DELETE', 'tagging', 'DeleteObjectTagging'),
  object('GET', 'legal-hold', 'GetObjectLegalHold'),
  object('PUT', 'legal-hold', 'PutObjectLegalHold'),
  object('GET', 'retention', 'GetObjectRetention'),
  object('PUT', 'retention', 'PutObjectRetention'),
  object('GET', 'torrent', 'GetObjectTorrent'),
  object('POST', 'restore', 'RestoreObject'),
  object('POST', 'select', 'SelectObjectContent'),
  object('PUT', 'encryption', 'UpdateObjectEncryption'),
  object('GET', 'annotation', 'ListObjectAnnotations', (r) => r.query.get('x-id') === 'ListObjectAnnotations'),
  object('GET', 'annotation', 'GetObjectAnnotation'),
  object('PUT', 'annotation', 'PutObjectAnnotation'),
  object('DELETE', 'annotation', 'DeleteObjectAnnotation'),
];

/**
 * The reference's deprecated operations: same HTTP shape as the newer one named, so a
 * request for them is that operation.
 */
export const DEPRECATED_ALIASES: Record<string, string> = {
  GetBucketLifecycle: 'GetBucketLifecycleConfiguration',
  PutBucketLifecycle: 'PutBucketLifecycleConfiguration',
  GetBucketNotification: 'GetBucketNotificationConfiguration',
  PutBucketNotification: 'PutBucketNotificationConfiguration',
};

/** WriteGetObjectResponse is addressed to S3 Object Lambda's host ("<route>.s3-object-lambda…"): POST /WriteGetObjectResponse. */
export const WRITE_GET_OBJECT_RESPONSE = 'WriteGetObjectResponse';

/** Every sub-resource any operation is selected by: a request carrying one is never a plain request. */
export const SUBRESOURCES: ReadonlySet<string> = new Set(OPERATIONS.flatMap((op) => (op.subresource ? [op.subresource] : [])));

export type OperationName = string;

/** The implemented operations (app.ts fills this in). */
export type Handlers = Partial<Record<OperationName, Command>>;

const targetOf = (req: Pick<S3Request, 'bucket' | 'key'>): Target =>
  req.bucket === undefined ? 'service' : req.key === undefined ? 'bucket' : 'object';

export interface Dispatched {
  /** The S3 operation, or null when the request names none (MethodNotAllowed). */
  operation: OperationShape | null;
  /** HEAD of a sub-resource: its GET operation, answered without a body. */
  headOf?: boolean;
}

function find(method: Method, target: Target, req: Pick<S3Request, 'query' | 'headers'>): OperationShape | null {
  const present = [...req.query.keys()].filter((name) => SUBRESOURCES.has(name));
  for (const op of OPERATIONS) {
    if (op.method !== method || op.target !== target) continue;
    if (op.subresource !== undefined ? !req.query.has(op.subresource) : present.length > 0) continue;
    if (op.when && !op.when(req)) continue;
    return op;
  }
  return null;
}

/** The operation a request asks for. */
export function dispatch(req: Pick<S3Request, 'method' | 'bucket' | 'key' | 'query' | 'headers'>): Dispatched {
  const target = targetOf(req);
  const method = req.method as Method;
  const operation = find(method, target, req);
  if (operation) return { operation };
  // HEAD is GET without the body (RFC 9110): HEAD of a sub-resource is its GET operation's answer, bodiless.
  if (method === 'HEAD') {
    const get = find('GET', target, req);
    if (get) return { operation: get, headOf: true };
  }
  return { operation: null };
}

const RESOURCE_TYPE: Record<Target, string> = { service: 'SERVICE', bucket: 'BUCKET', object: 'OBJECT' };

/** The methods some operation of this target (with this request's sub-resources) takes: 405's Allow. */
function allowed(target: Target, req: Pick<S3Request, 'query' | 'headers'>): string[] {
  const out = new Set<string>();
  for (const method of ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const) if (find(method, target, req)) out.add(method);
  if (out.has('GET')) out.add('HEAD');
  return [...out];
}

/** S3's NotImplemented, naming the operation. */
export const notImplemented = (name: string): Command => async () => {
  throw new S3Error('NotImplemented', `${name} is not implemented.`);
};

/** The command for a request: its operation's handler, NotImplemented, or MethodNotAllowed. */
export function commandFor(handlers: Handlers, req: S3Request): { name: string; command: Command; headOf: boolean } {
  const target = targetOf(req);
  if (req.method === 'POST' && target === 'bucket' && req.bucket === WRITE_GET_OBJECT_RESPONSE && req.headers['x-amz-request-route'] !== undefined) {
    return { name: WRITE_GET_OBJECT_RESPONSE, command: notImplemented(WRITE_GET_OBJECT_RESPONSE), headOf: false };
  }
  const { operation, headOf } = dispatch(req);
  if (!operation) {
    const allow = allowed(target, req);
    return {
      name: 'MethodNotAllowed',
      command: async () => {
        throw new S3Error(
          'MethodNotAllowed',
          undefined,
          { Method: req.method, ResourceType: RESOURCE_TYPE[target] },
          allow.length > 0 ? { allow: allow.join(', ') } : {},
        );
      },
      headOf: false,
    };
  }
  return { name: operation.name, command: handlers[operation.name] ?? notImplemented(operation.name), headOf: headOf ?? false };
}
