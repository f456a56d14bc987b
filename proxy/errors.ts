// Every error the Swift API answers with, in one place: its status and Swift's text for
// it (the explicit message of the check that failed, or swob's page for the status).
// Controllers throw these; the server turns them into responses (see server.ts), so no
// handler formats an error body by hand.
import { quoteName } from '../common/paths.js';

/** Swift's reason phrase and explanation per status (swob's RESPONSE_REASONS). */
const REASONS: Readonly<Record<number, readonly [string, string]>> = {
  200: ['OK', ''],
  201: ['Created', ''],
  202: ['Accepted', 'The request is accepted for processing.'],
  204: ['No Content', ''],
  206: ['Partial Content', ''],
  301: ['Moved Permanently', 'The resource has moved permanently.'],
  302: ['Found', 'The resource has moved temporarily.'],
  304: ['Not Modified', ''],
  307: ['Temporary Redirect', 'The resource has moved temporarily.'],
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  402: ['Payment Required', 'Access was denied for financial reasons.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method is not allowed for this resource.'],
  406: ['Not Acceptable', 'The resource is not available in a format acceptable to your browser.'],
  408: ['Request Timeout', 'The server has waited too long for the request to be sent by the client.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  410: ['Gone', 'This resource is no longer available.'],
  411: ['Length Required', 'Content-Length header required.'],
  412: ['Precondition Failed', 'A precondition for this request was not met.'],
  413: ['Request Entity Too Large', 'The body of your request was too large for this server.'],
  414: ['Request URI Too Long', 'The request URI was too long for this server.'],
  415: ['Unsupported Media Type', 'The request media type is not supported by this server.'],
  416: ['Requested Range Not Satisfiable', 'The Range requested is not available.'],
  417: ['Expectation Failed', 'Expectation failed.'],
  422: ['Unprocessable Entity', 'Unable to process the contained instructions'],
  429: ['Too Many Requests', 'The server is incapable of performing the requested operation due to too many requests. Slow down.'],
  499: ['Client Disconnect', 'The client was disconnected during request.'],
  500: ['Internal Error', 'The server has either erred or is incapable of performing the requested operation.'],
  501: ['Not Implemented', 'The requested method is not implemented by this server.'],
  502: ['Bad Gateway', 'Bad gateway.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
  504: ['Gateway Timeout', 'A timeout has occurred speaking to a backend server.'],
  507: ['Insufficient Storage', 'There was not enough space to save the resource. Drive: unknown'],
};

/** Swift's error pages and its explicit error texts are both sent as HTML unless a check says text/plain. */
export const ERROR_CONTENT_TYPE = 'text/html; charset=UTF-8';

export class SwiftError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** What the client gets: the explicit text, or Swift's page for the status (swob's default body). */
  readonly body: string;
  readonly contentType: string;

  constructor(status: number, message?: string, headers: Record<string, string> = {}, contentType = ERROR_CONTENT_TYPE) {
    const { title, explanation } = reason(status);
    super(message ?? title);
    this.status = status;
    this.headers = headers;
    this.body = message ?? (explanation ? `<html><h1>${title}</h1><p>${explanation}</p></html>` : '');
    this.contentType = contentType;
  }
}

/** An error whose text Swift sends as text/plain (its constraint checks do). */
export const plainError = (status: number, message: string) => new SwiftError(status, message, {}, 'text/plain');

export const badRequest = (message?: string) => new SwiftError(400, message);
/** A 401; the server adds the challenge for the request's account (realmHeader). */
export const unauthorized = () => new SwiftError(401);
/** Swift's challenge names an account, URL-quoted (so no name can inject anything into the header). */
export const realmHeader = (account: string) => `Swift realm="${quoteName(account)}"`;
export const forbidden = () => new SwiftError(403);
export const notFound = (message?: string) => new SwiftError(404, message);
export const methodNotAllowed = (allowed: readonly string[]) =>
  new SwiftError(405, undefined, { allow: allowed.join(', ') });
export const notAcceptable = () => new SwiftError(406);
export const requestTimeout = () => new SwiftError(408);
export const conflict = (message?: string) => new SwiftError(409, message);
export const lengthRequired = () => plainError(411, 'Missing Content-Length header.');
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

export const statusLine = (status: number) => `${status} ${REASONS[status]?.[0] ?? 'Unknown'}`;

/** Swift's reason phrase and explanation for a status ("" when it has none). */
export const reason = (status: number): { title: string; explanation: string } => {
  const [title, explanation] = REASONS[status] ?? ['Unknown', ''];
  return { title, explanation };
};

