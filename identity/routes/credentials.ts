// EC2-style credentials (an access key and secret bound to a user and a project), for S3
// clients. Stored as Keystone stores them: a credential of type "ec2" whose id is
// sha256(access), so a service holding an access key finds the secret with one
// GET /v3/credentials/{sha256(access)} (with the service role; the proxy does this for
// S3), then asks POST /v3/s3tokens whether the credential still stands for its user on
// its project. Their owner and the cloud admin manage them; nobody else sees them.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isCloudAdmin, isServiceOrCloudAdmin, type TokenContext } from '../auth-service.js';
import { ec2CredentialId } from '../ec2.js';
import { KeystoneError, badRequest, forbidden, notFound } from '../errors.js';
import type { CredentialRecord } from '../store.js';
import { links, listLinks } from '../views.js';
import { baseUrl, caller, selfOrAdmin, type RouteContext } from './context.js';

type UserParams = { Params: { id: string } };
type AccessParams = { Params: { id: string; access: string } };

interface Ec2Blob {
  access: string;
  secret: string;
  trust_id: string | null;
}

const blobOf = (c: CredentialRecord) => JSON.parse(c.blob) as Ec2Blob;

export function credentialRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  const ec2View = (c: CredentialRecord, base: string) => {
    const blob = blobOf(c);
    return {
      user_id: c.user_id,
      tenant_id: c.project_id,
      access: blob.access,
      secret: blob.secret,
      trust_id: blob.trust_id,
      links: links(base, `users/${c.user_id}/credentials/OS-EC2/${blob.access}`),
    };
  };
  const credentialView = (c: CredentialRecord, base: string) => ({
    id: c.id,
    type: c.type,
    user_id: c.user_id,
    project_id: c.project_id,
    blob: c.blob,
    links: links(base, `credentials/${c.id}`),
  });
  const userEc2 = (userId: string) => store.all('credential').filter((c) => c.type === 'ec2' && c.user_id === userId);
  const ec2Of = (userId: string, access: string) => {
    const c = store.get('credential', ec2CredentialId(access));
    if (!c || c.type !== 'ec2' || c.user_id !== userId) throw notFound('credential', access);
    return c;
  };

  app.post<UserParams>('/v3/users/:id/credentials/OS-EC2', async (request, reply) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:ec2_create_credential');
    const body = request.body as Record<string, unknown> | null;
    const projectId = body && typeof body === 'object' ? body.tenant_id ?? body.project_id : undefined;
    if (typeof projectId !== 'string') throw badRequest('Expecting to find tenant_id in the request body.');
    if (!store.get('user', request.params.id)) throw notFound('user', request.params.id);
    if (!store.get('project', projectId)) throw notFound('project', projectId);
    if (ctx.auth.rolesOn(request.params.id, projectId).length === 0) throw forbidden('identity:ec2_create_credential (the user has no role on the project)');
    const access = randomBytes(16).toString('hex');
    const blob: Ec2Blob = { access, secret: randomBytes(16).toString('hex'), trust_id: null };
    const record: CredentialRecord = { id: ec2CredentialId(access), type: 'ec2', user_id: request.params.id, project_id: projectId, blob: JSON.stringify(blob) };
    await store.put('credential', record);
    request.log.info({ user_id: record.user_id, project_id: projectId, access }, 'ec2 credential created');
    return reply.code(201).send({ credential: ec2View(record, baseUrl(request)) });
  });

  app.get<UserParams>('/v3/users/:id/credentials/OS-EC2', async (request) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:ec2_list_credentials');
    const base = baseUrl(request);
    return { credentials: userEc2(request.params.id).map((c) => ec2View(c, base)), links: listLinks(base, `users/${request.params.id}/credentials/OS-EC2`) };
  });

  app.get<AccessParams>('/v3/users/:id/credentials/OS-EC2/:access', async (request) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:ec2_get_credential');
    return { credential: ec2View(ec2Of(request.params.id, request.params.access), baseUrl(request)) };
  });

  app.delete<AccessParams>('/v3/users/:id/credentials/OS-EC2/:access', async (request, reply) => {
    selfOrAdmin(ctx, request, request.params.id, 'identity:ec2_delete_credential');
    const c = ec2Of(request.params.id, request.params.access);
    await store.write([{ op: 'del', kind: 'credential', id: c.id }]);
    return reply.code(204).send();
  });

  app.get('/v3/credentials', async (request) => {
    const who = caller(ctx, request);
    const q = request.query as Record<string, string | undefined>;
    const base = baseUrl(request);
    const visible = store
      .all('credential')
      .filter((c) => (isCloudAdmin(who) || c.user_id === who.user.id) && (q.user_id === undefined || c.user_id === q.user_id) && (q.type === undefined || c.type === q.type));
    return { credentials: visible.map((c) => credentialView(c, base)), links: listLinks(base, 'credentials') };
  });

  /** The credential `id` when `who` owns it or `mayTouchAny` says yes; others get 403 whether it exists or not. */
  const credentialFor = (who: TokenContext, id: string, mayTouchAny: boolean, action: string) => {
    const c = store.get('credential', id);
    if (!c) {
      if (!mayTouchAny) throw forbidden(action);
      throw notFound('credential', id);
    }
    if (c.user_id !== who.user.id && !mayTouchAny) throw forbidden(action);
    return c;
  };

  // Services read any credential: the proxy needs the secret to check S3 signatures.
  app.get<UserParams>('/v3/credentials/:id', async (request) => {
    const who = caller(ctx, request);
    return { credential: credentialView(credentialFor(who, request.params.id, isServiceOrCloudAdmin(who), 'identity:get_credential'), baseUrl(request)) };
  });

  app.delete<UserParams>('/v3/credentials/:id', async (request, reply) => {
    const who = caller(ctx, request);
    const c = credentialFor(who, request.params.id, isCloudAdmin(who), 'identity:delete_credential');
    await store.write([{ op: 'del', kind: 'credential', id: c.id }]);
    return reply.code(204).send();
  });

  // Keystone's S3 token API: no X-Auth-Token, the signature is the proof (see AuthService.s3Authenticate).
  app.post('/v3/s3tokens', async (request: FastifyRequest) => {
    const token = await ctx.auth.s3Authenticate(request.body, request.ip);
    return ctx.auth.tokenBody(token, true);
  });
  app.get('/v3/s3tokens', async () => {
    throw new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { allow: 'POST' });
  });
}
