// The local cluster's data directory: <data>/stowage.json (made on first start, with
// fresh hash secrets that must never change afterwards) and <data>/rings/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readConfigFile } from '../common/config.js';

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

/** Creates <data>, its config (fresh hash secrets) and rings dir when they are missing. */
export function prepareDataDir(dataDir: string): LocalLayout {
  const ringDir = join(dataDir, 'rings');
  mkdirSync(ringDir, { recursive: true });
  const configPath = join(dataDir, 'stowage.json');
  if (!existsSync(configPath)) {
    const config = {
      hash_path_prefix: randomBytes(8).toString('hex'),
      hash_path_suffix: randomBytes(8).toString('hex'),
      ring_dir: ringDir,
    };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }
  return { dataDir, configPath, ringDir, config: readConfigFile(configPath) };
}

/** Storage host n (1-based) of the local cluster: its address and devices directory. */
export function localNode(dataDir: string, n: number) {
  return { ip: `127.0.0.${n}`, zone: n, device: `sdb${n}`, devicesDir: join(dataDir, `node${n}`) };
}
