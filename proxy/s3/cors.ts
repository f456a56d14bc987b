// CORS for S3 buckets: the bucket's rules (PutBucketCors) kept as container system
// metadata, the browser's preflight (OPTIONS with Origin and Access-Control-Request-Method,
// unsigned, as browsers send it) answered from them, and the Access-Control-* headers
// added to signed requests that come with an Origin. Rules match as in S3: the first rule
// whose origin (one * wildcard allowed), method and every requested header match.
import { requireBucket } from './buckets.js';
import { preflightRules } from './cors-owners.js';
import { S3Error } from './errors.js';
import type { S3Context, S3Request } from './request.js';
import { parseXml, toXml } from './xml.js';

export const SYSMETA_CORS = 'x-container-sysmeta-s3-cors';
/** A container header value is at most 8 KiB (the storage nodes' limit). */
export const MAX_STORED_CORS_BYTES = 8192;
const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);
const MAX_RULES = 100;

export interface CorsRule {
  id?: string;
  origins: string[];
  methods: string[];
  headers: string[];
  expose: string[];
  maxAge?: number;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => String(v));

/** A CORSConfiguration document as rules; MalformedXML / InvalidRequest when it is not valid. */
export function parseCorsXml(text: string): CorsRule[] {
  const doc = parseXml(text, 'CORSConfiguration');
  const rules = (doc.CORSRule ?? []) as Array<Record<string, unknown>>;
  if (rules.length === 0 || rules.length > MAX_RULES) throw new S3Error('MalformedXML');
  return rules.map((r) => {
    const rule: CorsRule = {
      origins: strings(r.AllowedOrigin),
      methods: strings(r.AllowedMethod),
      headers: strings(r.AllowedHeader),
      expose: strings(r.ExposeHeader),
    };
    if (typeof r.ID === 'string') rule.id = r.ID;
    if (rule.origins.length === 0 || rule.methods.length === 0) throw new S3Error('MalformedXML');
    for (const method of rule.methods) {
      if (!METHODS.has(method)) throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
    }
    for (const origin of rule.origins) {
      if ((origin.match(/\*/g) ?? []).length > 1) throw new S3Error('InvalidRequest', `AllowedOrigin "${origin}" can not have more than one wildcard.`);
    }
    for (const header of rule.headers) {
      if ((header.match(/\*/g) ?? []).length > 1) throw new S3Error('InvalidRequest', `AllowedHeader "${header}" can not have more than one wildcard.`);
    }
    if (r.MaxAgeSeconds !== undefined) {
      if (typeof r.MaxAgeSeconds !== 'string' || !/^\d{1,9}$/.test(r.MaxAgeSeconds)) throw new S3Error('MalformedXML');
      rule.maxAge = Number(r.MaxAgeSeconds);
    }
    return rule;
  });
}

export function corsXml(rules: CorsRule[]): string {
  return toXml('CORSConfiguration', {
    CORSRule: rules.map((r) => ({
      ...(r.id !== undefined ? { ID: r.id } : {}),
      ...(r.headers.length ? { AllowedHeader: r.headers } : {}),
      AllowedMethod: r.methods,
      AllowedOrigin: r.origins,
      ...(r.expose.length ? { ExposeHeader: r.expose } : {}),
      ...(r.maxAge !== undefined ? { MaxAgeSeconds: r.maxAge } : {}),
    })),
  });
}

/** The rules stored on a container (its headers), or null. */
export function storedRules(containerHeaders: Record<string, string>): CorsRule[] | null {
  const stored = containerHeaders[SYSMETA_CORS];
  if (!stored) return null;
  try {
    return JSON.parse(stored) as CorsRule[];
  } catch {
    return null;
  }
}

/** A pattern with at most one "*" (any run of characters), compared case-insensitively when asked. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

export function matchRule(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | null {
  return (
    rules.find(
      (r) =>
        r.origins.some((o) => wildcardMatch(o, origin, false)) &&
        r.methods.includes(method) &&
        requestHeaders.every((h) => r.headers.some((allowed) => wildcardMatch(allowed, h, true))),
    ) ?? null
  );
}

/** The Access-Control-* headers S3 answers a matching request with. */
export function corsHeaders(rule: CorsRule, origin: string, preflight: { requestHeaders: string[] } | null): Record<string, string> {
  const anyOrigin = rule.origins.includes('*');
  const out: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.methods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!anyOrigin) out['access-control-allow-credentials'] = 'true';
  if (rule.expose.length) out['access-control-expose-headers'] = rule.expose.join(', ');
  if (preflight) {
    if (preflight.requestHeaders.length) out['access-control-allow-headers'] = preflight.requestHeaders.join(', ');
    if (rule.maxAge !== undefined) out['access-control-max-age'] = String(rule.maxAge);
  }
  return out;
}

const requestedHeaders = (value: string | undefined) =>
  (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');

export interface PreflightInput {
  bucket: string | undefined;
  headers: Record<string, string>;
  transId: string;
  log: S3Request['log'];
  hostUrl: string;
}

/**
 * Answers a preflight. Browsers send it unsigned, so the bucket's account is the one that
 * claimed its name with PutBucketCors (cors-owners.ts): at most two cached lookups, and
 * no other account's bucket is ever consulted.
 */
export async function preflight(ctx: S3Context, input: PreflightInput): Promise<{ status: number; headers: Record<string, string> }> {
  const origin = input.headers.origin;
  const method = input.headers['access-control-request-method'];
  if (!origin || !method) throw new S3Error('InvalidRequest', 'Insufficient information. Origin request header needed.');
  if (!input.bucket) throw new S3Error('AccessForbidden', 'CORSResponse: Bucket not found');
  const rules = await preflightRules(ctx, input, input.bucket);
  if (!rules) throw new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
  const wanted = requestedHeaders(input.headers['access-control-request-headers']);
  const rule = matchRule(rules, origin, method, wanted);
  if (!rule) throw new S3Error('AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
  return { status: 200, headers: { ...corsHeaders(rule, origin, { requestHeaders: wanted }), 'content-length': '0' } };
}

/** Access-Control-* headers for a signed request with an Origin, when a rule of its bucket allows it. */
export async function actualRequestHeaders(ctx: S3Context, req: S3Request): Promise<Record<string, string>> {
  const origin = req.headers.origin;
  if (!origin || req.bucket === undefined) return {};
  let rules: CorsRule[] | null;
  try {
    rules = storedRules(await requireBucket(ctx, req));
  } catch {
    return {};
  }
  const rule = rules ? matchRule(rules, origin, req.method, []) : null;
  return rule ? corsHeaders(rule, origin, null) : {};
}
