// Which ETag an object's conditional requests compare with; the evaluation itself is
// common/conditional-requests.ts (swob's, shared with the proxy).
import type { Metadata } from './datafile.js';

/**
 * The ETag conditional requests compare with: the first metadata key named by
 * X-Backend-Etag-Is-At that the object has (how SLO and encryption expose another
 * ETag), else the object's own.
 */
export function conditionalEtag(headers: Record<string, string>, metadata: Metadata): string {
  const keys = headers['x-backend-etag-is-at'];
  if (keys) {
    const lower = new Map(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
    for (const key of keys.split(',')) {
      const value = lower.get(key.trim().toLowerCase());
      if (value !== undefined) return value;
    }
  }
  return metadata.ETag ?? '';
}
