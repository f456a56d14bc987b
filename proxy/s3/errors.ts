// Every error the S3 API answers with, in one place: S3's code, its HTTP status and
// AWS's message, rendered as S3's XML error document with the request id. Commands throw
// S3Error; the S3 front (app.ts) renders it. Swift answers from the layers below are
// turned into S3 codes by fromSwiftStatus, with the resource in question as context.
import { toXml } from './xml.js';

const CODES = {
  AccessDenied: [403, 'Access Denied'],
  AccessForbidden: [403, 'CORSResponse: This CORS request is not allowed.'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BadRequest: [400, 'Bad Request'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  ConditionalRequestConflict: [409, 'The conditional request cannot succeed due to a conflicting operation against this resource.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidPart: [
    400,
    'One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part\'s entity tag.',
  ],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'],
  InvalidPartNumber: [416, 'The requested partnumber is not satisfiable'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidTag: [400, 'The TagKey you have provided is invalid'],
  KeyTooLongError: [400, 'Your key is too long.'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MalformedACLError: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingSecurityHeader: [400, 'Your request was missing a required header.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchTagSet: [404, 'The TagSet does not exist'],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NoSuchUpload: [
    404,
    'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
  ],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented.'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period.'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  ServiceUnavailable: [503, 'Please reduce your request rate.'],
  /**
   * S3's throttling code, for an access key or address out of signature attempts (with
   * Retry-After). 429 as Swift's s3api answers with ratelimit_as_client_error, and as
   * /auth/v1.0 answers the same budget: the client's own failures put it there. SDKs back
   * off on the code and on 429 alike.
   */
  SlowDown: [429, 'Please reduce your request rate.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  UnexpectedContent: [400, 'This request does not support content.'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof CODES;

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements of the error document (BucketName, Key, UploadId…). */
  readonly details: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(code: S3ErrorCode, message?: string, details: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(message ?? CODES[code][1]);
    this.code = code;
    this.status = CODES[code][0];
    this.details = details;
    this.headers = headers;
  }

  /** S3's XML error document. */
  toXml(requestId: string): string {
    return toXml('Error', { Code: this.code, Message: this.message, ...this.details, RequestId: requestId }, null);
  }
}

/** What the resource a Swift answer was about is, for naming the right S3 error. */
export type Resource = { bucket: string; key?: string };

/**
 * The S3 error for a status the Swift layers answered with. A 404 is NoSuchKey for an
 * object, NoSuchBucket for a bucket; callers that must tell a missing bucket from a missing
 * key look the bucket up themselves.
 */
export function fromSwiftStatus(status: number, resource?: Resource, message?: string): S3Error {
  const details: Record<string, string> = {};
  if (resource?.bucket !== undefined) details.BucketName = resource.bucket;
  if (resource?.key !== undefined) details.Key = resource.key;
  switch (status) {
    case 400:
      return new S3Error('InvalidArgument', message, details);
    case 401:
    case 403:
      return new S3Error('AccessDenied');
    case 404:
      return resource?.key !== undefined ? new S3Error('NoSuchKey', undefined, details) : new S3Error('NoSuchBucket', undefined, details);
    case 408:
      return new S3Error('RequestTimeout');
    case 409:
      return new S3Error('BucketNotEmpty', undefined, details);
    case 411:
      return new S3Error('MissingContentLength');
    case 412:
      return new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    case 413:
      return new S3Error('EntityTooLarge');
    case 416:
      return new S3Error('InvalidRange');
    case 422:
      return new S3Error('BadDigest');
    case 499:
      return new S3Error('IncompleteBody');
    case 503:
      return new S3Error('ServiceUnavailable');
    default:
      return new S3Error('InternalError');
  }
}
