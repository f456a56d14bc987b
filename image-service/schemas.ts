// JSON schemas of the API's documents, as Glance publishes them under /v2/schemas:
// clients (glanceclient, openstacksdk) read them to know the base attributes and types.
import { CONTAINER_FORMATS, DISK_FORMATS, STATUSES, VISIBILITIES } from './image.js';

const readOnly = (schema: Record<string, unknown>) => ({ ...schema, readOnly: true });

export const imageSchema = {
  name: 'image',
  additionalProperties: { type: 'string' },
  properties: {
    id: { type: 'string', description: 'An identifier for the image', pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$' },
    name: { type: ['null', 'string'], description: 'Descriptive name for the image', maxLength: 255 },
    status: readOnly({ type: 'string', description: 'Status of the image', enum: [...STATUSES] }),
    visibility: { type: 'string', description: 'Scope of image accessibility', enum: [...VISIBILITIES] },
    protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
    os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
    checksum: readOnly({ type: ['null', 'string'], description: 'md5 hash of image contents.', maxLength: 32 }),
    os_hash_algo: readOnly({ type: ['null', 'string'], description: 'Algorithm to calculate the os_hash_value', maxLength: 64 }),
    os_hash_value: readOnly({ type: ['null', 'string'], description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo', maxLength: 128 }),
    owner: { type: ['null', 'string'], description: 'Owner of the image', maxLength: 255 },
    size: readOnly({ type: ['null', 'integer'], description: 'Size of image file in bytes' }),
    virtual_size: readOnly({ type: ['null', 'integer'], description: 'Virtual size of image in bytes' }),
    container_format: { type: ['null', 'string'], description: 'Format of the container', enum: [null, ...CONTAINER_FORMATS] },
    disk_format: { type: ['null', 'string'], description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
    created_at: readOnly({ type: 'string', description: 'Date and time of image registration' }),
    updated_at: readOnly({ type: 'string', description: 'Date and time of the last image modification' }),
    tags: { type: 'array', description: 'List of strings related to the image', items: { type: 'string', maxLength: 255 } },
    direct_url: readOnly({ type: 'string', description: 'URL to access the image file kept in external store' }),
    min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
    min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
    self: readOnly({ type: 'string', description: 'An image self url' }),
    file: readOnly({ type: 'string', description: 'An image file url' }),
    stores: readOnly({ type: 'string', description: 'Store in which image data resides.' }),
    schema: readOnly({ type: 'string', description: 'An image schema url' }),
    locations: {
      type: 'array',
      description: 'A set of URLs to access the image file kept in external store',
      items: { type: 'object', properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } }, required: ['url', 'metadata'] },
    },
  },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const imagesSchema = {
  name: 'images',
  properties: {
    images: { type: 'array', items: imageSchema },
    schema: { type: 'string' },
    first: { type: 'string' },
    next: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const memberSchema = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: { type: 'string', description: 'An identifier for the image' },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    schema: { type: 'string', readOnly: true },
    status: { type: 'string', description: 'The status of this image member', enum: ['pending', 'accepted', 'rejected'] },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
  },
};

export const membersSchema = {
  name: 'members',
  properties: { members: { type: 'array', items: memberSchema }, schema: { type: 'string' } },
  links: [{ rel: 'describedby', href: '{schema}' }],
};
