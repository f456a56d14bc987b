// Every error the Swift API answers with, in one place: its status and a short plain-text
// message saying what is wrong. Controllers throw these; the server turns them into
// responses (see server.ts), so no handler formats an error body by hand.

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  416: 'Requested Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  499: 'Client Disconnect',
  500: 'Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** Swift's explanation for each status, used when a thrower has nothing more specific. */
const DEFAULT_MESSAGE: Readonly<Record<number, string>> = {
  400: 'The request could not be understood.',
  401: 'This server could not verify that you are authorized to access the document you requested.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  405: 'The method is not allowed for this resource.',
  406: 'The resource is not available in a format acceptable to your browser.',
  408: 'The server has waited too long for the request to be sent by the client.',
  409: 'There was a conflict when trying to complete your request.',
  411: 'Length Required: the request needs a Content-Length header or chunked Transfer-Encoding.',
  412: 'A precondition for this request was not met.',
  413: 'The body of your request was too large for this server.',
  416: 'The Range requested is not available.',
  422: 'Unable to process the contained instructions.',
  499: 'The client disconnected before the request was complete.',
  500: 'An error occurred while processing the request.',
  501: 'The method is not implemented by this server.',
  503: 'The server is currently unavailable. Please try again at a later time.',
};

export class SwiftError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message?: string, headers: Record<string, string> = {}) {
    super(message ?? DEFAULT_MESSAGE[status] ?? STATUS_TEXT[status] ?? 'Error');
    this.status = status;
    this.headers = headers;
  }
}

export const badRequest = (message?: string) => new SwiftError(400, message);
export const unauthorized = () =>
  new SwiftError(401, undefined, { 'www-authenticate': 'Swift realm="unknown"' });
export const forbidden = () => new SwiftError(403);
export const notFound = (message?: string) => new SwiftError(404, message);
export const methodNotAllowed = (allowed: readonly string[]) =>
  new SwiftError(405, undefined, { allow: allowed.join(', ') });
export const notAcceptable = () => new SwiftError(406);
export const requestTimeout = () => new SwiftError(408);
export const conflict = (message?: string) => new SwiftError(409, message);
export const lengthRequired = () => new SwiftError(411);
export const preconditionFailed = (message?: string) => new SwiftError(412, message);
export const entityTooLarge = (message?: string) => new SwiftError(413, message);
export const rangeNotSatisfiable = () => new SwiftError(416);
export const unprocessableEntity = (message?: string) => new SwiftError(422, message);
/** Past the brute-force limit of proxy/auth/attempts.ts (Swift's ratelimit middleware also answers 429). */
export const tooManyAttempts = (retryAfterS: number) =>
  new SwiftError(429, 'Too many failed authentication attempts; try again later.', { 'retry-after': String(retryAfterS) });
export const clientDisconnect = () => new SwiftError(499);
export const internalError = (message?: string) => new SwiftError(500, message);
export const notImplemented = (message?: string) => new SwiftError(501, message);
export const serviceUnavailable = (message?: string) => new SwiftError(503, message);

/** The error response for a status the backends agreed on (404, 409, 412, 503…). */
export const fromStatus = (status: number) => new SwiftError(status);

export const statusLine = (status: number) => `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
