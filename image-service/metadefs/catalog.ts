// The metadata definitions catalog: namespaces, each with its properties, objects, tags
// and resource type associations, kept as one document per namespace in the records'
// LevelDB. The default set is loaded once, at the first start; afterwards the catalog is
// the operator's (admins change it through the API; everyone reads public namespaces).
import type { RequestContext } from '../auth.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { isoNow } from '../image.js';
import type { Records } from '../records.js';
import { DEFAULT_NAMESPACES, RESOURCE_TYPES } from './defaults.js';

export type PropertyDef = Record<string, unknown> & { type?: string; title?: string };

export interface Association {
  name: string;
  prefix?: string;
  properties_target?: string;
  created_at?: string;
  updated_at?: string;
}

export interface MetadefObject {
  name: string;
  description?: string;
  required?: string[];
  properties?: Record<string, PropertyDef>;
  created_at?: string;
  updated_at?: string;
}

export interface MetadefTag {
  name: string;
  created_at?: string;
  updated_at?: string;
}

export interface NamespaceInput {
  namespace: string;
  display_name?: string;
  description?: string;
  visibility?: 'public' | 'private';
  protected?: boolean;
  owner?: string;
  resource_type_associations?: Association[];
  properties?: Record<string, PropertyDef>;
  objects?: MetadefObject[];
  tags?: MetadefTag[];
}

export interface Namespace extends Required<Omit<NamespaceInput, 'owner'>> {
  owner: string | null;
  created_at: string;
  updated_at: string;
}

const NS = 'md!ns!';
const LOADED = 'md!defaults-loaded';
const NAME = /^[^\s/][^/]{0,79}$/;
const PROPERTY_TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'];

function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw badRequest(`Invalid ${kind} name: ${JSON.stringify(name)} (1 to 80 characters, no "/")`);
  return name;
}

function checkProperty(name: string, def: unknown): PropertyDef {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) throw badRequest(`Property ${name} must be a JSON object`);
  const p = def as PropertyDef;
  if (p.type !== undefined && !PROPERTY_TYPES.includes(p.type)) throw badRequest(`Property ${name}: type must be one of ${PROPERTY_TYPES.join(', ')}`);
  if (typeof p.title !== 'string') throw badRequest(`Property ${name} needs a "title"`);
  const { name: _drop, ...rest } = p;
  void _drop;
  return rest;
}

export class MetadefCatalog {
  constructor(private readonly records: Records) {}

  /** Loads the default namespaces the first time the service starts on this data. */
  async bootstrap(): Promise<number> {
    if ((await this.records.db.get(LOADED)) !== undefined) return 0;
    let n = 0;
    for (const input of DEFAULT_NAMESPACES) {
      if ((await this.get(input.namespace)) !== undefined) continue;
      await this.save(this.build(input, null));
      n++;
    }
    await this.records.db.put(LOADED, isoNow());
    return n;
  }

  private build(input: NamespaceInput, owner: string | null): Namespace {
    const now = isoNow();
    const namespace = checkName('namespace', input.namespace);
    const visibility = input.visibility ?? 'private';
    if (visibility !== 'public' && visibility !== 'private') throw badRequest('visibility must be public or private');
    const properties: Record<string, PropertyDef> = {};
    for (const [name, def] of Object.entries(input.properties ?? {})) properties[checkName('property', name)] = checkProperty(name, def);
    return {
      namespace,
      display_name: input.display_name ?? namespace,
      description: input.description ?? '',
      visibility,
      protected: input.protected ?? false,
      owner: input.owner ?? owner,
      resource_type_associations: (input.resource_type_associations ?? []).map((a) => ({ ...a, name: checkName('resource type', a.name), created_at: now, updated_at: now })),
      properties,
      objects: (input.objects ?? []).map((o) => this.object(o, now)),
      tags: (input.tags ?? []).map((t) => ({ name: checkName('tag', t.name), created_at: now, updated_at: now })),
      created_at: now,
      updated_at: now,
    };
  }

  object(input: MetadefObject, now = isoNow()): MetadefObject {
    const properties: Record<string, PropertyDef> = {};
    for (const [name, def] of Object.entries(input.properties ?? {})) properties[checkName('property', name)] = checkProperty(name, def);
    return {
      name: checkName('object', input.name),
      description: input.description ?? '',
      required: input.required ?? [],
      properties,
      created_at: input.created_at ?? now,
      updated_at: now,
    };
  }

  checkProperty(name: string, def: unknown): PropertyDef {
    return checkProperty(checkName('property', name), def);
  }

  checkName(kind: string, name: unknown): string {
    return checkName(kind, name);
  }

