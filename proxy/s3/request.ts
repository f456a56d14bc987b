// What every S3 command works with: the request as parsed by the front (bucket and key
// from path-style or virtual-hosted addressing, the SigV4 claim, the caller's Swift
// identity and account), and the one way commands reach storage: a subrequest into the
// Swift API pipeline as the caller, so the same controllers, ACL checks, large-object
// layers and replica logic serve both APIs.
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { ProxyConfig } from '../config.js';
import { SwiftError } from '../errors.js';
import { readBody } from '../backend.js';
import type { TempAuth } from '../auth/tempauth.js';
import type { Identity, SwiftResponse } from '../swift/request.js';
import type { Handler } from '../swift/services.js';
import type { InfoCache } from '../swift/info-cache.js';
import type { SignedRequestClaim } from './signature-v4.js';

export interface S3Context {
  config: ProxyConfig;
  /** The Swift API pipeline (proxy/swift/app.ts). */
  swift: Handler;
  /** The Swift pipeline's cache of account and container info (CORS preflights look buckets up in it). */
  info: InfoCache;
  auth: TempAuth;
}

export interface S3Request {
  method: string;
  bucket?: string;
  key?: string;
  /** Decoded query parameters (first value wins). */
  query: Map<string, string>;
  /** Lower-case names, values as sent. */
  headers: Record<string, string>;
  body: Readable | null;
  /** "account:user" from the access key. */
  user: string;
  identity: Identity;
  /** The Swift account of the caller: AUTH_<account>. */
  account: string;
  /** Null for Signature V2 requests. */
  claim: SignedRequestClaim | null;
  signingKey: Buffer | null;
  transId: string;
  log: FastifyBaseLogger;
  hostUrl: string;
  continueBody: () => void;
}

export type S3Response = SwiftResponse;
export type Command = (ctx: S3Context, req: S3Request) => Promise<S3Response>;

export interface SwiftCall {
  method: string;
  container?: string;
  object?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: Readable | null;
  /** Passed on so an upload's 100 Continue waits until the object servers are ready. */
  continueBody?: () => void;
  /** Another account than the caller's (copy sources are always the caller's here). */
  account?: string;
}

/**
 * A request into the Swift API as the caller. Errors come back as responses (status and
 * message) rather than exceptions, for commands to turn into the right S3 code.
 */
export async function swift(ctx: S3Context, req: S3Request, call: SwiftCall): Promise<S3Response> {
  const path: { account: string; container?: string; object?: string } = { account: call.account ?? req.account };
  if (call.container !== undefined) path.container = call.container;
  if (call.object !== undefined) path.object = call.object;
  try {
    return await ctx.swift({
      method: call.method,
      path,
      query: new Map(Object.entries(call.query ?? {})),
      headers: call.headers ?? {},
      body: call.body ?? null,
      identity: req.identity,
      transId: req.transId,
      log: req.log,
      hostUrl: req.hostUrl,
      continueBody: call.continueBody ?? (() => {}),
      depth: 0,
      owner: false,
    });
  } catch (err) {
    if (err instanceof SwiftError) return { status: err.status, headers: err.headers, body: err.message };
    throw err;
  }
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

/** Frees a response body nobody is going to read. */
export function drainBody(res: S3Response): void {
  const body = res.body;
  if (body && typeof body === 'object' && 'resume' in body && typeof body.resume === 'function') body.resume();
}

/** A small response body (listings, manifests) as text; at most `maxBytes`. */
export async function responseText(res: S3Response, maxBytes = 64 * 1024 * 1024): Promise<string> {
  const body = res.body;
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return (await readBody(body, maxBytes)).toString('utf8');
}

export const xmlResponse = (xml: string, status = 200): S3Response => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: xml,
});
