// Image updates by JSON patch, in either of Glance's media types (2.0 and 2.1, below):
// add / replace / remove of single-level paths ("/name", "/tags", "/my_property").
// Read-only and reserved attributes are refused with 403, a malformed patch with 400, a
// replace or remove of a custom property that does not exist with 409, as Glance does.
import type { RequestContext } from './auth.js';
import { badRequest, conflict, forbidden, tooLarge } from './errors.js';
import { SETTABLE, refuseUntouchable, setAttribute, type ImageRecord } from './image.js';
import { requireVisibilityAllowed } from './policy.js';

/**
 * The two JSON-patch media types Glance accepts, each with the draft of JSON Schema's patch
 * format it follows: 2.1 is draft 10 (`{"op": "replace", "path": "/name", "value": …}`),
 * 2.0 is draft 4 (`{"replace": "/name", "value": …}`), where an `add` of an attribute or
 * property that exists is a conflict instead of a replace.
 */
export const PATCH_MEDIA_TYPES = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
} as const;
export type PatchDraft = (typeof PATCH_MEDIA_TYPES)[keyof typeof PATCH_MEDIA_TYPES];
/** What a 415 tells the client to use (Glance's Accept-Patch, sorted). */
export const ACCEPT_PATCH = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ');

/** The draft a PATCH's Content-Type selects, or undefined when it is neither media type. */
export function patchDraftOf(contentType: string | undefined): PatchDraft | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return Object.hasOwn(PATCH_MEDIA_TYPES, type) ? PATCH_MEDIA_TYPES[type as keyof typeof PATCH_MEDIA_TYPES] : undefined;
}

const OPERATIONS = ['add', 'remove', 'replace'] as const;
type Operation = (typeof OPERATIONS)[number];

interface Change {
  op: Operation;
  name: string;
  value?: unknown;
  draft: PatchDraft;
}

/** Glance's _validate_json_pointer and _decode_json_pointer: the pointer's unescaped tokens. */
function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw badRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw badRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw badRequest(`Pointer \`${pointer}\` end with "/".`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) throw badRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  return pointer.replace(/^\/+/, '').split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

/** The one attribute a change names: only single-token paths are supported (locations are reserved). */
function pathName(pointer: unknown): string {
  if (typeof pointer !== 'string') throw badRequest("Unable to find 'path' in JSON Schema change");
  const tokens = decodePointer(pointer);
  const name = tokens[0]!;
  if (name === 'locations') throw forbidden("Attribute 'locations' is reserved.");
  if (tokens.length !== 1 || name === '') throw badRequest(`Invalid JSON pointer for this resource: '/${tokens.join('/')}'`);
  return name;
}

/** Draft 10: the operation is the `op` member and the pointer the `path` member. */
function operationD10(change: Record<string, unknown>): { op: Operation; pointer: unknown } {
  const op = change.op;
  if (op === undefined || op === null) throw badRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPERATIONS.join(', ')}.`);
  if (!(OPERATIONS as readonly unknown[]).includes(op)) {
    throw badRequest(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPERATIONS.join(', ')}.`);
  }
  if (!('path' in change)) throw badRequest("Unable to find 'path' in JSON Schema change");
  return { op: op as Operation, pointer: change.path };
}

/** Draft 4: the operation is the one member named add, remove or replace, and its value the pointer. */
function operationD4(change: Record<string, unknown>): { op: Operation; pointer: unknown } {
  const present = OPERATIONS.filter((op) => op in change);
  if (present.length > 1) throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  const op = present[0];
  if (op === undefined) throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return { op, pointer: change[op] };
}

export function parsePatch(body: unknown, draft: PatchDraft): Change[] {
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('Operations must be JSON objects.');
    const change = raw as Record<string, unknown>;
    const { op, pointer } = draft === 10 ? operationD10(change) : operationD4(change);
    const name = pathName(pointer);
    if (op !== 'remove' && !('value' in change)) throw badRequest(`Operation "${op}" requires a member named "value".`);
    return { op, name, value: change.value, draft };
  });
}

export interface PatchLimits {
  propertyQuota: number;
  tagQuota: number;
}

/** Applies the changes to a copy of the image; the caller stores the result. */
export function applyPatch(ctx: RequestContext, image: ImageRecord, changes: Change[], limits: PatchLimits): ImageRecord {
  const next: ImageRecord = structuredClone(image);
  for (const { op, name, value, draft } of changes) {
    refuseUntouchable(name);
    const base = (SETTABLE as readonly string[]).includes(name);
    // Draft 4's add only adds: every base attribute exists (even unset), as do set properties.
    if (op === 'add' && draft === 4 && (base || name in next.properties)) throw conflict(`Property ${name} already present.`);
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
