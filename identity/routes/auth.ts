// /v3/auth: issue (POST), validate (GET, HEAD) and revoke (DELETE) tokens, and what a
// token gives access to: its catalog and the projects its user may scope to.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isServiceOrCloudAdmin, type TokenContext } from '../auth-service.js';
import { forbidden, notFound } from '../errors.js';
import { projectView, catalogFor, listLinks } from '../views.js';
import { baseUrl, caller, type RouteContext } from './context.js';

/** Projects the user holds any role on. */
export function projectsOf(ctx: RouteContext, userId: string) {
  const ids = new Set(ctx.store.all('assignment').filter((a) => a.user_id === userId).map((a) => a.project_id));
  return [...ids].map((id) => ctx.store.get('project', id)).filter((p) => p !== undefined);
}

export function authRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const withCatalog = (request: FastifyRequest) => (request.query as Record<string, string | undefined>).nocatalog === undefined;

  app.post('/v3/auth/tokens', async (request, reply) => {
    const token = await ctx.auth.authenticate(request.body, request.ip);
    request.log.info({ user_id: token.user.id, project_id: token.project?.id }, 'token issued');
    return reply.code(201).header('x-subject-token', token.token).send(ctx.auth.tokenBody(token, withCatalog(request)));
  });

  /** The token in X-Subject-Token, which the caller may inspect: its own, or any when a service or the cloud admin (Keystone's service_admin_or_token_subject). */
  const subject = (request: FastifyRequest, action: string): TokenContext => {
    const who = caller(ctx, request);
    const header = request.headers['x-subject-token'];
    const subjectToken = typeof header === 'string' ? header : '';
    const found = subjectToken === who.token ? who : ctx.auth.validate(subjectToken);
    if (!found) throw notFound('token', 'the X-Subject-Token');
    if (found.user.id !== who.user.id && !isServiceOrCloudAdmin(who)) throw forbidden(action);
    return found;
  };

  app.get('/v3/auth/tokens', { exposeHeadRoute: false }, async (request, reply) => {
    const found = subject(request, 'identity:validate_token');
    return reply.header('x-subject-token', found.token).send(ctx.auth.tokenBody(found, withCatalog(request)));
  });
  app.head('/v3/auth/tokens', async (request, reply) => {
    const found = subject(request, 'identity:check_token');
    return reply.code(200).header('x-subject-token', found.token).send();
  });
  app.delete('/v3/auth/tokens', async (request, reply) => {
    const found = subject(request, 'identity:revoke_token');
    await ctx.auth.revoke(found);
    request.log.info({ user_id: found.user.id, audit_id: found.claims.a[0] }, 'token revoked');
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (request) => {
    const who = caller(ctx, request);
    if (!who.project) throw forbidden('identity:get_auth_catalog (the token is not scoped to a project)');
    return { catalog: catalogFor(ctx.store, who.project.id), links: listLinks(baseUrl(request), 'auth/catalog') };
  });
  app.get('/v3/auth/projects', async (request) => {
    const who = caller(ctx, request);
    const base = baseUrl(request);
    const projects = projectsOf(ctx, who.user.id).filter((p) => p.enabled);
    return { projects: projects.map((p) => projectView(p, base)), links: listLinks(base, 'auth/projects') };
  });
  app.get('/v3/auth/domains', async (request) => {
    caller(ctx, request);
    // Roles are assigned on projects only, so no token can be scoped to a domain.
    return { domains: [], links: listLinks(baseUrl(request), 'auth/domains') };
  });
}
