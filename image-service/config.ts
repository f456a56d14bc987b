// The image service's settings: the `image_service` section of the cluster config file
// (plus the `identity` section's service_password), command-line flags and
// STOWAGE_IMAGE_SERVICE_<KEY> environment overrides (env beats file, flags beat env).
import { dirname, join, resolve } from 'node:path';
import { ConfigError, isRecord, readSection } from '../common/config.js';
import { AddressPolicy, parseNetworks } from './address-filter.js';

export interface ImageServiceSettings {
  bind_ip: string;
  bind_port: number;
  log_level: string;
  /** Records (LevelDB) and the staging area of image import live here. */
  data_dir: string;
  /** "keystone": X-Auth-Token validated by identity; "noauth": trusted X-Project-Id/X-Roles headers (tests, trusted fronts only). */
  auth_strategy: string;
  identity_url: string;
  /** How long a validated token is trusted without asking identity again (keystonemiddleware's token_cache_time). */
  token_cache_s: number;
  /** Credentials of the service user the image service stores bytes as. */
  service_user: string;
  service_password: string;
  service_project: string;
  service_domain: string;
  /** "keystone" (the service user's token, catalog's object-store endpoint) or "tempauth". */
  swift_auth: string;
  /** Overrides the catalog's object-store endpoint (…/v1/AUTH_<account>). */
  swift_url: string;
  tempauth_url: string;
  tempauth_user: string;
  tempauth_key: string;
  container: string;
  /** Images larger than this are stored as static large objects of segments this size. */
  segment_size_bytes: number;
  /** Segments whose upload may be finishing while the next one streams. */
  segment_concurrency: number;
  /** Largest image accepted (Glance's image_size_cap). */
  image_size_cap: number;
  storage_timeout_ms: number;
  /** A client silent this long mid-body loses its connection; a JSON body must arrive whole within body_timeout_ms. */
  client_timeout_ms: number;
  body_timeout_ms: number;
  /** List page size when no limit is given, and the largest limit (Glance's limit_param_default, api_limit_max). */
  limit_param_default: number;
  api_limit_max: number;
  image_member_quota: number;
  image_tag_quota: number;
  image_property_quota: number;
  /**
   * Per-project limit on image bytes, stored and staged together (Glance's user_storage_quota):
   * bytes, or a number with B, KB, MB, GB or TB (powers of 1024); "0" = no limit.
   */
  user_storage_quota: string;
  /**
   * web-download filters, Glance's [import_filtering_opts]: comma-separated lists; an empty
   * list does not restrict, and a non-empty allow list makes its deny list ignored.
   */
  web_download_allowed_schemes: string;
  web_download_disallowed_schemes: string;
  web_download_allowed_hosts: string;
  web_download_disallowed_hosts: string;
  web_download_allowed_ports: string;
  web_download_disallowed_ports: string;
  /** Networks (CIDR) web-download may reach although they are loopback, private, link-local… */
  web_download_allowed_networks: string;
  web_download_timeout_ms: number;
  shutdown_timeout_ms: number;
}

export const DEFAULT_SETTINGS: Readonly<ImageServiceSettings> = {
  bind_ip: '127.0.0.1',
  bind_port: 9292,
  log_level: 'info',
  data_dir: '',
  auth_strategy: 'keystone',
  identity_url: 'http://127.0.0.1:5000/v3',
  token_cache_s: 60,
  service_user: 'glance',
  service_password: '',
  service_project: 'service',
  service_domain: 'default',
  swift_auth: 'keystone',
  swift_url: '',
  tempauth_url: 'http://127.0.0.1:8080/auth/v1.0',
  tempauth_user: '',
  tempauth_key: '',
  container: 'glance',
  segment_size_bytes: 200 * 1024 * 1024,
  segment_concurrency: 3,
  image_size_cap: 1024 ** 4,
  storage_timeout_ms: 60_000,
  client_timeout_ms: 60_000,
  body_timeout_ms: 60_000,
  limit_param_default: 25,
  api_limit_max: 1000,
  image_member_quota: 128,
  image_tag_quota: 128,
  image_property_quota: 128,
  user_storage_quota: '0',
  web_download_allowed_schemes: 'http,https',
  web_download_disallowed_schemes: '',
  web_download_allowed_hosts: '',
  web_download_disallowed_hosts: '',
  web_download_allowed_ports: '80,443',
  web_download_disallowed_ports: '',
  web_download_allowed_networks: '',
  web_download_timeout_ms: 60_000,
  shutdown_timeout_ms: 30_000,
};

