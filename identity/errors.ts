// Keystone's errors: every failure answers {"error":{"code","title","message"}} with the
// status in "code". One class, one helper per status the API uses.

export class KeystoneError extends Error {
  readonly code = 'ERR_KEYSTONE';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: number; title: string; message: string } } {
    return { error: { code: this.status, title: this.title, message: this.message } };
  }
}

export const badRequest = (message: string) => new KeystoneError(400, 'Bad Request', message);

/** The one 401 message: it never says whether the user, the password or the token was wrong. */
export const unauthorized = () =>
  new KeystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');

export const forbidden = (action?: string) =>
  new KeystoneError(
    403,
    'Forbidden',
    action ? `You are not authorized to perform the requested action: ${action}.` : 'You are not authorized to perform the requested action.',
  );

export const notFound = (kind: string, id: string) => new KeystoneError(404, 'Not Found', `Could not find ${kind}: ${id}.`);

export const conflict = (message: string) => new KeystoneError(409, 'Conflict', `Conflict occurred attempting to store ${message}`);

export const tooManyAttempts = (retryAfterS: number) =>
  new KeystoneError(429, 'Too Many Requests', 'Too many failed authentication attempts; try again later.', {
    'retry-after': String(retryAfterS),
  });

/** Keystone's ValidationError: the request lacks `attribute` in `target` (its exact wording). */
export const validationError = (attribute: string, target: string) =>
  badRequest(`Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
