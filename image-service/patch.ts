// Image updates by JSON patch, media type application/openstack-images-v2.1-json-patch:
// add / replace / remove of single-level paths ("/name", "/tags", "/my_property").
// Read-only and reserved attributes are refused with 403, a malformed patch with 400, a
// replace or remove of a custom property that does not exist with 409, as Glance does.
import type { RequestContext } from './auth.js';
import { badRequest, conflict, forbidden, tooLarge } from './errors.js';
import { SETTABLE, refuseUntouchable, setAttribute, type ImageRecord } from './image.js';
import { requireVisibilityAllowed } from './policy.js';

export const PATCH_MEDIA_TYPE = 'application/openstack-images-v2.1-json-patch';

interface Change {
  op: 'add' | 'replace' | 'remove';
  name: string;
  value?: unknown;
}

/** A JSON pointer with exactly one token ("/a~1b" → "a/b"); deeper paths are refused. */
function pathName(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw badRequest('Unable to find `path` in JSON Schema change. A JSON pointer must start with "/".');
  }
  const tokens = path.slice(1).split('/');
  if (/~[^01]|~$/.test(path)) throw badRequest(`Invalid JSON pointer: ${path}`);
  const name = tokens[0]!.replace(/~1/g, '/').replace(/~0/g, '~');
  if (tokens.length > 1) {
    if (name === 'locations') throw forbidden("Attribute 'locations' is reserved.");
    throw badRequest(`Nested paths are not allowed: ${path}`);
  }
  if (name === '') throw badRequest('Unable to find `path` in JSON Schema change: the path is empty.');
  return name;
}

export function parsePatch(body: unknown): Change[] {
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('Operations must be JSON objects.');
    const change = raw as Record<string, unknown>;
    const op = change.op;
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw badRequest(`Invalid operation: \`${String(op)}\`. It must be one of the following: add, remove, replace.`);
    }
    const name = pathName(change.path);
    if (op !== 'remove' && !('value' in change)) throw badRequest('Unable to find `value` in JSON Schema change.');
    return { op, name, value: change.value };
  });
}

export interface PatchLimits {
  propertyQuota: number;
  tagQuota: number;
}

/** Applies the changes to a copy of the image; the caller stores the result. */
export function applyPatch(ctx: RequestContext, image: ImageRecord, changes: Change[], limits: PatchLimits): ImageRecord {
  const next: ImageRecord = structuredClone(image);
  for (const { op, name, value } of changes) {
    refuseUntouchable(name);
    const base = (SETTABLE as readonly string[]).includes(name);
    if (op === 'remove') {
      if (base) throw forbidden(`Property ${name} may not be removed.`);
      if (!(name in next.properties)) throw conflict(`Property ${name} does not exist.`);
      delete next.properties[name];
      continue;
    }
    if (op === 'replace' && !base && !(name in next.properties)) throw conflict(`Property ${name} does not exist.`);
    if (name === 'visibility' && typeof value === 'string') requireVisibilityAllowed(ctx, value);
    if (name === 'owner' && !ctx.isAdmin && value !== image.owner) throw forbidden('Only administrators may change the owner of an image.');
    setAttribute(next, name, value);
  }
  if (Object.keys(next.properties).length > limits.propertyQuota) {
    throw tooLarge(`Maximum number of image properties (${limits.propertyQuota}) exceeded.`);
  }
  if (next.tags.length > limits.tagQuota) throw tooLarge(`Maximum number of image tags (${limits.tagQuota}) exceeded.`);
  return next;
}
