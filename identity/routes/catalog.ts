// The catalog's parts: services (one per kind of API), their endpoints (a URL per
// interface and region) and regions. Any token may read them; only the cloud admin changes them.
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, notFound } from '../errors.js';
import type { EndpointRecord, RegionRecord, ServiceRecord } from '../store.js';
import { endpointView, listLinks, regionView, serviceView } from '../views.js';
import { adminCaller, baseUrl, caller, matchesQuery, member, newId, optBool, optString, reqString, type RouteContext } from './context.js';

type Params = { Params: { id: string } };
type Query = Record<string, string | undefined>;

const INTERFACES = new Set(['public', 'internal', 'admin']);

function endpointInterface(value: string): EndpointRecord['interface'] {
  if (!INTERFACES.has(value)) throw badRequest(`Invalid input for field 'interface': ${JSON.stringify(value)} is not one of public, internal, admin.`);
  return value as EndpointRecord['interface'];
}

function endpointUrl(value: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(value)) throw badRequest(`Invalid input for field 'url': ${JSON.stringify(value)} is not an http(s) URL.`);
  return value;
}

export function catalogRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const service = (id: string) => store.get('service', id) ?? (() => { throw notFound('service', id); })();
  const endpoint = (id: string) => store.get('endpoint', id) ?? (() => { throw notFound('endpoint', id); })();
  const region = (id: string) => store.get('region', id) ?? (() => { throw notFound('region', id); })();

  app.get('/v3/services', async (request) => {
    caller(ctx, request);
    const base = baseUrl(request);
    const services = store.all('service').filter((s) => matchesQuery({ ...s }, request.query as Query, ['type', 'name']));
    return { services: services.map((s) => serviceView(s, base)), links: listLinks(base, 'services') };
  });
  app.get<Params>('/v3/services/:id', async (request) => {
    caller(ctx, request);
    return { service: serviceView(service(request.params.id), baseUrl(request)) };
  });
  app.post('/v3/services', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_service');
    const spec = member(request.body, 'service');
    const record: ServiceRecord = {
      id: newId(),
      type: reqString(spec, 'type'),
      name: optString(spec, 'name') ?? '',
      description: optString(spec, 'description', 65535) ?? '',
      enabled: optBool(spec, 'enabled') ?? true,
    };
    await store.put('service', record);
    return reply.code(201).send({ service: serviceView(record, baseUrl(request)) });
  });
  app.patch<Params>('/v3/services/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_service');
    const spec = member(request.body, 'service');
    const updated = await store.exclusive(async () => {
      const current = service(request.params.id);
      const next: ServiceRecord = {
        ...current,
        type: spec.type === undefined ? current.type : reqString(spec, 'type'),
        name: optString(spec, 'name') ?? current.name,
        description: optString(spec, 'description', 65535) ?? current.description,
        enabled: optBool(spec, 'enabled') ?? current.enabled,
      };
      await store.put('service', next);
      return next;
    });
    return { service: serviceView(updated, baseUrl(request)) };
  });
  app.delete<Params>('/v3/services/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_service');
    await store.exclusive(async () => {
      service(request.params.id);
      const endpoints = store.all('endpoint').filter((e) => e.service_id === request.params.id);
      await store.write([
        ...endpoints.map((e) => ({ op: 'del' as const, kind: 'endpoint' as const, id: e.id })),
        { op: 'del', kind: 'service', id: request.params.id },
      ]);
    });
    return reply.code(204).send();
  });

  app.get('/v3/endpoints', async (request) => {
    caller(ctx, request);
    const base = baseUrl(request);
    const endpoints = store.all('endpoint').filter((e) => matchesQuery({ ...e }, request.query as Query, ['service_id', 'interface', 'region_id', 'enabled']));
    return { endpoints: endpoints.map((e) => endpointView(e, base)), links: listLinks(base, 'endpoints') };
  });
  app.get<Params>('/v3/endpoints/:id', async (request) => {
    caller(ctx, request);
    return { endpoint: endpointView(endpoint(request.params.id), baseUrl(request)) };
  });
  app.post('/v3/endpoints', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_endpoint');
    const spec = member(request.body, 'endpoint');
    const serviceId = reqString(spec, 'service_id');
    service(serviceId);
    const regionId = optString(spec, 'region_id') ?? optString(spec, 'region') ?? null;
    if (regionId !== null) region(regionId);
    const record: EndpointRecord = {
      id: newId(),
      service_id: serviceId,
      interface: endpointInterface(reqString(spec, 'interface')),
      region_id: regionId,
      url: endpointUrl(reqString(spec, 'url', 1024)),
      enabled: optBool(spec, 'enabled') ?? true,
    };
    await store.put('endpoint', record);
    return reply.code(201).send({ endpoint: endpointView(record, baseUrl(request)) });
  });
  app.patch<Params>('/v3/endpoints/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_endpoint');
    const spec = member(request.body, 'endpoint');
    const updated = await store.exclusive(async () => {
      const current = endpoint(request.params.id);
      const serviceId = optString(spec, 'service_id') ?? current.service_id;
      service(serviceId);
      const regionId = optString(spec, 'region_id') ?? optString(spec, 'region') ?? current.region_id;
      if (regionId !== null) region(regionId);
      const iface = optString(spec, 'interface');
      const url = optString(spec, 'url', 1024);
      const next: EndpointRecord = {
        ...current,
        service_id: serviceId,
        region_id: regionId,
        interface: iface === undefined ? current.interface : endpointInterface(iface),
        url: url === undefined ? current.url : endpointUrl(url),
        enabled: optBool(spec, 'enabled') ?? current.enabled,
      };
      await store.put('endpoint', next);
      return next;
    });
    return { endpoint: endpointView(updated, baseUrl(request)) };
  });
  app.delete<Params>('/v3/endpoints/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_endpoint');
    await store.exclusive(async () => {
      endpoint(request.params.id);
      await store.write([{ op: 'del', kind: 'endpoint', id: request.params.id }]);
    });
    return reply.code(204).send();
  });

  app.get('/v3/regions', async (request) => {
    caller(ctx, request);
    const base = baseUrl(request);
    const regions = store.all('region').filter((r) => matchesQuery({ ...r }, request.query as Query, ['parent_region_id']));
    return { regions: regions.map((r) => regionView(r, base)), links: listLinks(base, 'regions') };
  });
  app.get<Params>('/v3/regions/:id', async (request) => {
    caller(ctx, request);
    return { region: regionView(region(request.params.id), baseUrl(request)) };
  });
  app.post('/v3/regions', async (request, reply) => {
    adminCaller(ctx, request, 'identity:create_region');
    const spec = member(request.body, 'region');
    const parent = optString(spec, 'parent_region_id') ?? null;
    if (parent !== null) region(parent);
    const record: RegionRecord = { id: optString(spec, 'id') ?? newId(), description: optString(spec, 'description', 65535) ?? '', parent_region_id: parent };
    await store.exclusive(async () => {
      if (store.get('region', record.id)) throw conflict(`region: a region with id ${record.id} exists.`);
      await store.put('region', record);
    });
    return reply.code(201).send({ region: regionView(record, baseUrl(request)) });
  });
  app.patch<Params>('/v3/regions/:id', async (request) => {
    adminCaller(ctx, request, 'identity:update_region');
    const spec = member(request.body, 'region');
    const updated = await store.exclusive(async () => {
      const current = region(request.params.id);
      const parent = optString(spec, 'parent_region_id') ?? current.parent_region_id;
      if (parent !== null) region(parent);
      const next: RegionRecord = { ...current, description: optString(spec, 'description', 65535) ?? current.description, parent_region_id: parent };
      await store.put('region', next);
      return next;
    });
    return { region: regionView(updated, baseUrl(request)) };
  });
  app.delete<Params>('/v3/regions/:id', async (request, reply) => {
    adminCaller(ctx, request, 'identity:delete_region');
    await store.exclusive(async () => {
      region(request.params.id);
      if (store.find('endpoint', (e) => e.region_id === request.params.id)) throw conflict(`region: endpoints still use region ${request.params.id}.`);
      await store.write([{ op: 'del', kind: 'region', id: request.params.id }]);
    });
    return reply.code(204).send();
  });
}
