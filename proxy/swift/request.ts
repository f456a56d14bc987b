// The request and response shapes every Swift API handler works with, and the parsing of
// a client's raw URL into them. Handlers also build these for subrequests (large-object
// segments, copy sources), so the same authorization and logic apply to both.
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { SwiftPath } from '../../common/paths.js';
import { RequestTargetError, decodePath, parseQuery, splitTarget } from '../../common/http.js';
import { SwiftError, badRequest, notFound, preconditionFailed } from '../errors.js';

/** Who a token belongs to; `groups` are tempauth's (account, account:user, AUTH_<account> for admins…). */
export interface Identity {
  user: string;
  groups: string[];
}

export interface SwiftRequest {
  method: string;
  path: SwiftPath;
  /** Decoded query parameters; a parameter given without "=" has the value "". */
  query: Map<string, string>;
  /** Lower-case names; values are text, decoded from the UTF-8 bytes sent (common/header-text.ts). */
  headers: Record<string, string>;
  body: Readable | null;
  identity: Identity | null;
  transId: string;
  log: FastifyBaseLogger;
  /** "http://<host the client used>", for storage URLs. */
  hostUrl: string;
  /** Tells a client waiting on "Expect: 100-continue" to send its body. */
  continueBody: () => void;
  /** How many large-object subrequests deep this request is. */
  depth: number;
  /** Set by authorize(): the caller owns the account (may see and set ACLs). */
  owner: boolean;
}

export interface SwiftResponse {
  status: number;
  headers: Record<string, string>;
  body?: Readable | Buffer | string | null;
}

export interface SubrequestOptions {
  method: string;
  path: SwiftPath;
  headers?: Record<string, string>;
  query?: Map<string, string>;
  body?: Readable | null;
}

/**
 * A request made by the proxy on behalf of `parent`: same user, same transaction, same
 * Referer (Swift's make_subrequest keeps it, so referrer ACLs apply to segments too).
 */
export function subrequest(parent: SwiftRequest, options: SubrequestOptions): SwiftRequest {
  const referer = parent.headers.referer;
  return {
    method: options.method,
    path: options.path,
    query: options.query ?? new Map(),
    headers: { ...(referer !== undefined ? { referer } : {}), ...options.headers },
    body: options.body ?? null,
    identity: parent.identity,
    transId: parent.transId,
    log: parent.log,
    hostUrl: parent.hostUrl,
    continueBody: () => {},
    depth: parent.depth + 1,
    owner: false,
  };
}

export interface NameLimits {
  max_account_name_length: number;
  max_container_name_length: number;
  max_object_name_length: number;
}

function checkLength(kind: string, name: string, max: number): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > max) throw badRequest(`${kind} name length of ${bytes} longer than ${max}`);
}

/** Swift's name limits (bytes of UTF-8): 400 naming the part that is too long. */
export function checkNameLengths(path: SwiftPath, limits: NameLimits): void {
  checkLength('Account', path.account, limits.max_account_name_length);
  if (path.container !== undefined) checkLength('Container', path.container, limits.max_container_name_length);
  if (path.object !== undefined) checkLength('Object', path.object, limits.max_object_name_length);
}

/** Swift's valid_api_versions. */
const API_VERSIONS = new Set(['v1', 'v1.0']);

function decodeTarget(rawUrl: string): { decoded: string; rawQuery: string } {
  const { rawPath, rawQuery } = splitTarget(rawUrl);
  try {
    return { decoded: decodePath(rawPath), rawQuery };
  } catch (err) {
    if (err instanceof RequestTargetError) throw new SwiftError(err.status, err.message);
    throw err;
  }
}

/**
 * What Swift's proxy answers for a path that names no account: 404 when it does not even
 * split ("/"), 400 for an account under an unknown API version ("/v2/AUTH_x"), and
 * 412 "Bad URL" otherwise ("/v1", "/v1/", "/favicon.ico").
 */
export function unroutable(rawUrl: string): SwiftError {
  let decoded: string;
  try {
    decoded = decodeTarget(rawUrl).decoded;
  } catch (err) {
    if (err instanceof SwiftError) return err;
    throw err;
  }
  const [root, version, account] = decoded.split('/');
  if (root !== '' || !version) return notFound();
  if (account && !API_VERSIONS.has(version)) return badRequest();
  return preconditionFailed('Bad URL');
}

/**
 * Splits "/v1/<account>[/<container>[/<object>]]" ("/v1.0/…" too). Invalid UTF-8 or NUL →
 * 412 (as Swift), names over their limits → 400, no account → unroutable()'s answer.
 * A trailing "/" after an account or container name is ignored, as in Swift.
 */
export function parseSwiftUrl(rawUrl: string, limits: NameLimits): { path: SwiftPath; query: Map<string, string> } {
  const { decoded, rawQuery } = decodeTarget(rawUrl);
  // Nothing in a query is refused here: whoever reads a parameter checks it (as Swift's get_param).
  const query = parseQuery(rawQuery);
  const versionEnd = decoded.indexOf('/', 1);
  if (versionEnd < 0 || !API_VERSIONS.has(decoded.slice(1, versionEnd))) throw unroutable(rawUrl);
  const rest = decoded.slice(versionEnd + 1);
  const firstSlash = rest.indexOf('/');
  const account = firstSlash < 0 ? rest : rest.slice(0, firstSlash);
  let container: string | undefined;
  let object: string | undefined;
  if (firstSlash >= 0) {
    const afterAccount = rest.slice(firstSlash + 1);
    const secondSlash = afterAccount.indexOf('/');
    container = secondSlash < 0 ? afterAccount : afterAccount.slice(0, secondSlash);
    if (secondSlash >= 0) object = afterAccount.slice(secondSlash + 1);
    if (object === '') object = undefined;
    if (container === '' && object === undefined) container = undefined;
  }
  if (account === '') throw unroutable(rawUrl);
  if (container === '') throw preconditionFailed('Bad URL');
  const path: SwiftPath = { account };
  if (container !== undefined) path.container = container;
  if (object !== undefined) path.object = object;
  checkNameLengths(path, limits);
  return { path, query };
}

/** "<container>/<object>" relative references such as X-Copy-From or Destination, URL-decoded. */
export function parseObjectRef(value: string, header: string): { container: string; object: string } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw preconditionFailed(`${header} header is not valid UTF-8`);
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw preconditionFailed(`${header} header must be of the form <container name>/<object name>`);
  }
  return { container: trimmed.slice(0, slash), object: trimmed.slice(slash + 1) };
}

/** Flattens node's header object: lower-case names, repeated values joined with ", ". */
export function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

