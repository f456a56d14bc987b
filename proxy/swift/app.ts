// The Swift API v1 as one handler: a request for /v1/<account>[/<container>[/<object>]]
// goes to its resource's controller; object requests pass through the copy, SLO and DLO
// layers first (Swift's middleware pipeline, in the same order). Subrequests made by
// those layers enter here again, so they are authorized like client requests.
import type { ProxyConfig } from '../config.js';
import type { Replicas } from '../replicas.js';
import type { Rings } from '../rings.js';
import { accountController } from './account.js';
import { containerController } from './container.js';
import { copyMiddleware } from './copy.js';
import { dloMiddleware } from './dlo.js';
import { InfoCache } from './info-cache.js';
import { objectController } from './object.js';
import type { SwiftRequest, SwiftResponse } from './request.js';
import type { Handler, Middleware, Services } from './services.js';
import { sloMiddleware } from './slo.js';

function compose(layers: Middleware[], last: Handler): Handler {
  return layers.reduceRight<Handler>((next, layer) => (req) => layer(req, next), last);
}

/** The pipeline, and its info cache for the S3 API's unsigned CORS preflights (proxy/s3/cors.ts). */
export type SwiftApi = Handler & { info: InfoCache };

export function createSwiftApi(config: ProxyConfig, rings: Rings, replicas: Replicas): SwiftApi {
  const services: Services = {
    config,
    rings,
    replicas,
    info: new InfoCache(
      rings,
      replicas,
      {
        account: config.recheck_account_existence_s * 1000,
        container: config.recheck_container_existence_s * 1000,
      },
      config.info_cache_max_entries,
    ),
    handle: (req) => handle(req),
  };
  const account = accountController(services);
  const container = containerController(services);
  const object = compose([copyMiddleware(services), sloMiddleware(services), dloMiddleware(services)], objectController(services));

  async function handle(req: SwiftRequest): Promise<SwiftResponse> {
    if (req.path.object !== undefined) return object(req);
    if (req.path.container !== undefined) return container(req);
    return account(req);
  }
  return Object.assign(handle, { info: services.info });
}
