// GET /v2/images: which images the caller sees (Glance's visibility rules), the filters
// (exact attributes, "in:" lists, size and date ranges, tags, custom properties), sorting
// (sort=key:dir,… or sort_key/sort_dir) and marker/limit pages with a `next` link.
import type { RequestContext } from './auth.js';
import { badRequest } from './errors.js';
import type { ImageRecord } from './image.js';
import type { Records } from './records.js';

export type Query = Record<string, string | string[] | undefined>;

const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'virtual_size', 'id', 'created_at', 'updated_at', 'visibility', 'owner', 'min_disk', 'min_ram', 'protected', 'os_hidden'];
const MEMBER_STATUSES = ['accepted', 'pending', 'rejected', 'all'];
/** Query parameters that are not property filters. */
const CONTROL = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'visibility', 'member_status', 'tag', 'size_min', 'size_max', 'created_at', 'updated_at', 'os_hidden']);
const IN_ATTRIBUTES = new Set(['name', 'status', 'container_format', 'disk_format', 'id', 'owner', 'checksum', 'os_hash_value']);
const BOOL_ATTRIBUTES = new Set(['protected']);
const NUMBER_ATTRIBUTES = new Set(['min_disk', 'min_ram', 'size', 'virtual_size']);

const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const first = (v: string | string[] | undefined): string | undefined => all(v)[0];

interface SortKey {
  key: string;
  dir: 'asc' | 'desc';
}

