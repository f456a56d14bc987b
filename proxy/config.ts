// The proxy's settings: the `proxy` section of the cluster config file, the top-level
// hash secrets and ring_dir, command-line flags, and STOWAGE_PROXY_* environment
// overrides (env beats file, flags beat env). Keys keep the file's snake_case names.
import { join, resolve } from 'node:path';
import { ConfigError, hashConfig, isRecord, readSection, type HashConfig } from '../common/config.js';
import { StoragePolicies } from '../common/storage-policy.js';

export interface UserEntry {
  key: string;
  /** Tempauth groups: `.admin` (owner of the user's account), `.reseller_admin` (any account), others. */
  groups: string[];
}

export interface ProxySettings {
  bind_ip: string;
  bind_port: number;
  log_level: string;
  /** Lifetime of a tempauth token. */
  token_life_s: number;
  /** HMAC key signing tokens; every proxy of a cluster needs the same one. */
  token_secret: string;
  /** Time a storage node has to send response headers or the next body chunk. */
  node_timeout_ms: number;
  conn_timeout_ms: number;
  /** Time a client may stay silent while sending a request body. */
  client_timeout_ms: number;
  /** A node with more errors than error_suppression_limit is skipped for this long. */
  error_suppression_interval_s: number;
  error_suppression_limit: number;
  recheck_account_existence_s: number;
  recheck_container_existence_s: number;
  /** Accounts and containers whose existence and metadata the proxy remembers at once (LRU). */
  info_cache_max_entries: number;
  /**
   * Brute-force brake on tempauth keys and S3 signatures (proxy/auth/attempts.ts): failed
   * attempts per user (or access key) and per source address within the window, and checks
   * of one user or source in flight at once.
   */
  max_failed_auth_per_user: number;
  max_failed_auth_per_source: number;
  failed_auth_window_s: number;
  max_concurrent_auth_checks: number;
  /** How long SIGTERM waits for in-flight requests before aborting them. */
  shutdown_timeout_ms: number;
  max_file_size: number;
  max_meta_name_length: number;
  max_meta_value_length: number;
  max_meta_count: number;
  max_meta_overall_size: number;
  max_header_size: number;
  max_object_name_length: number;
  container_listing_limit: number;
  account_listing_limit: number;
  max_account_name_length: number;
  max_container_name_length: number;
  max_manifest_segments: number;
  max_manifest_size: number;
  min_segment_size: number;
  /** A DLO with more segments than this is refused (its listing is held in memory). */
  max_dlo_segments: number;
  /** Milliseconds between the spaces an SLO PUT with ?heartbeat=on sends while it checks segments (Swift's yield_frequency, 10 s). */
  slo_yield_frequency_ms: number;
  /** S3 virtual-hosted buckets are addressed as <bucket>.<s3_domain>. */
  s3_domain: string;
  /** The one region the S3 API reports (GetBucketLocation, x-amz-bucket-region). */
  s3_region: string;
  /**
   * Keystone tokens (auth/keystone.ts): identity's v3 URL ("" = the cluster's identity when
   * the file has an `identity` section, else none), how long a validation is trusted, and
   * the proxy's own identity user (for EC2 credentials; password "" = identity.service_password).
   */
  identity_url: string;
  identity_cache_s: number;
  identity_service_user: string;
  identity_service_password: string;
  identity_service_project: string;
}

export interface ProxyConfig extends ProxySettings {
  ring_dir: string;
  hash: HashConfig;
  users: Map<string, UserEntry>;
  /** The cluster's storage policies (the config's top-level "storage_policies"). */
  storage_policies: StoragePolicies;
}

/**
 * Swift's functional-test users (DESIGN.md §7), with keys every reader of Swift's docs knows:
 * `npm start` writes them into a new local cluster's config file, where the operator sees
 * them. A proxy is never given them silently: a config without `proxy.users` has none.
 */
export const TEST_USERS: Readonly<Record<string, UserEntry>> = {
  'test:tester': { key: 'testing', groups: ['.admin'] },
  'test2:tester2': { key: 'testing2', groups: ['.admin'] },
  'test:tester3': { key: 'testing3', groups: [] },
  'test5:tester5': { key: 'testing5', groups: ['.admin', 'service'] },
};

