// /v2/info/import (the import methods), /v2/info/stores (the one store, the object
// store) and /v2/info/usage (the caller's project: image bytes and counts; no limits).
import type { FastifyInstance } from 'fastify';
import { STORE_ID } from '../image.js';
import { contextOf, type ImageApi } from '../server.js';

export function registerInfoRoutes(app: FastifyInstance, api: ImageApi): void {
  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: api.importer.methods() },
  }));

  app.get('/v2/info/stores', async () => ({
    stores: [{ id: STORE_ID, description: `Stowage object store (container ${api.config.container})`, default: true }],
  }));

  app.get('/v2/info/usage', async (request) => {
    const ctx = contextOf(request);
    let sizeTotal = 0;
    let count = 0;
    let uploading = 0;
    for await (const image of api.records.images()) {
      if (image.owner !== ctx.projectId) continue;
      count++;
      sizeTotal += image.size ?? 0;
      if (['saving', 'uploading', 'importing'].includes(image.status)) uploading++;
    }
    const staged = await api.importer.stagedBytes();
    const unlimited = (usage: number) => ({ limit: -1, usage });
    return {
      usage: {
        image_size_total: unlimited(Math.ceil(sizeTotal / (1024 * 1024))),
        image_stage_total: unlimited(Math.ceil(staged / (1024 * 1024))),
        image_count_total: unlimited(count),
        image_count_uploading: unlimited(uploading),
      },
    };
  });
}
