// Who may do what: Swift's container ACLs (X-Container-Read / X-Container-Write) and
// tempauth's authorize(). Controllers call authorize() once they know which ACL applies
// (the container's read ACL for reads, its write ACL for object writes, none for
// account and container changes, which only owners may make).
import { URL } from 'node:url';
import type { SwiftRequest } from '../swift/request.js';
import { badRequest, forbidden, unauthorized } from '../errors.js';
import { RESELLER_PREFIX } from './tempauth.js';

const REFERRER_DESIGNATORS = new Set(['.r', '.ref', '.referer', '.referrer']);

/**
 * Validates and normalises an ACL header value as Swift's clean_acl: "bob , sue" →
 * "bob,sue", ".referrer:*" → ".r:*"; referrer rules are refused in write ACLs.
 */
export function cleanAcl(headerName: string, value: string): string {
  const cleaned: string[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const colon = item.indexOf(':');
    const first = colon < 0 ? item : item.slice(0, colon).trim();
    if (colon < 0 || !first.startsWith('.')) {
      cleaned.push(item);
      continue;
    }
    if (!REFERRER_DESIGNATORS.has(first)) {
      throw badRequest(`Unknown designator ${JSON.stringify(first)} in ACL: ${JSON.stringify(item)}`);
    }
    if (headerName.toLowerCase().includes('write')) {
      throw badRequest(`Referrers not allowed in write ACL: ${JSON.stringify(item)}`);
    }
    let host = item.slice(colon + 1).trim();
    const negate = host.startsWith('-');
    if (negate) host = host.slice(1).trim();
    if (host !== '*' && host.startsWith('*')) host = host.slice(1).trim();
    if (!host || host === '.') {
      throw badRequest(`No host/domain value after referrer designation in ACL: ${JSON.stringify(item)}`);
    }
    cleaned.push(`.r:${negate ? '-' : ''}${host}`);
  }
  return cleaned.join(',');
}

export interface ParsedAcl {
  referrers: string[];
  groups: string[];
}

export function parseAcl(acl: string | null | undefined): ParsedAcl {
  const parsed: ParsedAcl = { referrers: [], groups: [] };
  for (const item of (acl ?? '').split(',')) {
    if (!item) continue;
    if (item.startsWith('.r:')) parsed.referrers.push(item.slice(3));
    else parsed.groups.push(item);
  }
  return parsed;
}

/** Referrer rules apply in order; "-host" denies, ".domain" matches subdomains, "*" anyone. */
export function referrerAllowed(referer: string | undefined, rules: string[]): boolean {
  if (rules.length === 0) return false;
  let host = 'unknown';
  try {
    if (referer) host = new URL(referer).hostname || 'unknown';
  } catch {
    // an unparsable Referer matches only "*"
  }
  let allow = false;
  for (const rule of rules) {
    const deny = rule.startsWith('-');
    const pattern = deny ? rule.slice(1) : rule;
    const matches = pattern === '*' ? !deny : pattern === host || (pattern.startsWith('.') && host.endsWith(pattern));
    if (matches) allow = !deny;
  }
  return allow;
}

export type AclSource = string | null | (() => Promise<string | null>);

/**
 * Tempauth's authorize: reseller admins and account admins pass (and become owners);
 * anyone else needs the ACL. Denied → 401 when anonymous, 403 when authenticated.
 * The ACL may be given lazily: owners never make the proxy look it up.
 */
export async function authorize(req: SwiftRequest, acl: AclSource = null): Promise<void> {
  const { account, container, object } = req.path;
  const groups = req.identity?.groups ?? [];
  const deny = () => (req.identity ? forbidden() : unauthorized());
  if (!account.startsWith(RESELLER_PREFIX)) throw deny();
  const resellerTarget = account.length > RESELLER_PREFIX.length && account[RESELLER_PREFIX.length] !== '.';
  if (groups.includes('.reseller_admin') && resellerTarget) {
    req.owner = true;
    return;
  }
  if (groups.includes(account) && (!(req.method === 'PUT' || req.method === 'DELETE') || container !== undefined)) {
    req.owner = true;
    return;
  }
  if (req.method === 'OPTIONS') return;
  // Keystone's reader role reads its project's account (see keystone.ts), without owning it.
  if ((req.method === 'GET' || req.method === 'HEAD') && groups.includes(`.reader:${account}`)) return;
  const parsed = parseAcl(typeof acl === 'function' ? await acl() : acl);
  if (referrerAllowed(req.headers.referer, parsed.referrers)) {
    if (object !== undefined || parsed.groups.includes('.rlistings')) return;
  }
  if (groups.some((g) => parsed.groups.includes(g))) return;
  // "*" grants every authenticated user (keystoneauth's "*:*"; tempauth itself has no wildcard).
  if (req.identity && parsed.groups.includes('*')) return;
  throw deny();
}