export const DEFAULT_SETTINGS: Readonly<ProxySettings> = {
  bind_ip: '127.0.0.1',
  bind_port: 8080,
  log_level: 'info',
  token_life_s: 86400,
  token_secret: '',
  node_timeout_ms: 10_000,
  conn_timeout_ms: 1_000,
  client_timeout_ms: 60_000,
  error_suppression_interval_s: 60,
  error_suppression_limit: 10,
  recheck_account_existence_s: 10,
  recheck_container_existence_s: 10,
  info_cache_max_entries: 10_000,
  shutdown_timeout_ms: 30_000,
  max_failed_auth_per_user: 10,
  max_failed_auth_per_source: 100,
  failed_auth_window_s: 60,
  max_concurrent_auth_checks: 16,
  max_file_size: 5_368_709_122,
  max_meta_name_length: 128,
  max_meta_value_length: 256,
  max_meta_count: 90,
  max_meta_overall_size: 4096,
  max_header_size: 8192,
  max_object_name_length: 1024,
  container_listing_limit: 10_000,
  account_listing_limit: 10_000,
  max_account_name_length: 256,
  max_container_name_length: 256,
  max_manifest_segments: 1000,
  max_manifest_size: 8 * 1024 * 1024,
  min_segment_size: 1,
  max_dlo_segments: 10_000,
  slo_yield_frequency_ms: 10_000,
  s3_domain: 'localhost',
  s3_region: 'us-east-1',
  identity_url: '',
  identity_cache_s: 30,
  identity_service_user: 'swift',
  identity_service_password: '',
  identity_service_project: 'service',
};

export interface ProxyFlags {
  bindIp?: string;
  port?: number;
  ringDir?: string;
}

function parseUsers(raw: unknown): Map<string, UserEntry> {
  if (raw === undefined) return new Map();
  if (!isRecord(raw)) throw new ConfigError('proxy.users must be an object of "account:user" entries');
  const users = new Map<string, UserEntry>();
  for (const [name, entry] of Object.entries(raw)) {
    const colon = name.indexOf(':');
    if (colon <= 0 || colon === name.length - 1) {
      throw new ConfigError(`proxy.users: "${name}" must look like "account:user"`);
    }
    // Either {"key": "...", "groups": [...]} or Swift's "key group group" shorthand.
    if (typeof entry === 'string') {
      const [key, ...groups] = entry.trim().split(/\s+/);
      if (!key) throw new ConfigError(`proxy.users: "${name}" has no key`);
      users.set(name, { key, groups });
    } else if (isRecord(entry) && typeof entry.key === 'string' && entry.key !== '') {
      const groups = entry.groups ?? [];
      if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
        throw new ConfigError(`proxy.users: "${name}".groups must be a list of strings`);
      }
      users.set(name, { key: entry.key, groups: groups as string[] });
    } else {
      throw new ConfigError(`proxy.users: "${name}" needs a non-empty "key"`);
    }
  }
  return users;
}

export function loadProxyConfig(
  file: Record<string, unknown>,
  flags: ProxyFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): ProxyConfig {
  const settings = readSection(file, 'proxy', DEFAULT_SETTINGS, { env, flags, otherKeys: ['users'] });
  const section = (file.proxy ?? {}) as Record<string, unknown>;

  const hash = hashConfig(file, env);
  const dataDir = env.STOWAGE_DATA ?? './data';
  const ringDirFromFile = typeof file.ring_dir === 'string' ? file.ring_dir : undefined;
  const ringDir = flags.ringDir ?? env.STOWAGE_RING_DIR ?? ringDirFromFile ?? join(dataDir, 'rings');

  const config = {
    ...settings,
    ring_dir: resolve(ringDir),
    hash,
    users: parseUsers(section.users),
    storage_policies: StoragePolicies.fromConfig(file),
  };
  // Without a configured secret, tokens are signed with the cluster's hash secrets, which
  // every proxy of the cluster shares; operators should still set their own.
  if (config.token_secret === '') config.token_secret = `stowage-tempauth:${hash.hashPrefix}:${hash.hashSuffix}`;
  const identity = isRecord(file.identity) ? file.identity : null;
  if (config.identity_url === '' && identity) {
    config.identity_url = `http://${String(identity.bind_ip ?? '127.0.0.1')}:${String(identity.bind_port ?? 5000)}/v3`;
  }
  if (config.identity_service_password === '' && typeof identity?.service_password === 'string') {
    config.identity_service_password = identity.service_password;
  }
  return config;
}

/** Configured users whose key is the well-known one of a Swift functional-test user. */
export function wellKnownUsers(users: ReadonlyMap<string, UserEntry>): string[] {
  return [...users].filter(([name, user]) => TEST_USERS[name]?.key === user.key).map(([name]) => name);
}

/** Whether `ip` only reaches this host: the loopback ranges. */
export const isLoopback = (ip: string) => /^127\./.test(ip) || ip === '::1' || ip === 'localhost';