  async get(name: string): Promise<Namespace | undefined> {
    return (await this.records.db.get(NS + name)) as Namespace | undefined;
  }

  save(ns: Namespace): Promise<void> {
    return this.records.db.put(NS + ns.namespace, ns);
  }

  async all(): Promise<Namespace[]> {
    const out: Namespace[] = [];
    for await (const value of this.records.db.values({ gt: NS, lt: `${NS}\xff` })) out.push(value as Namespace);
    return out;
  }

  canRead(ctx: RequestContext, ns: Namespace): boolean {
    return ns.visibility === 'public' || ctx.isAdmin || (ctx.projectId !== null && ns.owner === ctx.projectId);
  }

  /** The namespace if the caller may see it (404 otherwise). */
  async read(ctx: RequestContext, name: string): Promise<Namespace> {
    const ns = await this.get(name);
    if (!ns || !this.canRead(ctx, ns)) throw notFound(`Metadata definition namespace=${name} was not found.`);
    return ns;
  }

  /** Glance's default: only admins change the catalog. */
  requireAdmin(ctx: RequestContext): void {
    if (!ctx.isAdmin) throw forbidden('You are not authorized to change metadata definitions; only administrators may.');
  }

  /** Applies `change` to a namespace the caller may modify and stores it. */
  async modify(ctx: RequestContext, name: string, change: (ns: Namespace) => void): Promise<Namespace> {
    this.requireAdmin(ctx);
    return this.records.withImage(`md:${name}`, async () => {
      const ns = await this.read(ctx, name);
      change(ns);
      ns.updated_at = isoNow();
      await this.save(ns);
      return ns;
    });
  }

  async create(ctx: RequestContext, input: unknown): Promise<Namespace> {
    this.requireAdmin(ctx);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request body must be a JSON object.');
    const ns = this.build(input as NamespaceInput, ctx.projectId);
    return this.records.withImage(`md:${ns.namespace}`, async () => {
      if (await this.get(ns.namespace)) throw conflict(`A metadata definition namespace with name=${ns.namespace} already exists.`);
      await this.save(ns);
      return ns;
    });
  }

  async update(ctx: RequestContext, name: string, input: unknown): Promise<Namespace> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The request body must be a JSON object.');
    const fields = input as Partial<NamespaceInput>;
    this.requireAdmin(ctx);
    return this.records.withImage(`md:${name}`, async () => {
      const ns = await this.read(ctx, name);
      const renamed = fields.namespace !== undefined && fields.namespace !== name ? checkName('namespace', fields.namespace) : undefined;
      if (renamed && (await this.get(renamed))) throw conflict(`A metadata definition namespace with name=${renamed} already exists.`);
      if (fields.display_name !== undefined) ns.display_name = String(fields.display_name);
      if (fields.description !== undefined) ns.description = String(fields.description);
      if (fields.visibility !== undefined) {
        if (fields.visibility !== 'public' && fields.visibility !== 'private') throw badRequest('visibility must be public or private');
        ns.visibility = fields.visibility;
      }
      if (fields.protected !== undefined) ns.protected = Boolean(fields.protected);
      if (fields.owner !== undefined) ns.owner = String(fields.owner);
      ns.updated_at = isoNow();
      if (renamed) {
        await this.records.db.del(NS + name);
        ns.namespace = renamed;
      }
      await this.save(ns);
      return ns;
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    this.requireAdmin(ctx);
    const ns = await this.read(ctx, name);
    refuseProtected(ns);
    await this.records.db.del(NS + name);
  }

  /**
   * DELETE /v2/metadefs/namespaces/{ns}/{objects,properties,tags}: empties one part of a
   * namespace. Glance checks it as a deletion of the namespace, so a protected one refuses.
   */
  async clear(ctx: RequestContext, name: string, part: 'objects' | 'properties' | 'tags'): Promise<void> {
    await this.modify(ctx, name, (ns) => {
      refuseProtected(ns);
      if (part === 'properties') ns.properties = {};
      else ns[part] = [];
    });
  }

  /** Every resource type: the well-known ones and any a namespace is associated with. */
  async resourceTypes(): Promise<string[]> {
    const names = new Set(RESOURCE_TYPES);
    for (const ns of await this.all()) for (const a of ns.resource_type_associations) names.add(a.name);
    return [...names].sort();
  }
}

/** Glance's ProtectedMetadefNamespaceDelete. */
function refuseProtected(ns: Namespace): void {
  if (ns.protected) throw forbidden(`Metadata definition namespace ${ns.namespace} is protected and cannot be deleted.`);
}
