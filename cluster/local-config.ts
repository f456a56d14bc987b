// The local cluster's data directory: <data>/stowage.json (made on first start, with
// fresh hash secrets that must never change afterwards) and <data>/rings/.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readConfigFile } from '../common/config.js';
import { TEST_USERS } from '../proxy/config.js';

export const LOCAL_NODES = 4;
export const PART_POWER = 10;
export const REPLICAS = 3;
export const MIN_PART_HOURS = 1;
/** Swift's convention: one port per server kind on every storage host. */
export const SERVER_PORTS = { object: 6200, container: 6201, account: 6202 } as const;
export type RingName = keyof typeof SERVER_PORTS;

export interface LocalLayout {
  dataDir: string;
  configPath: string;
  ringDir: string;
  config: Record<string, unknown>;
}

export function dataDirFrom(argv: string[], env = process.env): string {
  const i = argv.indexOf('--data');
  return resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : env.STOWAGE_DATA ?? './data');
}

/**
 * Creates <data>, its config and rings dir when they are missing. A new cluster's config
 * (none yet, or one the operator wrote before the first start, without hash secrets) gets
 * fresh hash secrets, ring_dir and Swift's test users, written out so the operator sees
 * (and can change) the keys the proxy accepts; whatever the operator wrote is kept.
 */
export function prepareDataDir(dataDir: string): LocalLayout {
  const ringDir = join(dataDir, 'rings');
  mkdirSync(ringDir, { recursive: true });
  const configPath = join(dataDir, 'stowage.json');
  const seeded = existsSync(configPath) ? readConfigFile(configPath) : {};
  if (seeded.hash_path_prefix === undefined && seeded.hash_path_suffix === undefined) {
    const proxy = typeof seeded.proxy === 'object' && seeded.proxy !== null ? seeded.proxy : {};
    const config = {
      hash_path_prefix: randomBytes(8).toString('hex'),
      hash_path_suffix: randomBytes(8).toString('hex'),
      ring_dir: ringDir,
      ...seeded,
      proxy: { users: TEST_USERS, ...proxy },
    };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }
  ensureIdentitySecrets(configPath);
  return { dataDir, configPath, ringDir, config: readConfigFile(configPath) };
}

/**
 * The identity service's bootstrap passwords (identity.admin_password, service_password):
 * generated into the config file on first start unless the operator set them.
 */
function ensureIdentitySecrets(configPath: string): void {
  const config = readConfigFile(configPath);
  const identity = (typeof config.identity === 'object' && config.identity !== null ? config.identity : {}) as Record<string, unknown>;
  let changed = false;
  for (const key of ['admin_password', 'service_password']) {
    if (typeof identity[key] === 'string' && identity[key] !== '') continue;
    identity[key] = randomBytes(12).toString('base64url');
    changed = true;
  }
  if (!changed) return;
  const tmp = `${configPath}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...config, identity }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, configPath);
}

/** <data>/openrc: what `source` needs for the openstack command to log in as the admin. */
export function writeOpenrc(dataDir: string, identityUrl: string, adminPassword: string): string {
  const path = join(dataDir, 'openrc');
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const lines = [
    '# Credentials of the cluster admin for the openstack command: source this file.',
    `export OS_AUTH_URL=${quote(`${identityUrl}/v3`)}`,
    'export OS_USERNAME=admin',
    `export OS_PASSWORD=${quote(adminPassword)}`,
    'export OS_PROJECT_NAME=admin',
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_IDENTITY_API_VERSION=3',
    '',
  ];
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
  return path;
}

/** Storage host n (1-based) of the local cluster: its address and devices directory. */
export function localNode(dataDir: string, n: number) {
  return { ip: `127.0.0.${n}`, zone: n, device: `sdb${n}`, devicesDir: join(dataDir, `node${n}`) };
}
