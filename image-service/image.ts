// The image record and its JSON form: Glance's base attributes, which of them are
// read-only or reserved, the disk and container formats, and checks on values a client
// sets (at create or by a patch).
import { badRequest, forbidden } from './errors.js';

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
export const STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated', 'uploading', 'importing'] as const;
export type ImageStatus = (typeof STATUSES)[number];

/** Where an image's bytes are in the object store. */
export interface StoredData {
  /** Object name in the container: <image id>/<upload id>. */
  object: string;
  /** Where its segments are (or would be) when it is a static large object: "<object>/". */
  segmentPrefix: string;
  segmented: boolean;
}

/** An upload or import in progress: the segments it may have written, for cleanup after a crash. */
export interface PendingWrite {
  segmentPrefix: string;
  object: string;
  /** What the image returns to if the write does not finish. */
  revertTo: ImageStatus;
  started_at: string;
}

export interface ImageRecord {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: (typeof VISIBILITIES)[number];
  protected: boolean;
  os_hidden: boolean;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  owner: string | null;
  size: number | null;
  virtual_size: number | null;
  min_disk: number;
  min_ram: number;
  container_format: string | null;
  disk_format: string | null;
  created_at: string;
  updated_at: string;
  tags: string[];
  /** Custom properties: string values only, as Glance's schema says. */
  properties: Record<string, string>;
  data?: StoredData;
  pending?: PendingWrite;
}

/** Attributes clients may set by name (besides custom properties). */
/** The one store's id (Glance's enabled_backends key): images' `stores`, /v2/info/stores, import targets. */
export const STORE_ID = 'swift';

/**
 * Glance's import bookkeeping on the image (its ImportActionWrapper): the import task's
 * lock, and the store lists os_glance_importing_to_stores / os_glance_failed_import, which
 * Glance always writes, as '' once empty.
 */
export const importBookkeeping = {
  begun(image: ImageRecord, task: string): void {
    image.properties.os_glance_import_task = task;
    image.properties.os_glance_importing_to_stores = STORE_ID;
    image.properties.os_glance_failed_import = '';
  },
  succeeded(image: ImageRecord): void {
    delete image.properties.os_glance_import_task;
    image.properties.os_glance_importing_to_stores = '';
  },
  failed(image: ImageRecord): void {
    delete image.properties.os_glance_import_task;
    image.properties.os_glance_importing_to_stores = '';
    image.properties.os_glance_failed_import = STORE_ID;
  },
};

export const SETTABLE = ['name', 'visibility', 'protected', 'os_hidden', 'owner', 'min_disk', 'min_ram', 'container_format', 'disk_format', 'tags'] as const;
export const READ_ONLY = [
  'id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'created_at', 'updated_at',
  'direct_url', 'self', 'file', 'schema', 'stores',
] as const;
/** Glance refuses these outright (internal columns, and locations without show_multiple_locations). */
export const RESERVED = ['location', 'locations', 'deleted', 'deleted_at'] as const;
/** Property namespaces Glance keeps for itself. */
const RESERVED_PREFIXES = ['os_glance'];

export const BASE_ATTRIBUTES = new Set<string>([...SETTABLE, ...READ_ONLY, ...RESERVED]);

/** Glance's timestamps: ISO 8601 to the second, "Z". */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The image as the API shows it: base attributes, custom properties flattened in. */
export function imageView(image: ImageRecord): Record<string, unknown> {
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.os_hidden,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    owner: image.owner,
    size: image.size,
    virtual_size: image.virtual_size,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    container_format: image.container_format,
    disk_format: image.disk_format,
    created_at: image.created_at,
    updated_at: image.updated_at,
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
    // As a multi-store Glance shows where an image's data is (tooling compares it with the stores it imported to).
    ...(image.data ? { stores: STORE_ID } : {}),
  };
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The attribute names a client can never set: 403 with Glance's message. */
export function refuseUntouchable(name: string): void {
  if ((RESERVED as readonly string[]).includes(name)) throw forbidden(`Attribute '${name}' is reserved.`);
  if ((READ_ONLY as readonly string[]).includes(name)) throw forbidden(`Attribute '${name}' is read-only.`);
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) {
    throw forbidden(`Attribute '${name}' is reserved.`);
  }
}

const schemaError = (detail: string) => badRequest(`Provided object does not match schema 'image': ${detail}`);

function checkInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw schemaError(`${JSON.stringify(value)} is not of type 'integer' (${name})`);
  if (value < 0) throw schemaError(`${value} is less than the minimum of 0 (${name})`);
  return value;
}

function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw schemaError(`${JSON.stringify(value)} is not of type 'boolean' (${name})`);
  return value;
}

function checkEnum(name: string, value: unknown, allowed: readonly string[], nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw schemaError(`${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)} (${name})`);
  }
  return value;
}

export function checkTag(tag: unknown): string {
  if (typeof tag !== 'string') throw schemaError(`${JSON.stringify(tag)} is not of type 'string' (tags)`);
  if (tag.length > 255) throw schemaError(`the tag ${JSON.stringify(tag.slice(0, 32))}… is longer than 255 characters`);
  return tag;
}

/**
 * Sets one attribute (base or custom) on the record after checking its value as Glance's
 * image schema does. Read-only and reserved names are refused with 403 before this.
 */
export function setAttribute(image: ImageRecord, name: string, value: unknown): void {
  switch (name) {
    case 'name':
      if (value !== null && typeof value !== 'string') throw schemaError(`${JSON.stringify(value)} is not of type 'null', 'string' (name)`);
      if (typeof value === 'string' && value.length > 255) throw schemaError('the name is longer than 255 characters');
      image.name = value as string | null;
      return;
    case 'visibility':
      image.visibility = checkEnum(name, value, VISIBILITIES, false) as ImageRecord['visibility'];
      return;
    case 'protected':
      image.protected = checkBool(name, value);
      return;
    case 'os_hidden':
      image.os_hidden = checkBool(name, value);
      return;
    case 'owner':
      if (value !== null && (typeof value !== 'string' || value.length > 255)) throw schemaError(`${JSON.stringify(value)} is not a valid owner`);
      image.owner = value as string | null;
      return;
    case 'min_disk':
      image.min_disk = checkInt(name, value);
      return;
    case 'min_ram':
      image.min_ram = checkInt(name, value);
      return;
    case 'disk_format':
      image.disk_format = checkEnum(name, value, DISK_FORMATS, true);
      return;
    case 'container_format':
      image.container_format = checkEnum(name, value, CONTAINER_FORMATS, true);
      return;
    case 'tags': {
      if (!Array.isArray(value)) throw schemaError(`${JSON.stringify(value)} is not of type 'array' (tags)`);
      image.tags = [...new Set(value.map(checkTag))];
      return;
    }
    default:
      if (typeof value !== 'string') throw schemaError(`${JSON.stringify(value)} is not of type 'string' (${name})`);
      if (name.length === 0 || name.length > 255) throw schemaError('a property name must be 1 to 255 characters');
      if (value.length > 65535) throw schemaError(`the value of ${name} is too long`);
      image.properties[name] = value;
  }
}
