// Cluster configuration: one JSON file per cluster (defaults good for a laptop), every
// value overridable from the environment. Parts read their own section.
import { readFileSync, existsSync } from 'node:fs';

export interface HashConfig {
  /** Secrets salting placement hashes; never change them once data is written. */
  hashPrefix: string;
  hashSuffix: string;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
}

/** Reads a JSON config file; a missing file means "all defaults". */
export function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path || !existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${path}: the config must be a JSON object`);
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
}

/** The hash secrets: STOWAGE_HASH_PATH_PREFIX / _SUFFIX override the file's values. */
export function hashConfig(file: Record<string, unknown>, env = process.env): HashConfig {
  const fromFile = (key: string) => (typeof file[key] === 'string' ? (file[key] as string) : undefined);
  return {
    hashPrefix: env.STOWAGE_HASH_PATH_PREFIX ?? fromFile('hash_path_prefix') ?? '',
    hashSuffix: env.STOWAGE_HASH_PATH_SUFFIX ?? fromFile('hash_path_suffix') ?? 'stowage',
  };
}
