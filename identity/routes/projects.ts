// Domains and projects: the containers users and role assignments live in. Only the cloud
// admin creates, changes or lists them; a user may read the project their token is scoped to.
import type { FastifyInstance } from 'fastify';
import { isCloudAdmin, DEFAULT_DOMAIN } from '../auth-service.js';
import { domainDeletion, projectDeletion } from '../cascade.js';
import { KeystoneError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { DomainRecord, ProjectRecord } from '../store.js';
import { domainView, listLinks, projectView } from '../views.js';
import { adminCaller, baseUrl, caller, matchesQuery, member, newId, optBool, optString, reqString, type RouteContext } from './context.js';

type Params = { Params: { id: string } };
type Query = Record<string, string | undefined>;

const NAME_MAX = 64;

export function projectRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const project = (id: string) => store.get('project', id) ?? (() => { throw notFound('project', id); })();
  const domain = (id: string) => store.get('domain', id) ?? (() => { throw notFound('domain', id); })();

  app.get('/v3/projects', async (request) => {
    adminCaller(ctx, request, 'identity:list_projects');
    const base = baseUrl(request);
    const query = request.query as Query;
    const projects = store.all('project').filter((p) => matchesQuery({ ...p }, query, ['name', 'domain_id', 'enabled']));
    return { projects: projects.map((p) => projectView(p, base)), links: listLinks(base, 'projects') };
  });

  app.post('/v3/projects', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_project');
    const spec = member(request.body, 'project');
    const name = reqString(spec, 'name', NAME_MAX);
    const domainId = optString(spec, 'domain_id') ?? DEFAULT_DOMAIN;
    const parentId = optString(spec, 'parent_id');
    if (spec.is_domain === true) throw badRequest('Projects acting as domains are not supported; create a domain.');
    if (parentId !== undefined && parentId !== domainId) throw badRequest('Project hierarchies are not supported: parent_id must be the domain.');
    domain(domainId);
    const record: ProjectRecord = {
      id: newId(),
      name,
      domain_id: domainId,
      description: optString(spec, 'description', 65535) ?? '',
      enabled: optBool(spec, 'enabled') ?? true,
    };
    await store.exclusive(async () => {
      if (store.find('project', (p) => p.name === name && p.domain_id === domainId)) throw conflict(`project: a project named ${name} exists in domain ${domainId}.`);
      await store.put('project', record);
    });
    request.log.info({ project_id: record.id, name }, 'project created');
    return reply.code(201).send({ project: projectView(record, baseUrl(request)) });
  });

  app.get<Params>('/v3/projects/:id', async (request) => {
    const who = caller(ctx, request);
    if (!isCloudAdmin(who) && who.project?.id !== request.params.id) throw forbidden('identity:get_project');
    return { project: projectView(project(request.params.id), baseUrl(request)) };
  });

  app.patch<Params>('/v3/projects/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_project');
    const spec = member(request.body, 'project');
    const updated = await store.exclusive(async () => {
      const current = project(request.params.id);
      const name = spec.name === undefined ? current.name : reqString(spec, 'name', NAME_MAX);
      if (name !== current.name && store.find('project', (p) => p.name === name && p.domain_id === current.domain_id)) {
        throw conflict(`project: a project named ${name} exists in domain ${current.domain_id}.`);
      }
      const next: ProjectRecord = {
        ...current,
        name,
        description: optString(spec, 'description', 65535) ?? current.description,
        enabled: optBool(spec, 'enabled') ?? current.enabled,
      };
      await store.put('project', next);
      return next;
    });
    return { project: projectView(updated, baseUrl(request)) };
  });

  app.delete<Params>('/v3/projects/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_project');
    await store.exclusive(async () => {
      project(request.params.id);
      await store.write(projectDeletion(store, request.params.id));
    });
    request.log.info({ project_id: request.params.id }, 'project deleted');
    return reply.code(204).send();
  });

  app.get('/v3/domains', async (request) => {
    adminCaller(ctx, request, 'identity:list_domains');
    const base = baseUrl(request);
    const domains = store.all('domain').filter((d) => matchesQuery({ ...d }, request.query as Query, ['name', 'enabled']));
    return { domains: domains.map((d) => domainView(d, base)), links: listLinks(base, 'domains') };
  });

  app.get<Params>('/v3/domains/:id', async (request) => {
    caller(ctx, request);
    return { domain: domainView(domain(request.params.id), baseUrl(request)) };
  });

  app.post('/v3/domains', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_domain');
    const spec = member(request.body, 'domain');
    const name = reqString(spec, 'name', NAME_MAX);
    const record: DomainRecord = { id: newId(), name, description: optString(spec, 'description', 65535) ?? '', enabled: optBool(spec, 'enabled') ?? true };
    await store.exclusive(async () => {
      if (store.find('domain', (d) => d.name === name)) throw conflict(`domain: a domain named ${name} exists.`);
      await store.put('domain', record);
    });
    return reply.code(201).send({ domain: domainView(record, baseUrl(request)) });
  });

  app.patch<Params>('/v3/domains/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_domain');
    const spec = member(request.body, 'domain');
    const updated = await store.exclusive(async () => {
      const current = domain(request.params.id);
      const name = spec.name === undefined ? current.name : reqString(spec, 'name', NAME_MAX);
      if (name !== current.name && store.find('domain', (d) => d.name === name)) throw conflict(`domain: a domain named ${name} exists.`);
      const next: DomainRecord = { ...current, name, description: optString(spec, 'description', 65535) ?? current.description, enabled: optBool(spec, 'enabled') ?? current.enabled };
      if (next.id === DEFAULT_DOMAIN && !next.enabled) throw forbidden('identity:update_domain (the default domain cannot be disabled)');
      await store.put('domain', next);
      return next;
    });
    return { domain: domainView(updated, baseUrl(request)) };
  });

  app.delete<Params>('/v3/domains/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_domain');
    await store.exclusive(async () => {
      const current = domain(request.params.id);
      if (current.enabled) throw new KeystoneError(403, 'Forbidden', 'Cannot delete a domain that is enabled, please disable it first.');
      await store.write(domainDeletion(store, current.id));
    });
    return reply.code(204).send();
  });
}