function parseSort(query: Query): SortKey[] {
  const sort = first(query.sort);
  const keys = all(query.sort_key);
  const dirs = all(query.sort_dir);
  if (sort !== undefined && (keys.length > 0 || dirs.length > 0)) {
    throw badRequest('The sort and sort_key/sort_dir parameters cannot be used together.');
  }
  const checkKey = (key: string) => {
    if (!SORT_KEYS.includes(key)) throw badRequest(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
    return key;
  };
  const checkDir = (dir: string) => {
    if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
    return dir;
  };
  let out: SortKey[];
  if (sort !== undefined) {
    out = sort.split(',').filter(Boolean).map((part) => {
      const [key, dir = 'desc', extra] = part.trim().split(':');
      if (extra !== undefined) throw badRequest(`Invalid sort value: ${part}`);
      return { key: checkKey(key!), dir: checkDir(dir) };
    });
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length) throw badRequest('The number of sort_dir values must match the number of sort_key values.');
    out = keys.map((key, i) => ({ key: checkKey(key), dir: checkDir(dirs[i] ?? dirs[0] ?? 'desc') }));
    if (out.length === 0 && dirs.length > 0) out = [{ key: 'created_at', dir: checkDir(dirs[0]!) }];
  }
  if (out.length === 0) out = [{ key: 'created_at', dir: 'desc' }];
  // The id breaks ties, so pages are stable.
  if (!out.some((s) => s.key === 'id')) out.push({ key: 'id', dir: out[0]!.dir });
  return out;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function comparator(keys: SortKey[]): (a: ImageRecord, b: ImageRecord) => number {
  return (a, b) => {
    for (const { key, dir } of keys) {
      const c = compareValues((a as unknown as Record<string, unknown>)[key], (b as unknown as Record<string, unknown>)[key]);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  };
}

type Predicate = (image: ImageRecord) => boolean;

/** "gt:2024-01-01T00:00:00Z" and friends, for created_at/updated_at. */
function dateFilter(name: 'created_at' | 'updated_at', value: string): Predicate {
  const m = /^(gt|gte|lt|lte|eq|neq):(.+)$/.exec(value);
  const op = m ? m[1]! : 'eq';
  const ms = Date.parse(m ? m[2]! : value);
  if (Number.isNaN(ms)) throw badRequest(`Invalid date format for ${name}: ${value}`);
  return (image) => {
    const t = Date.parse(image[name]);
    switch (op) {
      case 'gt': return t > ms;
      case 'gte': return t >= ms;
      case 'lt': return t < ms;
      case 'lte': return t <= ms;
      case 'neq': return t !== ms;
      default: return t === ms;
    }
  };
}

function sizeBound(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw badRequest(`Invalid value for ${name}: ${value}`);
  return n;
}

function boolValue(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw badRequest(`Invalid value for ${name}: ${value}. It must be a boolean.`);
}

function filters(query: Query): Predicate[] {
  const out: Predicate[] = [];
  for (const tag of all(query.tag)) out.push((image) => image.tags.includes(tag));
  const sizeMin = first(query.size_min);
  if (sizeMin !== undefined) {
    const n = sizeBound('size_min', sizeMin);
    out.push((image) => image.size !== null && image.size >= n);
  }
  const sizeMax = first(query.size_max);
  if (sizeMax !== undefined) {
    const n = sizeBound('size_max', sizeMax);
    out.push((image) => image.size !== null && image.size <= n);
  }
  for (const name of ['created_at', 'updated_at'] as const) for (const v of all(query[name])) out.push(dateFilter(name, v));
  for (const [name, raw] of Object.entries(query)) {
    if (CONTROL.has(name)) continue;
    const value = first(raw)!;
    if (IN_ATTRIBUTES.has(name) && value.startsWith('in:')) {
      const options = value.slice(3).split(',');
      out.push((image) => options.includes(String((image as unknown as Record<string, unknown>)[name])));
    } else if (BOOL_ATTRIBUTES.has(name)) {
      const b = boolValue(name, value);
      out.push((image) => (image as unknown as Record<string, unknown>)[name] === b);
    } else if (NUMBER_ATTRIBUTES.has(name)) {
      out.push((image) => String((image as unknown as Record<string, unknown>)[name]) === value);
    } else if (IN_ATTRIBUTES.has(name)) {
      out.push((image) => (image as unknown as Record<string, unknown>)[name] === value);
    } else {
      out.push((image) => image.properties[name] === value);
    }
  }
  return out;
}

/** Whether the caller sees the image in a listing, given the visibility and member_status asked for. */
async function visible(records: Records, ctx: RequestContext, image: ImageRecord, visibility: string | undefined, memberStatus: string): Promise<boolean> {
  if (visibility !== undefined && visibility !== 'all' && image.visibility !== visibility) return false;
  const owned = ctx.projectId !== null && image.owner === ctx.projectId;
  if (ctx.isAdmin) return true;
  switch (image.visibility) {
    case 'public':
      return true;
    case 'community':
      return owned || visibility === 'community' || visibility === 'all';
    case 'private':
      return owned;
    case 'shared': {
      if (owned) return true;
      if (ctx.projectId === null) return false;
      const member = await records.getMember(image.id, ctx.projectId);
      return member !== undefined && (memberStatus === 'all' || member.status === memberStatus);
    }
  }
}

export interface ImagePage {
  images: ImageRecord[];
  next?: string;
}

export async function listImages(records: Records, ctx: RequestContext, query: Query, limits: { default: number; max: number }): Promise<ImagePage> {
  const limitRaw = first(query.limit);
  let limit = limits.default;
  if (limitRaw !== undefined) {
    limit = Number(limitRaw);
    if (limitRaw.trim() === '' || !Number.isInteger(limit) || limit < 0) throw badRequest('limit param must be an integer');
    limit = Math.min(limit, limits.max);
  }
  const visibility = first(query.visibility);
  if (visibility !== undefined && !['public', 'private', 'shared', 'community', 'all'].includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility}`);
  }
  const memberStatus = first(query.member_status) ?? 'accepted';
  if (!MEMBER_STATUSES.includes(memberStatus)) throw badRequest(`Invalid status value: ${memberStatus}`);
  const hidden = first(query.os_hidden);
  const wantHidden = hidden === undefined ? false : boolValue('os_hidden', hidden);
  const sort = parseSort(query);
  const predicates = filters(query);

  const matched: ImageRecord[] = [];
  for await (const image of records.images()) {
    if (image.os_hidden !== wantHidden) continue;
    if (!predicates.every((p) => p(image))) continue;
    if (await visible(records, ctx, image, visibility, memberStatus)) matched.push(image);
  }
  matched.sort(comparator(sort));

  let start = 0;
  const marker = first(query.marker);
  if (marker !== undefined) {
    const at = matched.findIndex((image) => image.id === marker);
    if (at < 0) throw badRequest(`Invalid marker. Image ${marker} could not be found.`);
    start = at + 1;
  }
  const images = matched.slice(start, start + limit);
  const page: ImagePage = { images };
  if (images.length > 0 && images.length === limit && start + limit < matched.length) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (name !== 'marker') for (const v of all(value)) params.append(name, v);
    params.set('marker', images[images.length - 1]!.id);
    page.next = `/v2/images?${params.toString()}`;
  }
  return page;
}
