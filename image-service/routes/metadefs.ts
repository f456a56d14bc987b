// /v2/metadefs: namespaces and, inside each, objects, properties, tags and resource type
// associations; /v2/metadefs/resource_types. Reads follow namespace visibility; changes
// are for admins (Glance's default policy).
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { isoNow } from '../image.js';
import type { Namespace } from '../metadefs/catalog.js';
import { contextOf, type ImageApi } from '../server.js';

type NsParams = { Params: { ns: string } };
type ItemParams = { Params: { ns: string; name: string } };
type ListQuery = { Querystring: { limit?: string; marker?: string; visibility?: string; resource_types?: string; resource_type?: string; sort_key?: string; sort_dir?: string } };

const base = (ns: string) => `/v2/metadefs/namespaces/${encodeURIComponent(ns)}`;

function summary(ns: Namespace): Record<string, unknown> {
  const { properties: _p, objects: _o, tags: _t, ...rest } = ns;
  void _p, void _o, void _t;
  return { ...rest, self: base(ns.namespace), schema: '/v2/schemas/metadefs/namespace' };
}

/** The whole namespace; with ?resource_type=, property names carry that association's prefix. */
function full(ns: Namespace, resourceType?: string): Record<string, unknown> {
  const prefix = resourceType ? (ns.resource_type_associations.find((a) => a.name === resourceType)?.prefix ?? '') : '';
  const properties = Object.fromEntries(Object.entries(ns.properties).map(([k, v]) => [`${prefix}${k}`, v]));
  return { ...summary(ns), properties, objects: ns.objects.map((o) => objectView(ns, o)), tags: ns.tags };
}

const objectView = (ns: Namespace, o: Namespace['objects'][number]) => ({ ...o, self: `${base(ns.namespace)}/objects/${encodeURIComponent(o.name)}`, schema: '/v2/schemas/metadefs/object' });

