// The metadefs documents' JSON schemas, published under /v2/schemas/metadefs/….
const propertyDefinition = {
  type: 'object',
  required: ['title', 'type'],
  properties: {
    name: { type: 'string', maxLength: 80 },
    title: { type: 'string' },
    description: { type: 'string' },
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
    required: { type: 'array', items: { type: 'string' } },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { type: 'integer', minimum: 0 },
    minLength: { type: 'integer', minimum: 0 },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: { type: 'object', properties: { type: { type: 'string' }, enum: { type: 'array' } } },
    maxItems: { type: 'integer', minimum: 0 },
    minItems: { type: 'integer', minimum: 0 },
    uniqueItems: { type: 'boolean', default: false },
    additionalItems: { type: 'boolean' },
  },
};

const timestamps = {
  created_at: { type: 'string', readOnly: true, format: 'date-time' },
  updated_at: { type: 'string', readOnly: true, format: 'date-time' },
};

const resourceTypeAssociation = {
  name: 'resource_type_association',
  properties: {
    name: { type: 'string', maxLength: 80, description: 'Resource type names should be aligned with Heat resource types whenever possible.' },
    prefix: { type: 'string', maxLength: 80, description: 'Prefix of the properties of the namespace when applied to this resource type.' },
    properties_target: { type: 'string', maxLength: 80, description: 'Which part of the resource the properties apply to (e.g. image, scheduler_hints).' },
    ...timestamps,
  },
  required: ['name'],
  additionalProperties: false,
};

const object = {
  name: 'object',
  properties: {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { type: 'array', items: { type: 'string' } },
    properties: { type: 'object', additionalProperties: propertyDefinition },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    ...timestamps,
  },
  required: ['name'],
  additionalProperties: false,
};

const tag = {
  name: 'tag',
  properties: { name: { type: 'string', maxLength: 255 }, ...timestamps },
  required: ['name'],
  additionalProperties: false,
};

const namespace = {
  name: 'namespace',
  properties: {
    namespace: { type: 'string', maxLength: 80, description: 'The unique namespace text.' },
    display_name: { type: 'string', maxLength: 80, description: 'The user friendly name for the namespace.' },
    description: { type: 'string', maxLength: 500, description: 'Provides a user friendly description of the namespace.' },
    visibility: { type: 'string', enum: ['public', 'private'], description: 'Scope of namespace accessibility.' },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', maxLength: 255, description: 'Owner of the namespace.' },
    resource_type_associations: { type: 'array', items: resourceTypeAssociation },
    properties: { type: 'object', additionalProperties: propertyDefinition },
    objects: { type: 'array', items: object },
    tags: { type: 'array', items: tag },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    ...timestamps,
  },
  required: ['namespace'],
  additionalProperties: false,
};

const list = (name: string, key: string, item: unknown) => ({
  name,
  properties: { [key]: { type: 'array', items: item }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
  links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }],
});

export const metadefSchemas: Record<string, unknown> = {
  'metadefs/namespace': namespace,
  'metadefs/namespaces': list('namespaces', 'namespaces', namespace),
  'metadefs/object': object,
  'metadefs/objects': list('objects', 'objects', object),
  'metadefs/property': { name: 'property', ...propertyDefinition, properties: { ...propertyDefinition.properties } },
  'metadefs/properties': { name: 'properties', properties: { properties: { type: 'object', additionalProperties: propertyDefinition }, schema: { type: 'string' } } },
  'metadefs/tag': tag,
  'metadefs/tags': list('tags', 'tags', tag),
  'metadefs/resource_type': resourceTypeAssociation,
  'metadefs/resource_types': list('resource_type_associations', 'resource_type_associations', resourceTypeAssociation),
};
