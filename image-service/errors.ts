// Every error the Glance API answers, as a status and a message. The body is webob's JSON
// error document, which glanceclient and openstacksdk show to the user:
// {"message": "...", "code": "404 Not Found", "title": "Not Found"}.

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class GlanceError extends Error {
  readonly code = 'ERR_GLANCE';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { message: string; code: string; title: string } {
    const title = TITLES[this.status] ?? 'Error';
    return { message: this.message, code: `${this.status} ${title}`, title };
  }
}

/** webob's explanations of the server errors: the message Glance answers them with. */
const SERVER_ERROR_EXPLANATIONS: Record<number, string> = {
  500: 'The server has either erred or is incapable of performing the requested operation.',
  502: 'Bad gateway.',
  503: 'The server is currently unavailable. Please try again at a later time.',
};

/**
 * The error as the client sees it. A client error says what is wrong; a server error says
 * only that something failed, and the request id to find it in the log: its details (the
 * object store's URLs and answers, database errors) are for the operator, not the caller.
 */
export function publicError(error: GlanceError, requestId: string): GlanceError {
  if (error.status < 500) return error;
  const explanation = SERVER_ERROR_EXPLANATIONS[error.status] ?? SERVER_ERROR_EXPLANATIONS[500];
  return new GlanceError(error.status, `${explanation} (Request ID: ${requestId})`, error.headers);
}

export const badRequest = (message: string) => new GlanceError(400, message);
export const unauthorized = (message = 'The request you have made requires authentication.') =>
  new GlanceError(401, message, { 'www-authenticate': 'Keystone uri="identity"' });
export const forbidden = (message: string) => new GlanceError(403, message);
export const notFound = (message: string) => new GlanceError(404, message);
export const conflict = (message: string) => new GlanceError(409, message);
export const tooLarge = (message: string) => new GlanceError(413, message);
export const unsupportedMediaType = (message: string) => new GlanceError(415, message);

export const imageNotFound = (id: string) => notFound(`No image found with ID ${id}`);

/** Storage (the object store) failed or could not be reached. */
export class StorageError extends Error {
  readonly code = 'ERR_IMAGE_STORAGE';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
