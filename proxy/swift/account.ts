// The account controller: GET (container listing), HEAD, POST (metadata). Accounts are
// created on first write (Swift's account_autocreate); a GET or HEAD of an account that
// does not exist yet answers as an empty account. Account PUT and DELETE are refused, as
// in Swift with allow_account_management off.
import { isTrue } from '../../common/http.js';
import { Timestamp } from '../../common/timestamp.js';
import { authorize } from '../auth/acl.js';
import { readBody } from '../backend.js';
import { fromStatus, methodNotAllowed, serviceUnavailable } from '../errors.js';
import { backendListingQuery, checkMetadata, listingParams } from './constraints.js';
import { backendHeaders, fromBackend, metadataUpdates } from './headers.js';
import { MAX_LISTING_BODY_BYTES, chooseListingFormat, formatListing, listingHeaders, type ListingItem } from './listing-format.js';
import type { SwiftRequest, SwiftResponse } from './request.js';
import { accountTarget, perReplica, type Services } from './services.js';

const ALLOWED = ['GET', 'HEAD', 'POST'];

/** Creates the account on its account servers unless it exists (account_autocreate). */
export async function autocreateAccount(s: Services, req: SwiftRequest, account: string): Promise<void> {
  const info = await s.info.account(req, account);
  if (info.status >= 200 && info.status < 300) return;
  if (info.status !== 404) throw fromStatus(info.status >= 500 ? 503 : info.status);
  const target = accountTarget(s, account);
  const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal });
  const result = await s.replicas.write(target, 'PUT', perReplica(target, headers), { log: req.log });
  s.info.invalidate(account);
  if (result.status < 200 || result.status >= 300) throw serviceUnavailable('Could not create the account.');
}

/** What GET/HEAD of an account nobody has written to yet looks like: empty. */
function emptyAccountHeaders(): Record<string, string> {
  const now = Timestamp.now().normal;
  return {
    'x-account-container-count': '0',
    'x-account-object-count': '0',
    'x-account-bytes-used': '0',
    'x-timestamp': now,
    'x-put-timestamp': now,
  };
}

export function accountController(s: Services) {
  async function getOrHead(req: SwiftRequest): Promise<SwiftResponse> {
    // Swift's listing_formats middleware negotiates the format (GET and HEAD) before auth runs.
    const format = chooseListingFormat(req.query, req.headers.accept);
    await authorize(req);
    const account = req.path.account;
    const isGet = req.method === 'GET';
    const params = isGet ? listingParams(req.query, s.config.account_listing_limit, 'account') : null;
    const res = await s.replicas.read(accountTarget(s, account), req.method, backendHeaders(req), {
      query: params ? backendListingQuery(params) : undefined,
      newest: isTrue(req.headers['x-newest']),
      log: req.log,
    });
    let headers: Record<string, string>;
    let items: ListingItem[] = [];
    // Swift's listing of an account not created yet is made up by the proxy itself.
    let relayed = true;
    if (res.status === 404) {
      res.body?.resume();
      headers = emptyAccountHeaders();
      relayed = false;
    } else if (res.status < 200 || res.status >= 300 || !res.body) {
      res.body?.resume();
      throw fromStatus(res.status);
    } else {
      headers = fromBackend(res.headers);
      if (isGet) items = JSON.parse((await readBody(res.body, MAX_LISTING_BODY_BYTES)).toString('utf8')) as ListingItem[];
      else res.body.resume();
    }
    delete headers['content-length'];
    delete headers['content-type'];
    if (!isGet) return { status: 204, headers: { ...headers, ...listingHeaders(format, { bodiless: true, relayed }) } };
    const listing = formatListing('account', account, items, format);
    return { status: listing.status, headers: { ...headers, ...listingHeaders(format, { bodiless: listing.body === null, relayed }) }, body: listing.body };
  }

  async function post(req: SwiftRequest): Promise<SwiftResponse> {
    await authorize(req);
    checkMetadata(req.headers, 'account', s.config);
    const account = req.path.account;
    const target = accountTarget(s, account);
    const send = () => {
      const headers = backendHeaders(req, { 'x-timestamp': Timestamp.now().internal, ...metadataUpdates(req.headers, 'account') });
      return s.replicas.write(target, 'POST', perReplica(target, headers), { log: req.log });
    };
    let result = await send();
    if (result.status === 404) {
      await autocreateAccount(s, req, account);
      result = await send();
    }
    s.info.invalidate(account);
    if (result.status < 200 || result.status >= 300) throw fromStatus(result.status);
    return { status: 204, headers: {} };
  }

  return async function handleAccount(req: SwiftRequest): Promise<SwiftResponse> {
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return getOrHead(req);
      case 'POST':
        return post(req);
      default:
        throw methodNotAllowed(ALLOWED);
    }
  };
}
