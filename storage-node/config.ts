// The storage node's settings: the `storage` section of the cluster config file, the
// top-level hash secrets, STOWAGE_STORAGE_<KEY> environment overrides and command-line
// flags (flags beat env, env beats file, file beats defaults).
import { resolve } from 'node:path';
import { ConfigError, hashConfig, readConfigFile, type HashConfig } from '../common/config.js';
import { StoragePolicies } from '../common/storage-policy.js';

export interface StorageSettings {
  bind_ip: string;
  /** Directory holding one sub-directory per device (e.g. <devices>/sdb1). */
  devices: string;
  object_port: number;
  container_port: number;
  account_port: number;
  log_level: string;
  /** How long an object (container) server waits for a container (account) server to
   * answer an update before saving it as an async pending; also bounds the client's wait. */
  update_timeout_ms: number;
  /** How long a client may stay silent while sending a request body. */
  client_timeout_ms: number;
  /** How long SIGTERM waits for in-flight requests before aborting them. */
  shutdown_timeout_ms: number;
  /** Seconds a tombstone (and a stale tmp/ file) is kept before it is reclaimed (Swift's reclaim_age). */
  reclaim_age: number;
  /** Seconds between passes of the background daemons the node runs (see docs/operations.md); 0 runs none. */
  daemon_interval: number;
  /** Objects pushed at once by one replicator pass. */
  replication_concurrency: number;
  /** How fast the auditor reads objects, in bytes per second. */
  auditor_bytes_per_second: number;
}

export interface StorageConfig extends StorageSettings {
  hash: HashConfig;
  /** The cluster config file read, if any (the daemons read the rings it names). */
  config_path?: string;
  /** Where the ring files are: the file's top-level ring_dir, else STOWAGE_RING_DIR; none without either. */
  ring_dir?: string;
  /** The cluster's storage policies (the file's top-level "storage_policies"). */
  policies: StoragePolicies;
}

export const DEFAULT_SETTINGS: Readonly<StorageSettings> = {
  bind_ip: '127.0.0.1',
  devices: './data/node1',
  object_port: 6200,
  container_port: 6201,
  account_port: 6202,
  log_level: 'info',
  update_timeout_ms: 2000,
  client_timeout_ms: 60_000,
  shutdown_timeout_ms: 10_000,
  reclaim_age: 7 * 24 * 3600,
  daemon_interval: 30,
  replication_concurrency: 16,
  auditor_bytes_per_second: 10 * 2 ** 20,
};

const FLAGS: Record<string, keyof StorageSettings> = {
  '--bind-ip': 'bind_ip',
  '--devices': 'devices',
  '--object-port': 'object_port',
  '--container-port': 'container_port',
  '--account-port': 'account_port',
  '--log-level': 'log_level',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const PORT_KEYS = new Set<keyof StorageSettings>(['object_port', 'container_port', 'account_port']);
/** Settings where 0 means "off". */
const ZERO_OK_KEYS = new Set<keyof StorageSettings>(['daemon_interval']);

const USAGE =
  'usage: storage-node [--config <cluster.json>] [--bind-ip <ip>] [--devices <dir>] ' +
  '[--object-port <n>] [--container-port <n>] [--account-port <n>] [--log-level <level>]';

/** Reads argv (without node and script), the config file it names, and the environment. */
export function loadStorageConfig(argv: string[], env = process.env): StorageConfig {
  const flags = parseFlags(argv);
  const file = readConfigFile(flags.config);
  const section = file.storage ?? {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new ConfigError('the "storage" section of the config must be a JSON object');
  }
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof StorageSettings>) {
    const fromFile = (section as Record<string, unknown>)[key];
    const fromEnv = env[`STOWAGE_STORAGE_${key.toUpperCase()}`];
    const fromFlag = flags.values[key];
    const value = fromFlag ?? fromEnv ?? fromFile;
    if (value !== undefined) settings[key] = coerce(key, value);
  }
  const result = settings as unknown as StorageSettings;
  const ringDir = env.STOWAGE_RING_DIR ?? (typeof file.ring_dir === 'string' ? file.ring_dir : undefined);
  return {
    ...result,
    devices: resolve(result.devices),
    hash: hashConfig(file, env),
    policies: StoragePolicies.fromConfig(file),
    ...(flags.config === undefined ? {} : { config_path: resolve(flags.config) }),
    ...(ringDir === undefined ? {} : { ring_dir: resolve(ringDir) }),
  };
}

function parseFlags(argv: string[]): { config?: string; values: Partial<Record<keyof StorageSettings, string>> } {
  const values: Partial<Record<keyof StorageSettings, string>> = {};
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value\n${USAGE}`);
    if (name === '--config') config = value;
    else if (FLAGS[name]) values[FLAGS[name]] = value;
    else throw new ConfigError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return config === undefined ? { values } : { config, values };
}

function coerce(key: keyof StorageSettings, value: unknown): string | number {
  if (typeof DEFAULT_SETTINGS[key] === 'string') {
    if (typeof value !== 'string' || value === '') throw new ConfigError(`storage.${key} must be a non-empty string`);
    if (key === 'log_level' && !LOG_LEVELS.includes(value)) {
      throw new ConfigError(`storage.log_level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    return value;
  }
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  const max = PORT_KEYS.has(key) ? 65535 : 2 ** 31 - 1;
  const min = PORT_KEYS.has(key) || ZERO_OK_KEYS.has(key) ? 0 : 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`storage.${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}
