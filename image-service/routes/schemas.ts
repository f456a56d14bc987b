// /v2/schemas/image, /images, /member, /members and the metadefs schemas.
import type { FastifyInstance } from 'fastify';
import { metadefSchemas } from '../metadefs/schemas.js';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../schemas.js';

export function registerSchemaRoutes(app: FastifyInstance): void {
  const schemas: Record<string, unknown> = {
    image: imageSchema,
    images: imagesSchema,
    member: memberSchema,
    members: membersSchema,
  };
  for (const [name, schema] of Object.entries({ ...schemas, ...metadefSchemas })) {
    app.get(`/v2/schemas/${name}`, async () => schema);
  }
}
