// Users: the cloud admin creates, changes, lists and deletes them; a user may read itself, list its
// projects and change its own password (which ends every token it held before).
import type { FastifyInstance } from 'fastify';
import { DEFAULT_DOMAIN } from '../auth-service.js';
import { userDeletion } from '../cascade.js';
import { badRequest, conflict, notFound, unauthorized } from '../errors.js';
import { MAX_PASSWORD_BYTES, hashPassword } from '../passwords.js';
import type { UserRecord } from '../store.js';
import { listLinks, projectView, userView } from '../views.js';
import { projectsOf } from './auth.js';
import { adminCaller, baseUrl, matchesQuery, member, newId, optBool, optString, reqString, selfOrAdmin, type RouteContext } from './context.js';

type Params = { Params: { id: string } };
type Query = Record<string, string | undefined>;

const NAME_MAX = 255;

function password(spec: Record<string, unknown>, key = 'password'): string | undefined {
  const value = spec[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw badRequest(`Invalid input for field '${key}': a non-empty string is required.`);
  if (Buffer.byteLength(value) > MAX_PASSWORD_BYTES) throw badRequest(`Invalid input for field '${key}': longer than ${MAX_PASSWORD_BYTES} bytes.`);
  return value;
}

export function userRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const user = (id: string) => store.get('user', id) ?? (() => { throw notFound('user', id); })();
  const checkProject = (id: string | undefined) => {
    if (id !== undefined && !store.get('project', id)) throw notFound('project', id);
  };

  app.get('/v3/users', async (request) => {
    adminCaller(ctx, request, 'identity:list_users');
    const base = baseUrl(request);
    const users = store.all('user').filter((u) => matchesQuery({ ...u }, request.query as Query, ['name', 'domain_id', 'enabled']));
    return { users: users.map((u) => userView(u, base)), links: listLinks(base, 'users') };
  });

  app.post('/v3/users', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_user');
    const spec = member(request.body, 'user');
    const name = reqString(spec, 'name', NAME_MAX);
    const domainId = optString(spec, 'domain_id') ?? DEFAULT_DOMAIN;
    if (!store.get('domain', domainId)) throw notFound('domain', domainId);
    const defaultProject = optString(spec, 'default_project_id');
    checkProject(defaultProject);
    const clear = password(spec);
    const record: UserRecord = {
      id: newId(),
      name,
      domain_id: domainId,
      enabled: optBool(spec, 'enabled') ?? true,
      password_hash: clear === undefined ? null : await hashPassword(clear, config.scrypt_cost),
      default_project_id: defaultProject ?? null,
      description: optString(spec, 'description', 65535) ?? '',
      email: optString(spec, 'email') ?? null,
      tokens_valid_after_ms: 0,
    };
    await store.exclusive(async () => {
      if (store.find('user', (u) => u.name === name && u.domain_id === domainId)) throw conflict(`user: a user named ${name} exists in domain ${domainId}.`);
      await store.put('user', record);
    });
    request.log.info({ user_id: record.id, name }, 'user created');
    return reply.code(201).send({ user: userView(record, baseUrl(request)) });
  });

  app.get<Params>('/v3/users/:id', async (request) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:get_user');
    return { user: userView(user(request.params.id), baseUrl(request)) };
  });

  app.patch<Params>('/v3/users/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_user');
    const spec = member(request.body, 'user');
    const clear = password(spec);
    const newHash = clear === undefined ? undefined : await hashPassword(clear, config.scrypt_cost);
    const defaultProject = optString(spec, 'default_project_id');
    checkProject(defaultProject);
    const updated = await store.exclusive(async () => {
      const current = user(request.params.id);
      const name = spec.name === undefined ? current.name : reqString(spec, 'name', NAME_MAX);
      if (name !== current.name && store.find('user', (u) => u.name === name && u.domain_id === current.domain_id)) {
        throw conflict(`user: a user named ${name} exists in domain ${current.domain_id}.`);
      }
      const next: UserRecord = {
        ...current,
        name,
        enabled: optBool(spec, 'enabled') ?? current.enabled,
        description: optString(spec, 'description', 65535) ?? current.description,
        email: optString(spec, 'email') ?? current.email,
        default_project_id: defaultProject ?? current.default_project_id,
        ...(newHash !== undefined ? { password_hash: newHash, tokens_valid_after_ms: Date.now() } : {}),
      };
      await store.put('user', next);
      return next;
    });
    return { user: userView(updated, baseUrl(request)) };
  });

  app.delete<Params>('/v3/users/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_user');
    await store.exclusive(async () => {
      user(request.params.id);
      await store.write(userDeletion(store, request.params.id));
    });
    request.log.info({ user_id: request.params.id }, 'user deleted');
    return reply.code(204).send();
  });

  app.post<Params>('/v3/users/:id/password', async (request, reply) => {
    const who = selfOrAdmin(ctx, request, request.params.id, 'identity:change_password');
    if (who.user.id !== request.params.id) throw unauthorized();
    const spec = member(request.body, 'user');
    const original = password(spec, 'original_password');
    const clear = password(spec);
    if (original === undefined || clear === undefined) throw badRequest("Expecting to find 'password' and 'original_password' in user.");
    // Under the same brute-force brake as a login: a stolen token must not become a fast password oracle.
    if (!(await ctx.auth.checkPassword(`id:${who.user.id}`, who.user.password_hash, original, request.ip))) throw unauthorized();
    const newHash = await hashPassword(clear, config.scrypt_cost);
    await store.exclusive(async () => {
      const current = user(request.params.id);
      await store.put('user', { ...current, password_hash: newHash, tokens_valid_after_ms: Date.now() });
    });
    return reply.code(204).send();
  });

  app.get<Params>('/v3/users/:id/projects', async (request) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:list_user_projects');
    user(request.params.id);
    const base = baseUrl(request);
    return { projects: projectsOf(ctx, request.params.id).map((p) => projectView(p, base)), links: listLinks(base, `users/${request.params.id}/projects`) };
  });

  app.get<Params>('/v3/users/:id/groups', async (request) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:list_groups_for_user');
    user(request.params.id);
    // Groups are not part of this subset: every user belongs to none.
    return { groups: [], links: listLinks(baseUrl(request), `users/${request.params.id}/groups`) };
  });
}
