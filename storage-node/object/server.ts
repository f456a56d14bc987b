// The object server (port 6200 by default): Swift's backend object protocol on
// /<device>/<partition>/<account>/<container>/<object>, one file per operation.
import type { ServerSpec } from '../http.js';
import type { ObjectContext } from './context.js';
import { deleteObject } from './delete.js';
import { getObject } from './get.js';
import { postObject } from './post.js';
import { putObject } from './put.js';

export function objectServer(ctx: ObjectContext): ServerSpec {
  return {
    minSegments: 3,
    maxSegments: 3,
    handlers: {
      PUT: (req) => putObject(ctx, req),
      GET: (req) => getObject(ctx, req),
      HEAD: (req) => getObject(ctx, req),
      POST: (req) => postObject(ctx, req),
      DELETE: (req) => deleteObject(ctx, req),
    },
  };
}
