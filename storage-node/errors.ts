// The errors the backend servers answer with: each maps to one HTTP status and carries
// a message saying what is wrong (sent as the text/plain body) and any headers Swift adds.

export class HttpError extends Error {
  readonly code = 'ERR_STORAGE_HTTP';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const forbidden = (message: string, headers?: Record<string, string>) => new HttpError(403, message, headers);
/**
 * Swift's DiskFileCollision: the hash directory of the requested name holds another
 * object's files. The object server answers 403 and neither serves nor replaces them.
 */
export const diskFileCollision = (requested: string) =>
  new HttpError(403, `Forbidden: the files stored for ${JSON.stringify(requested)} belong to another object name (hash collision)`);
export const notFound = (headers?: Record<string, string>) => new HttpError(404, 'Not Found', headers);
export const methodNotAllowed = (allowed: string[]) =>
  new HttpError(405, 'Method Not Allowed', { Allow: allowed.join(', ') });
export const notAcceptable = () => new HttpError(406, 'Not Acceptable: the listing formats are json and plain');
export const requestTimeout = () => new HttpError(408, 'Request Timeout: the client stopped sending the body');
export const conflict = (headers?: Record<string, string>) => new HttpError(409, 'Conflict', headers);
export const lengthRequired = () => new HttpError(411, 'Length Required: send Content-Length or chunked Transfer-Encoding');
export const preconditionFailed = (message = 'Precondition Failed') => new HttpError(412, message);
export const entityTooLarge = (limit: number) => new HttpError(413, `Request Entity Too Large: the limit is ${limit} bytes`);
export const unprocessable = (message: string) => new HttpError(422, message);
export const clientDisconnect = () => new HttpError(499, 'Client Disconnect: the body ended before it was complete');
export const notImplemented = (message: string) => new HttpError(501, message);
export const insufficientStorage = (device: string) =>
  new HttpError(507, `Insufficient Storage: ${device} is not a device directory on this node`);
export const deviceFull = (device: string) => new HttpError(507, `Insufficient Storage: ${device} is full`);