export function registerMetadefRoutes(app: FastifyInstance, api: ImageApi): void {
  const catalog = api.metadefs;

  app.get<ListQuery>('/v2/metadefs/namespaces', async (request) => {
    const ctx = contextOf(request);
    const q = request.query;
    const limit = q.limit === undefined ? api.config.limit_param_default : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest('limit param must be an integer');
    const types = q.resource_types ? q.resource_types.split(',') : [];
    const sortKey = q.sort_key ?? 'created_at';
    if (!['namespace', 'created_at', 'updated_at', 'display_name'].includes(sortKey)) throw badRequest(`Invalid sort key: ${sortKey}`);
    const dir = q.sort_dir ?? 'desc';
    if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
    let items = (await catalog.all()).filter(
      (ns) => catalog.canRead(ctx, ns) && (!q.visibility || ns.visibility === q.visibility) && (types.length === 0 || ns.resource_type_associations.some((a) => types.includes(a.name))),
    );
    items.sort((a, b) => {
      const x = String(a[sortKey as keyof Namespace]);
      const y = String(b[sortKey as keyof Namespace]);
      const c = x === y ? a.namespace.localeCompare(b.namespace) : x < y ? -1 : 1;
      return dir === 'asc' ? c : -c;
    });
    if (q.marker !== undefined) {
      const at = items.findIndex((ns) => ns.namespace === q.marker);
      if (at < 0) throw badRequest(`Invalid marker: namespace ${q.marker} was not found.`);
      items = items.slice(at + 1);
    }
    const page = items.slice(0, limit);
    const out: Record<string, unknown> = { namespaces: page.map(summary), first: '/v2/metadefs/namespaces', schema: '/v2/schemas/metadefs/namespaces' };
    if (page.length === limit && items.length > limit) {
      const params = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== 'marker' && v !== undefined) as [string, string][]);
      params.set('marker', page[page.length - 1]!.namespace);
      out.next = `/v2/metadefs/namespaces?${params}`;
    }
    return out;
  });

  app.post('/v2/metadefs/namespaces', async (request, reply) => {
    const ns = await catalog.create(contextOf(request), request.body);
    reply.code(201);
    return full(ns);
  });

  app.get<NsParams & ListQuery>('/v2/metadefs/namespaces/:ns', async (request) => full(await catalog.read(contextOf(request), request.params.ns), request.query.resource_type));
  app.put<NsParams>('/v2/metadefs/namespaces/:ns', async (request) => full(await catalog.update(contextOf(request), request.params.ns, request.body)));
  app.delete<NsParams>('/v2/metadefs/namespaces/:ns', async (request, reply) => {
    await catalog.delete(contextOf(request), request.params.ns);
    reply.code(204).send();
  });

  // Objects.
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/objects', async (request) => {
    const ns = await catalog.read(contextOf(request), request.params.ns);
    return { objects: ns.objects.map((o) => objectView(ns, o)), schema: 'v2/schemas/metadefs/objects' };
  });
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/objects', async (request, reply) => {
    let created;
    const ns = await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      const object = catalog.object((request.body ?? {}) as never);
      if (ns.objects.some((o) => o.name === object.name)) throw conflict(`A metadata definition object with name=${object.name} already exists in namespace=${ns.namespace}.`);
      ns.objects.push(object);
      created = object;
    });
    reply.code(201);
    return objectView(ns, created!);
  });
  const findObject = (ns: Namespace, name: string) => {
    const o = ns.objects.find((x) => x.name === name);
    if (!o) throw notFound(`Metadata definition object=${name} was not found in namespace=${ns.namespace}.`);
    return o;
  };
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (request) => {
    const ns = await catalog.read(contextOf(request), request.params.ns);
    return objectView(ns, findObject(ns, request.params.name));
  });
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (request) => {
    let updated;
    const ns = await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      const old = findObject(ns, request.params.name);
      const object = catalog.object({ ...((request.body ?? {}) as object), created_at: old.created_at } as never);
      if (object.name !== old.name && ns.objects.some((o) => o.name === object.name)) throw conflict(`A metadata definition object with name=${object.name} already exists.`);
      ns.objects = ns.objects.map((o) => (o === old ? object : o));
      updated = object;
    });
    return objectView(ns, updated!);
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (request, reply) => {
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      const old = findObject(ns, request.params.name);
      ns.objects = ns.objects.filter((o) => o !== old);
    });
    reply.code(204).send();
  });

  // Properties.
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/properties', async (request) => {
    const ns = await catalog.read(contextOf(request), request.params.ns);
    return { properties: ns.properties };
  });
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/properties', async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown };
    const name = catalog.checkName('property', body.name);
    const def = catalog.checkProperty(name, body);
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (name in ns.properties) throw conflict(`A metadata definition property with name=${name} already exists in namespace=${ns.namespace}.`);
      ns.properties[name] = def;
    });
    reply.code(201);
    return { name, ...def };
  });
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (request) => {
    const ns = await catalog.read(contextOf(request), request.params.ns);
    const def = ns.properties[request.params.name];
    if (!def) throw notFound(`Metadata definition property=${request.params.name} was not found in namespace=${ns.namespace}.`);
    return { name: request.params.name, ...def };
  });
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (request) => {
    const body = (request.body ?? {}) as { name?: unknown };
    const name = catalog.checkName('property', body.name ?? request.params.name);
    const def = catalog.checkProperty(name, body);
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (!(request.params.name in ns.properties)) throw notFound(`Metadata definition property=${request.params.name} was not found in namespace=${ns.namespace}.`);
      if (name !== request.params.name && name in ns.properties) throw conflict(`A metadata definition property with name=${name} already exists.`);
      delete ns.properties[request.params.name];
      ns.properties[name] = def;
    });
    return { name, ...def };
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (request, reply) => {
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (!(request.params.name in ns.properties)) throw notFound(`Metadata definition property=${request.params.name} was not found in namespace=${ns.namespace}.`);
      delete ns.properties[request.params.name];
    });
    reply.code(204).send();
  });

  // Tags.
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/tags', async (request) => ({ tags: (await catalog.read(contextOf(request), request.params.ns)).tags }));
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/tags', async (request, reply) => {
    const list = (request.body as { tags?: unknown } | undefined)?.tags;
    if (!Array.isArray(list)) throw badRequest('The body must be {"tags": [{"name": …}, …]}.');
    const now = isoNow();
    const tags = list.map((t) => ({ name: catalog.checkName('tag', (t as { name?: unknown })?.name), created_at: now, updated_at: now }));
    if (new Set(tags.map((t) => t.name)).size !== tags.length) throw conflict('Duplicate tags in the request.');
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      ns.tags = tags;
    });
    reply.code(201);
    return { tags };
  });
  const findTag = (ns: Namespace, name: string) => {
    const t = ns.tags.find((x) => x.name === name);
    if (!t) throw notFound(`Metadata definition tag=${name} was not found in namespace=${ns.namespace}.`);
    return t;
  };
  app.post<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (request, reply) => {
    const name = catalog.checkName('tag', request.params.name);
    const now = isoNow();
    const tag = { name, created_at: now, updated_at: now };
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (ns.tags.some((t) => t.name === name)) throw conflict(`A metadata tag with name=${name} already exists in namespace=${ns.namespace}.`);
      ns.tags.push(tag);
    });
    reply.code(201);
    return tag;
  });
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (request) => findTag(await catalog.read(contextOf(request), request.params.ns), request.params.name));
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (request) => {
    const name = catalog.checkName('tag', (request.body as { name?: unknown } | undefined)?.name);
    let updated;
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      const old = findTag(ns, request.params.name);
      if (name !== old.name && ns.tags.some((t) => t.name === name)) throw conflict(`A metadata tag with name=${name} already exists.`);
      old.name = name;
      old.updated_at = isoNow();
      updated = old;
    });
    return updated;
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (request, reply) => {
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      const old = findTag(ns, request.params.name);
      ns.tags = ns.tags.filter((t) => t !== old);
    });
    reply.code(204).send();
  });

  // Emptying a part of a namespace at once.
  for (const part of ['objects', 'properties', 'tags'] as const) {
    app.delete<NsParams>(`/v2/metadefs/namespaces/:ns/${part}`, async (request, reply) => {
      await catalog.clear(contextOf(request), request.params.ns, part);
      reply.code(204).send();
    });
  }

  // Resource types and associations.
  app.get('/v2/metadefs/resource_types', async () => {
    const now = isoNow();
    return { resource_types: (await catalog.resourceTypes()).map((name) => ({ name, created_at: now, updated_at: now })) };
  });
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/resource_types', async (request) => ({
    resource_type_associations: (await catalog.read(contextOf(request), request.params.ns)).resource_type_associations,
  }));
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/resource_types', async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown; prefix?: unknown; properties_target?: unknown };
    const name = catalog.checkName('resource type', body.name);
    const now = isoNow();
    const association = {
      name,
      ...(typeof body.prefix === 'string' ? { prefix: body.prefix } : {}),
      ...(typeof body.properties_target === 'string' ? { properties_target: body.properties_target } : {}),
      created_at: now,
      updated_at: now,
    };
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (ns.resource_type_associations.some((a) => a.name === name)) throw conflict(`The namespace ${ns.namespace} is already associated with ${name}.`);
      ns.resource_type_associations.push(association);
    });
    reply.code(201);
    return association;
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/resource_types/:name', async (request, reply) => {
    await catalog.modify(contextOf(request), request.params.ns, (ns) => {
      if (ns.protected) throw forbidden(`Namespace ${ns.namespace} is protected.`);
      const before = ns.resource_type_associations.length;
      ns.resource_type_associations = ns.resource_type_associations.filter((a) => a.name !== request.params.name);
      if (ns.resource_type_associations.length === before) throw notFound(`The namespace ${ns.namespace} is not associated with ${request.params.name}.`);
    });
    reply.code(204).send();
  });
}
