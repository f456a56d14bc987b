// Roles and role assignments. A role means something only once assigned to a user on a
// project; the proxy reads the role names in a token (admin, member: owner of the
// project's account; reader: read-only).
import type { FastifyInstance } from 'fastify';
import { roleDeletion } from '../cascade.js';
import { conflict, forbidden, notFound } from '../errors.js';
import type { AssignmentRecord, RoleRecord } from '../store.js';
import { links, listLinks, roleView } from '../views.js';
import { adminCaller, baseUrl, caller, matchesQuery, member, newId, optString, reqString, type RouteContext } from './context.js';
import { isCloudAdmin } from '../auth-service.js';

type Params = { Params: { id: string } };
type GrantParams = { Params: { project: string; user: string; role: string } };
type Query = Record<string, string | undefined>;

const NAME_MAX = 255;
const TRUE = new Set(['', 'true', 'True', '1', 'yes']);

export function roleRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const role = (id: string) => store.get('role', id) ?? (() => { throw notFound('role', id); })();

  app.get('/v3/roles', async (request) => {
    adminCaller(ctx, request, 'identity:list_roles');
    const base = baseUrl(request);
    const roles = store.all('role').filter((r) => matchesQuery({ ...r }, request.query as Query, ['name']));
    return { roles: roles.map((r) => roleView(r, base)), links: listLinks(base, 'roles') };
  });

  app.post('/v3/roles', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_role');
    const spec = member(request.body, 'role');
    const name = reqString(spec, 'name', NAME_MAX);
    const record: RoleRecord = { id: newId(), name, description: optString(spec, 'description', 65535) ?? '' };
    await store.exclusive(async () => {
      if (store.find('role', (r) => r.name.toLowerCase() === name.toLowerCase())) throw conflict(`role: a role named ${name} exists.`);
      await store.put('role', record);
    });
    return reply.code(201).send({ role: roleView(record, baseUrl(request)) });
  });

  app.get<Params>('/v3/roles/:id', async (request) => {
    adminCaller(ctx, request, 'identity:get_role');
    return { role: roleView(role(request.params.id), baseUrl(request)) };
  });

  app.patch<Params>('/v3/roles/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_role');
    const spec = member(request.body, 'role');
    const updated = await store.exclusive(async () => {
      const current = role(request.params.id);
      const name = spec.name === undefined ? current.name : reqString(spec, 'name', NAME_MAX);
      if (name !== current.name && store.find('role', (r) => r.name.toLowerCase() === name.toLowerCase())) throw conflict(`role: a role named ${name} exists.`);
      const next = { ...current, name, description: optString(spec, 'description', 65535) ?? current.description };
      await store.put('role', next);
      return next;
    });
    return { role: roleView(updated, baseUrl(request)) };
  });

  app.delete<Params>('/v3/roles/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_role');
    await store.exclusive(async () => {
      role(request.params.id);
      await store.write(roleDeletion(store, request.params.id));
    });
    return reply.code(204).send();
  });

  const grantTarget = (p: GrantParams['Params']) => {
    if (!store.get('project', p.project)) throw notFound('project', p.project);
    if (!store.get('user', p.user)) throw notFound('user', p.user);
    role(p.role);
    return `${p.project}:${p.user}:${p.role}`;
  };
  const grantUrl = '/v3/projects/:project/users/:user/roles/:role';

  app.put<GrantParams>(grantUrl, async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_grant');
    await store.exclusive(async () => {
      const id = grantTarget(request.params);
      const record: AssignmentRecord = { id, project_id: request.params.project, user_id: request.params.user, role_id: request.params.role };
      await store.put('assignment', record);
    });
    request.log.info({ ...request.params }, 'role assigned');
    return reply.code(204).send();
  });

  const checkGrant = async (request: { params: GrantParams['Params'] }, reply: { code(n: number): { send(): unknown } }) => {
    const id = grantTarget(request.params);
    if (!store.get('assignment', id)) throw notFound('role assignment', `role ${request.params.role} of user ${request.params.user} on project ${request.params.project}`);
    return reply.code(204).send();
  };
  app.head<GrantParams>(grantUrl, async (request, reply) => {
    adminCaller(ctx, request, 'identity:check_grant');
    return checkGrant(request, reply);
  });
  app.get<GrantParams>(grantUrl, { exposeHeadRoute: false }, async (request, reply) => {
    adminCaller(ctx, request, 'identity:check_grant');
    return checkGrant(request, reply);
  });

  app.delete<GrantParams>(grantUrl, async (request, reply) => {
    adminCaller(ctx, request, 'identity:revoke_grant');
    await store.exclusive(async () => {
      const id = grantTarget(request.params);
      if (!store.get('assignment', id)) throw notFound('role assignment', `role ${request.params.role} of user ${request.params.user} on project ${request.params.project}`);
      await store.write([{ op: 'del', kind: 'assignment', id }]);
    });
    request.log.info({ ...request.params }, 'role unassigned');
    return reply.code(204).send();
  });

  app.get<{ Params: { project: string; user: string } }>('/v3/projects/:project/users/:user/roles', async (request) => {
    const who = caller(ctx, request);
    if (!isCloudAdmin(who) && who.user.id !== request.params.user) throw forbidden('identity:list_grants');
    if (!store.get('project', request.params.project)) throw notFound('project', request.params.project);
    if (!store.get('user', request.params.user)) throw notFound('user', request.params.user);
    const base = baseUrl(request);
    const roles = ctx.auth.rolesOn(request.params.user, request.params.project);
    return { roles: roles.map((r) => roleView(r, base)), links: listLinks(base, `projects/${request.params.project}/users/${request.params.user}/roles`) };
  });

  app.get('/v3/role_assignments', async (request) => {
    adminCaller(ctx, request, 'identity:list_role_assignments');
    const q = request.query as Query;
    const base = baseUrl(request);
    // Only direct user assignments on projects exist: asking for groups, domains, system scope or inherited ones finds none.
    const none = q['group.id'] !== undefined || q['scope.domain.id'] !== undefined || q['scope.system'] !== undefined || q['scope.OS-INHERIT:inherited_to'] !== undefined;
    const names = q.include_names !== undefined && TRUE.has(q.include_names);
    const domainRef = (id: string) => ({ id, name: store.get('domain', id)?.name ?? id });
    const assignments = none
      ? []
      : store
          .all('assignment')
          .filter((a) => (q['user.id'] === undefined || a.user_id === q['user.id']) && (q['scope.project.id'] === undefined || a.project_id === q['scope.project.id']) && (q['role.id'] === undefined || a.role_id === q['role.id']));
    return {
      role_assignments: assignments.map((a) => {
        const r = store.get('role', a.role_id);
        const u = store.get('user', a.user_id);
        const p = store.get('project', a.project_id);
        return {
          role: names && r ? { id: r.id, name: r.name } : { id: a.role_id },
          user: names && u ? { id: u.id, name: u.name, domain: domainRef(u.domain_id) } : { id: a.user_id },
          scope: { project: names && p ? { id: p.id, name: p.name, domain: domainRef(p.domain_id) } : { id: a.project_id } },
          links: { assignment: links(base, `projects/${a.project_id}/users/${a.user_id}/roles/${a.role_id}`).self },
        };
      }),
      links: listLinks(base, 'role_assignments'),
    };
  });
}
