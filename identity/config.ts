// The identity service's settings: the `identity` section of the cluster config file,
// STOWAGE_IDENTITY_* environment overrides (env beats file) and command-line flags (beat
// both). Keys keep the file's snake_case names.
import { dirname, join, resolve } from 'node:path';
import { ConfigError, readSection } from '../common/config.js';

export interface IdentitySettings {
  bind_ip: string;
  bind_port: number;
  log_level: string;
  /** Where the LevelDB database and the token signing key live (default: <config dir>/identity). */
  data_dir: string;
  /** The URL clients reach this service at (default http://<bind_ip>:<port>); the catalog's identity endpoint is <public_url>/v3. */
  public_url: string;
  /** Bootstrap passwords: `admin` of project `admin`, and the service users of project `service`. */
  admin_password: string;
  service_password: string;
  /** Where the bootstrap registers the object store and the image service in the catalog. */
  object_store_url: string;
  image_url: string;
  region: string;
  token_life_s: number;
  /** A client silent this long mid-body loses its connection; a body must arrive whole within body_timeout_ms. */
  client_timeout_ms: number;
  body_timeout_ms: number;
  /**
   * The cloud admin's project (Keystone's [resource] admin_project_name), in the default
   * domain: the admin role here, and only here, gives cloud-wide powers (is_admin_project).
   */
  admin_project_name: string;
  /** Failed password authentications tolerated per user and per source address within the window. */
  max_failed_auth_per_user: number;
  max_failed_auth_per_source: number;
  failed_auth_window_s: number;
  /** Password checks (scrypt) in flight at once per user and per source address; more get 429 at once. */
  max_concurrent_auth_per_user: number;
  max_concurrent_auth_per_source: number;
  /** scrypt cost (N) for new password hashes; a power of two. */
  scrypt_cost: number;
}

export const DEFAULT_IDENTITY_SETTINGS: Readonly<IdentitySettings> = {
  bind_ip: '127.0.0.1',
  bind_port: 5000,
  log_level: 'info',
  data_dir: '',
  public_url: '',
  admin_password: '',
  service_password: '',
  object_store_url: 'http://127.0.0.1:8080/v1/AUTH_%(project_id)s',
  image_url: 'http://127.0.0.1:9292',
  region: 'RegionOne',
  token_life_s: 3600,
  client_timeout_ms: 60_000,
  body_timeout_ms: 60_000,
  admin_project_name: 'admin',
  max_failed_auth_per_user: 5,
  max_failed_auth_per_source: 30,
  failed_auth_window_s: 60,
  max_concurrent_auth_per_user: 4,
  max_concurrent_auth_per_source: 16,
  scrypt_cost: 16384,
};

export interface IdentityFlags {
  bindIp?: string;
  port?: number;
  configPath?: string;
}


export function loadIdentityConfig(file: Record<string, unknown>, flags: IdentityFlags = {}, env: NodeJS.ProcessEnv = process.env): IdentitySettings {
  const config = readSection(file, 'identity', DEFAULT_IDENTITY_SETTINGS, { env, flags });
  if (config.data_dir === '') {
    const base = flags.configPath ? dirname(resolve(flags.configPath)) : (env.STOWAGE_DATA ?? './data');
    config.data_dir = join(base, 'identity');
  }
  config.data_dir = resolve(config.data_dir);
  if ((config.scrypt_cost & (config.scrypt_cost - 1)) !== 0) throw new ConfigError('identity: scrypt_cost must be a power of two');
  if (config.admin_project_name.trim() === '') throw new ConfigError('identity: admin_project_name must name a project');
  return config;
}
