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
