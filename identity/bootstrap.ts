// What every start makes sure exists, as `keystone-manage bootstrap` does: the default
// domain, the roles admin/member/reader/service, the admin project (admin_project_name,
// default `admin`) with user `admin` (role admin there: the cloud admin), project `service`
// with the service users `glance` and `swift` (roles admin and service there: they own the
// service project's account and may read EC2 secrets, but are not cloud admins), region
// RegionOne and the catalog (identity, object-store, image; public/internal/admin).
// Existing records are kept (an operator's edits survive restarts), except that the
// bootstrap users' passwords are reset to the configured ones.
import type { FastifyBaseLogger } from 'fastify';
import { ADMIN_ROLE, DEFAULT_DOMAIN, SERVICE_ROLE } from './auth-service.js';
import type { IdentitySettings } from './config.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { newId } from './routes/context.js';
import type { EndpointRecord, Store } from './store.js';

export const SERVICE_PROJECT = 'service';
export const SERVICE_USERS = ['glance', 'swift'];
export const BOOTSTRAP_ROLES = [ADMIN_ROLE, 'member', 'reader', SERVICE_ROLE];

export async function bootstrap(store: Store, config: IdentitySettings, publicUrl: string, log: FastifyBaseLogger): Promise<void> {
  if (!store.get('domain', DEFAULT_DOMAIN)) {
    await store.put('domain', { id: DEFAULT_DOMAIN, name: 'Default', description: 'The default domain', enabled: true });
  }
  for (const name of BOOTSTRAP_ROLES) {
    if (!store.find('role', (r) => r.name === name)) await store.put('role', { id: newId(), name, description: '' });
  }
  const roleId = (name: string) => store.find('role', (r) => r.name === name)!.id;

  const ensureProject = async (name: string, description: string) => {
    const found = store.find('project', (p) => p.name === name && p.domain_id === DEFAULT_DOMAIN);
    if (found) return found;
    const project = { id: newId(), name, domain_id: DEFAULT_DOMAIN, description, enabled: true };
    await store.put('project', project);
    return project;
  };
  const ensureUser = async (name: string, password: string, projectId: string, roles: string[]) => {
    let user = store.find('user', (u) => u.name === name && u.domain_id === DEFAULT_DOMAIN);
    if (!user) {
      user = {
        id: newId(),
        name,
        domain_id: DEFAULT_DOMAIN,
        enabled: true,
        password_hash: await hashPassword(password, config.scrypt_cost),
        default_project_id: projectId,
        description: '',
        email: null,
        tokens_valid_after_ms: 0,
      };
      await store.put('user', user);
      log.info({ user_id: user.id, name }, 'bootstrap user created');
    } else if (!(await verifyPassword(password, user.password_hash, config.scrypt_cost))) {
      await store.put('user', { ...user, password_hash: await hashPassword(password, config.scrypt_cost), tokens_valid_after_ms: Date.now() });
      log.info({ user_id: user.id, name }, 'bootstrap user password reset to the configured one');
    }
    for (const role of roles.map(roleId)) {
      const id = `${projectId}:${user.id}:${role}`;
      if (!store.get('assignment', id)) await store.put('assignment', { id, project_id: projectId, user_id: user.id, role_id: role });
    }
  };

  const adminProject = await ensureProject(config.admin_project_name, 'Bootstrap project for the cloud administrator');
  await ensureUser('admin', config.admin_password, adminProject.id, [ADMIN_ROLE]);
  const serviceProject = await ensureProject(SERVICE_PROJECT, 'Project of the service users');
  if (config.service_password !== '') {
    for (const name of SERVICE_USERS) await ensureUser(name, config.service_password, serviceProject.id, [ADMIN_ROLE, SERVICE_ROLE]);
  }

  if (!store.get('region', config.region)) await store.put('region', { id: config.region, description: '', parent_region_id: null });
  const catalog: Array<{ type: string; name: string; url: string }> = [
    { type: 'identity', name: 'keystone', url: `${publicUrl}/v3` },
    { type: 'object-store', name: 'swift', url: config.object_store_url },
    { type: 'image', name: 'glance', url: config.image_url },
  ];
  for (const entry of catalog) {
    if (store.find('service', (s) => s.type === entry.type)) continue;
    const service = { id: newId(), type: entry.type, name: entry.name, description: '', enabled: true };
    const endpoints: EndpointRecord[] = (['public', 'internal', 'admin'] as const).map((iface) => ({
      id: newId(),
      service_id: service.id,
      interface: iface,
      region_id: config.region,
      url: entry.url,
      enabled: true,
    }));
    await store.write([{ op: 'put', kind: 'service', value: service }, ...endpoints.map((e) => ({ op: 'put' as const, kind: 'endpoint' as const, value: e }))]);
    log.info({ type: entry.type, url: entry.url }, 'bootstrap registered a service in the catalog');
  }
}
