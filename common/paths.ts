// Names of accounts, containers and objects, checked with Swift's default limits
// before anything is routed or stored.

export const NAME_LIMITS = {
  max_account_name_length: 256,
  max_container_name_length: 256,
  max_object_name_length: 1024,
} as const;

export class InvalidPathError extends Error {
  readonly code = 'ERR_INVALID_PATH';
}

export interface SwiftPath {
  account: string;
  container?: string;
  object?: string;
}

function checkName(kind: string, name: string, maxBytes: number): void {
  if (name.length === 0) throw new InvalidPathError(`${kind} name is empty`);
  if (name.includes('\0')) throw new InvalidPathError(`${kind} name contains a NUL byte`);
  if (!name.isWellFormed()) throw new InvalidPathError(`${kind} name is not valid UTF-8`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidPathError(`${kind} name is ${bytes} bytes long; the limit is ${maxBytes}`);
  }
}

/** Throws InvalidPathError with a message naming the part that is wrong. */
export function validatePath(path: SwiftPath): void {
  checkName('account', path.account, NAME_LIMITS.max_account_name_length);
  if (path.account.includes('/')) throw new InvalidPathError('account name contains "/"');
  if (path.container === undefined) {
    if (path.object !== undefined) throw new InvalidPathError('object given without a container');
    return;
  }
  checkName('container', path.container, NAME_LIMITS.max_container_name_length);
  if (path.container.includes('/')) throw new InvalidPathError('container name contains "/"');
  if (path.object !== undefined) {
    checkName('object', path.object, NAME_LIMITS.max_object_name_length);
  }
}

/** "/a", "/a/c" or "/a/c/o": the string that is hashed for placement. */
export function joinPath(path: SwiftPath): string {
  let joined = `/${path.account}`;
  if (path.container !== undefined) joined += `/${path.container}`;
  if (path.object !== undefined) joined += `/${path.object}`;
  return joined;
}

/**
 * Splits "/a[/c[/o]]" (the object part may hold further slashes) and validates it.
 * `minSegments`/`maxSegments` say which of account, container, object must be there.
 */
export function splitPath(raw: string, minSegments = 1, maxSegments = 3): SwiftPath {
  if (!raw.startsWith('/')) throw new InvalidPathError(`path must start with "/": ${raw}`);
  const body = raw.slice(1);
  const first = body.indexOf('/');
  const account = first < 0 ? body : body.slice(0, first);
  let container: string | undefined;
  let object: string | undefined;
  if (first >= 0) {
    const rest = body.slice(first + 1);
    const second = rest.indexOf('/');
    container = second < 0 ? rest : rest.slice(0, second);
    if (second >= 0) object = rest.slice(second + 1);
  }
  const segments = object !== undefined ? 3 : container !== undefined ? 2 : 1;
  if (segments < minSegments || segments > maxSegments) {
    throw new InvalidPathError(`path ${raw} has ${segments} segments; expected ${minSegments} to ${maxSegments}`);
  }
  const path: SwiftPath = { account };
  if (container !== undefined) path.container = container;
  if (object !== undefined) path.object = object;
  validatePath(path);
  return path;
}

/**
 * Percent-encodes a name for a URL path, keeping the "/" an object name may hold: exactly
 * Python's quote(name, safe='/') over UTF-8, as Swift quotes (encodeURIComponent also
 * leaves !'()* alone, which quote() escapes).
 */
export function quoteName(name: string): string {
  return name
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** "/a[/c[/o]]" with every name quoted: the path part of a backend URL. */
export function quotePath(path: SwiftPath): string {
  return joinPath({
    account: quoteName(path.account),
    ...(path.container === undefined ? {} : { container: quoteName(path.container) }),
    ...(path.object === undefined ? {} : { object: quoteName(path.object) }),
  });
}
