// Storage policies at the Swift API: a client names a policy (X-Storage-Policy, by name
// or alias, any case) when it creates a container, and sees the container's policy name
// on HEAD/GET; storage nodes speak only in indexes (X-Backend-Storage-Policy-Index).
// Swift's proxy/controllers/container.py (_convert_policy_to_index, convert_policy).
import { POLICY_DEFAULT_HEADER, POLICY_INDEX_HEADER, type StoragePolicies } from '../../common/storage-policy.js';
import { badRequest, plainError } from '../errors.js';

/**
 * What a container PUT tells the container servers about its policy: the index of the one
 * named (a new container gets it; an existing one of another policy answers 409), or,
 * when none is named, the default's index for a new container. 400 for a name no policy
 * has (Swift's text, as text/plain) or a deprecated policy.
 */
export function requestedPolicyHeaders(name: string | undefined, policies: StoragePolicies): Record<string, string> {
  if (!name) return { [POLICY_DEFAULT_HEADER]: String(policies.default.index) };
  const policy = policies.byName(name);
  if (!policy) throw plainError(400, `Invalid X-Storage-Policy '${name}'`);
  // Swift formats the name with %r: names hold only letters, digits and '-', so that is '<name>'.
  if (policy.isDeprecated) throw badRequest(`Storage Policy '${policy.name}' is deprecated`);
  return { [POLICY_INDEX_HEADER]: String(policy.index) };
}

/** A container's HEAD/GET headers with X-Storage-Policy: the primary name of its policy's index. */
export function withPolicyName(headers: Record<string, string>, policies: StoragePolicies): Record<string, string> {
  const index = headers[POLICY_INDEX_HEADER];
  if (index === undefined) return headers;
  const policy = policies.byIndex(index);
  // Swift logs an index it cannot translate and leaves the header out.
  return policy ? { ...headers, 'x-storage-policy': policy.name } : headers;
}
