// The object server (port 6200 by default): Swift's backend object protocol on
// /<device>/<partition>/<account>/<container>/<object>, one file per operation; PUTs of
// replicated files and REPLICATE (see replicate.ts) for the replicator.
import type { ServerSpec } from '../http.js';
import type { ObjectContext } from './context.js';
import { deleteObject } from './delete.js';
import { getObject } from './get.js';
import { postObject } from './post.js';
import { putObject } from './put.js';
import { receiveReplicatedFile, replicatePartition, REPLICATION_FILE_HEADER } from './replicate.js';

export function objectServer(ctx: ObjectContext): ServerSpec {
  return {
    minSegments: 3,
    maxSegments: 3,
    handlers: {
      PUT: (req) => (req.headers[REPLICATION_FILE_HEADER] === undefined ? putObject(ctx, req) : receiveReplicatedFile(ctx, req)),
      GET: (req) => getObject(ctx, req),
      HEAD: (req) => getObject(ctx, req),
      POST: (req) => postObject(ctx, req),
      DELETE: (req) => deleteObject(ctx, req),
    },
    partitionVerbs: {
      'POST REPLICATE': (req) => replicatePartition(ctx, req),
    },
  };
}
