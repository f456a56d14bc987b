// How records look on the wire: Keystone v3's JSON for each resource, with its links,
// and the service catalog as it appears in a token and at /v3/auth/catalog.
import type { DomainRecord, EndpointRecord, ProjectRecord, RegionRecord, RoleRecord, ServiceRecord, Store, UserRecord } from './store.js';

/** Keystone's timestamps: microseconds and a "Z". */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export const links = (base: string, path: string) => ({ self: `${base}/v3/${path}` });

export const listLinks = (base: string, path: string) => ({ self: `${base}/v3/${path}`, previous: null, next: null });

export const domainView = (d: DomainRecord, base: string) => ({
  id: d.id,
  name: d.name,
  description: d.description,
  enabled: d.enabled,
  tags: [],
  options: {},
  links: links(base, `domains/${d.id}`),
});

export const projectView = (p: ProjectRecord, base: string) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id,
  description: p.description,
  enabled: p.enabled,
  parent_id: p.domain_id,
  is_domain: false,
  tags: [],
  options: {},
  links: links(base, `projects/${p.id}`),
});

export function userView(u: UserRecord, base: string) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    ...(u.description ? { description: u.description } : {}),
    ...(u.email ? { email: u.email } : {}),
    links: links(base, `users/${u.id}`),
  };
}

export const roleView = (r: RoleRecord, base: string) => ({
  id: r.id,
  name: r.name,
  domain_id: null,
  description: r.description,
  options: {},
  links: links(base, `roles/${r.id}`),
});

export const serviceView = (s: ServiceRecord, base: string) => ({
  id: s.id,
  type: s.type,
  name: s.name,
  description: s.description,
  enabled: s.enabled,
  links: links(base, `services/${s.id}`),
});

export const endpointView = (e: EndpointRecord, base: string) => ({
  id: e.id,
  interface: e.interface,
  region: e.region_id,
  region_id: e.region_id,
  service_id: e.service_id,
  url: e.url,
  enabled: e.enabled,
  links: links(base, `endpoints/${e.id}`),
});

export const regionView = (r: RegionRecord, base: string) => ({
  id: r.id,
  description: r.description,
  parent_region_id: r.parent_region_id,
  links: links(base, `regions/${r.id}`),
});

const SUBSTITUTION = /[%$]\((project_id|tenant_id)\)s/g;

/**
 * The catalog a token carries: enabled services with their enabled endpoints, with
 * %(project_id)s (and $(project_id)s, %(tenant_id)s) filled in. Without a project, endpoints
 * that need one are left out, as Keystone does.
 */
export function catalogFor(store: Store, projectId: string | undefined) {
  const catalog = [];
  for (const service of store.all('service')) {
    if (!service.enabled) continue;
    const endpoints = [];
    for (const e of store.all('endpoint')) {
      if (e.service_id !== service.id || !e.enabled) continue;
      SUBSTITUTION.lastIndex = 0;
      if (projectId === undefined && SUBSTITUTION.test(e.url)) continue;
      const url = projectId === undefined ? e.url : e.url.replace(SUBSTITUTION, projectId);
      endpoints.push({ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url });
    }
    catalog.push({ id: service.id, type: service.type, name: service.name, endpoints });
  }
  return catalog;
}
