// What every route module gets: the database, the authentication service, settings, and
// small helpers for the caller's token, policy checks and request bodies.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { IdentitySettings } from '../config.js';
import { AuthService, isCloudAdmin, type TokenContext } from '../auth-service.js';
import { badRequest, forbidden, unauthorized } from '../errors.js';
import type { Store } from '../store.js';

export interface RouteContext {
  store: Store;
  auth: AuthService;
  config: IdentitySettings;
}

/** "http://<host the client used>", for links in bodies. */
export const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.headers.host ?? 'localhost'}`;

/** Keystone's ids: 32 hex digits. */
export const newId = () => randomUUID().replace(/-/g, '');

/** The caller's token (X-Auth-Token), or 401. */
export function caller(ctx: RouteContext, request: FastifyRequest): TokenContext {
  const token = request.headers['x-auth-token'];
  const found = typeof token === 'string' && token !== '' ? ctx.auth.validate(token) : null;
  if (!found) throw unauthorized();
  return found;
}

/** The caller, who must be the cloud admin (the admin role on the admin project; see isCloudAdmin). */
export function adminCaller(ctx: RouteContext, request: FastifyRequest, action: string): TokenContext {
  const who = caller(ctx, request);
  if (!isCloudAdmin(who)) throw forbidden(action);
  return who;
}

/** The caller, who must be the user `userId` or the cloud admin. */
export function selfOrAdmin(ctx: RouteContext, request: FastifyRequest, userId: string, action: string): TokenContext {
  const who = caller(ctx, request);
  if (who.user.id !== userId && !isCloudAdmin(who)) throw forbidden(action);
  return who;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object under `key` in a JSON body ({"project": {…}}), or 400. */
export function member(body: unknown, key: string): Record<string, unknown> {
  const value = isRecord(body) ? body[key] : undefined;
  if (!isRecord(value)) throw badRequest(`Expecting to find ${key} in the request body.`);
  return value;
}

/** An optional string field; 400 when present but not a string (or longer than `max`). */
export function optString(obj: Record<string, unknown>, key: string, max = 255): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`Invalid input for field '${key}': expected a string.`);
  if (v.length > max) throw badRequest(`Invalid input for field '${key}': longer than ${max} characters.`);
  return v;
}

/** A required, non-empty string field. */
export function reqString(obj: Record<string, unknown>, key: string, max = 255): string {
  const v = optString(obj, key, max);
  if (v === undefined || v.trim() === '') throw badRequest(`Invalid input for field '${key}': a non-empty string is required.`);
  return v;
}

export function optBool(obj: Record<string, unknown>, key: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`Invalid input for field '${key}': expected a boolean.`);
  return v;
}

/** Query filters: `?name=x&enabled=true`; values compare as strings. */
export function matchesQuery(record: Record<string, unknown>, query: Record<string, string | undefined>, keys: string[]): boolean {
  for (const key of keys) {
    const want = query[key];
    if (want === undefined) continue;
    const have = record[key];
    if (typeof have === 'boolean' ? String(have) !== want.toLowerCase() : String(have ?? '') !== want) return false;
  }
  return true;
}