/** One filter of web-download URLs: a value passes when allowed (if an allow list is given) and not disallowed. */
export interface ListFilter<T> {
  allowed: T[];
  disallowed: T[];
}

export interface WebDownloadFilters {
  schemes: ListFilter<string>;
  hosts: ListFilter<string>;
  ports: ListFilter<number>;
  addresses: AddressPolicy;
}

export interface ImageServiceConfig extends ImageServiceSettings {
  webDownload: WebDownloadFilters;
  /** user_storage_quota in bytes; 0 = no limit. */
  storageQuotaBytes: number;
}

export interface ImageServiceFlags {
  bindIp?: string;
  port?: number;
  configPath?: string;
}


const list = (value: string) => value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');

export function loadImageServiceConfig(
  file: Record<string, unknown>,
  flags: ImageServiceFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): ImageServiceConfig {
  // The cluster writes the service user's password into the identity section.
  const identity = isRecord(file.identity) ? file.identity : {};
  const preset = typeof identity.service_password === 'string' ? { service_password: identity.service_password } : {};
  const settings = readSection(file, 'image_service', DEFAULT_SETTINGS, { env, flags, preset });
  if (settings.data_dir === '') {
    const base = flags.configPath ? dirname(resolve(flags.configPath)) : (env.STOWAGE_DATA ?? './data');
    settings.data_dir = join(base, 'image-service');
  }
  settings.data_dir = resolve(String(settings.data_dir));
  const s = settings as unknown as ImageServiceSettings;
  if (!['keystone', 'noauth'].includes(s.auth_strategy)) throw new ConfigError('image_service.auth_strategy must be "keystone" or "noauth"');
  if (!['keystone', 'tempauth'].includes(s.swift_auth)) throw new ConfigError('image_service.swift_auth must be "keystone" or "tempauth"');
  return {
    ...s,
    identity_url: s.identity_url.replace(/\/+$/, ''),
    webDownload: webDownloadFilters(s),
    storageQuotaBytes: parseQuota(s.user_storage_quota),
  };
}

/** Glance's allow-list-wins rule: with both lists set, only the allow list is obeyed. */
function listFilter<T>(allowed: T[], disallowed: T[]): ListFilter<T> {
  return { allowed, disallowed: allowed.length > 0 ? [] : disallowed };
}

const FETCHABLE_SCHEMES = ['http', 'https'];

function webDownloadFilters(s: ImageServiceSettings): WebDownloadFilters {
  const ports = (key: 'web_download_allowed_ports' | 'web_download_disallowed_ports') => {
    const values = list(s[key]).map(Number);
    if (values.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new ConfigError(`image_service.${key} must be port numbers`);
    return values;
  };
  const schemes = list(s.web_download_allowed_schemes);
  const unfetchable = schemes.filter((scheme) => !FETCHABLE_SCHEMES.includes(scheme));
  if (unfetchable.length > 0) throw new ConfigError(`image_service.web_download_allowed_schemes: web-download fetches only http and https, not ${unfetchable.join(', ')}`);
  let networks;
  try {
    networks = parseNetworks(list(s.web_download_allowed_networks));
  } catch (err) {
    throw new ConfigError(`image_service.web_download_allowed_networks: ${(err as Error).message}`);
  }
  // Host names compare without a trailing dot ("localhost." is "localhost").
  const hosts = (value: string) => list(value).map((h) => h.replace(/\.$/, ''));
  return {
    schemes: listFilter(schemes, list(s.web_download_disallowed_schemes)),
    hosts: listFilter(hosts(s.web_download_allowed_hosts), hosts(s.web_download_disallowed_hosts)),
    ports: listFilter(ports('web_download_allowed_ports'), ports('web_download_disallowed_ports')),
    addresses: new AddressPolicy(networks),
  };
}

const QUOTA_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Glance's user_storage_quota syntax: digits, optionally followed by B, KB, MB, GB or TB (case-sensitive). */
export function parseQuota(value: string): number {
  const m = /^(\d+)((?:K|M|G|T)?B)?$/.exec(value.trim());
  const bytes = m ? Number(m[1]) * QUOTA_UNITS[m[2] ?? 'B']! : NaN;
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(`image_service.user_storage_quota must be bytes or a number with B, KB, MB, GB or TB, not "${value}"`);
  return bytes;
}
