// The container controller: PUT (creating the account first when needed; X-Storage-Policy
// picks the policy of a new container), POST, HEAD, GET (object listing) and DELETE (409
// while objects remain). Only account owners change containers; reads follow the
// container's X-Container-Read ACL.
import { isTrue } from '../../common/http.js';
import { Timestamp } from '../../common/timestamp.js';
import { authorize, cleanAcl } from '../auth/acl.js';
import { readBody } from '../backend.js';
import { fromStatus, methodNotAllowed } from '../errors.js';
import { updateTargetHeaders } from '../replicas.js';
import { autocreateAccount } from './account.js';
import { backendListingQuery, checkMetadata, listingParams } from './constraints.js';
import { backendHeaders, fromBackend, metadataUpdates } from './headers.js';
import {
  MAX_LISTING_BODY_BYTES,
  chooseListingFormat,
  formatListing,
  listingHeaders,
  presentContainerItem,
  type ListingItem,
} from './listing-format.js';
import type { SwiftRequest, SwiftResponse } from './request.js';
import { containerTarget, perReplica, type Services } from './services.js';
import { requestedPolicyHeaders, withPolicyName } from './storage-policies.js';

const ALLOWED = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];
const ACL_HEADERS = ['x-container-read', 'x-container-write'] as const;
/** Headers only the account's owner sees (Swift's swift_owner_headers). */
const OWNER_HEADERS = ['x-container-read', 'x-container-write', 'x-container-sync-key', 'x-container-sync-to'];

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Metadata, ACL changes (validated) and their removals, as sent to container servers. */
function containerUpdates(req: SwiftRequest): Record<string, string> {
  const updates = metadataUpdates(req.headers, 'container');
  // System metadata comes only from the proxy's own layers (the S3 API's CORS rules): clients' is stripped at the door.
  for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-container-sysmeta-')) updates[name] = value;
  for (const name of ACL_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) updates[name] = cleanAcl(name, value);
    else if (req.headers[`x-remove-${name.slice(2)}`] !== undefined) updates[name] = '';
  }
  return updates;
}

export function containerController(s: Services) {
  const readAcl = (req: SwiftRequest) => async () =>
    (await s.info.container(req, req.path.account, req.path.container!)).headers['x-container-read'] ?? null;

  async function getOrHead(req: SwiftRequest): Promise<SwiftResponse> {
    // Swift's listing_formats middleware negotiates the format (GET and HEAD) before auth runs.
    const format = chooseListingFormat(req.query, req.headers.accept);
    await authorize(req, readAcl(req));
    const { account, container } = req.path;
    const isGet = req.method === 'GET';
    const params = isGet ? listingParams(req.query, s.config.container_listing_limit, 'container') : null;
    const res = await s.replicas.read(containerTarget(s, account, container!), req.method, backendHeaders(req), {
      query: params ? backendListingQuery(params) : undefined,
      newest: isTrue(req.headers['x-newest']),
      log: req.log,
    });
    if (!isSuccess(res.status) || !res.body) {
      res.body?.resume();
      throw fromStatus(res.status);
    }
    const headers = withPolicyName(fromBackend(res.headers), s.config.storage_policies);
    delete headers['content-length'];
    delete headers['content-type'];
    if (!req.owner) for (const name of OWNER_HEADERS) delete headers[name];
    if (!isGet) {
      res.body.resume();
      return { status: 204, headers: { ...headers, ...listingHeaders(format, { bodiless: true, relayed: true }) } };
    }
    const items = (JSON.parse((await readBody(res.body, MAX_LISTING_BODY_BYTES)).toString('utf8')) as ListingItem[]).map(presentContainerItem);
    const listing = formatListing('container', container!, items, format);
    return { status: listing.status, headers: { ...headers, ...listingHeaders(format, { bodiless: listing.body === null, relayed: true }) }, body: listing.body };
  }

  /** PUT and DELETE also tell the account servers, one account replica per container server. */
  function withAccountUpdates(req: SwiftRequest, headers: Record<string, string>) {
    const { account, container } = req.path;
    const target = containerTarget(s, account, container!);
    const accounts = s.rings.account.getNodes(account);
    const n = target.ring.getPartNodes(target.part).length;
    const requests = updateTargetHeaders(n, accounts.part, accounts.nodes, 'x-account').map((u) => ({ ...headers, ...u }));
    return { target, requests };
  }

  async function put(req: SwiftRequest): Promise<SwiftResponse> {
    await authorize(req);
    checkMetadata(req.headers, 'container', s.config);
    const updates = containerUpdates(req);
    const policy = requestedPolicyHeaders(req.headers['x-storage-policy'], s.config.storage_policies);
    await autocreateAccount(s, req, req.path.account);
    const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal, ...updates, ...policy });
    const { target, requests } = withAccountUpdates(req, headers);
    const result = await s.replicas.write(target, 'PUT', requests, { log: req.log });
    s.info.invalidate(req.path.account, req.path.container);
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    return { status: result.status, headers: {} };
  }

  async function post(req: SwiftRequest): Promise<SwiftResponse> {
    await authorize(req);
    checkMetadata(req.headers, 'container', s.config);
    const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal, ...containerUpdates(req) });
    const target = containerTarget(s, req.path.account, req.path.container!);
    const result = await s.replicas.write(target, 'POST', perReplica(target, headers), { log: req.log });
    s.info.invalidate(req.path.account, req.path.container);
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    return { status: 204, headers: {} };
  }

  async function del(req: SwiftRequest): Promise<SwiftResponse> {
    await authorize(req);
    const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal });
    const { target, requests } = withAccountUpdates(req, headers);
    const result = await s.replicas.write(target, 'DELETE', requests, { log: req.log });
    s.info.invalidate(req.path.account, req.path.container);
    if (!isSuccess(result.status)) throw fromStatus(result.status);
    return { status: 204, headers: {} };
  }

  return async function handleContainer(req: SwiftRequest): Promise<SwiftResponse> {
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return getOrHead(req);
      case 'PUT':
        return put(req);
      case 'POST':
        return post(req);
      case 'DELETE':
        return del(req);
      default:
        throw methodNotAllowed(ALLOWED);
    }
  };
}
