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

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SectionOptions<T> {
  env?: NodeJS.ProcessEnv;
  /** --bind-ip / --port from the command line: they win over the file and the environment. */
  flags?: { bindIp?: string; port?: number };
  /** Keys the section may hold besides the settings (read by the caller, e.g. proxy users). */
  otherKeys?: string[];
  /** Values taken from elsewhere in the file, under the section's own. */
  preset?: Partial<T>;
}

/**
 * A service's section of the config file (`name`), over `defaults`, with
 * STOWAGE_<NAME>_<KEY> environment overrides: each value is checked against its default's
 * type (integers >= 1, bind_port >= 0); an unknown key is refused, as a typo would be.
 */
export function readSection<T extends object>(
  file: Record<string, unknown>,
  name: string,
  defaults: T,
  { env = process.env, flags = {}, otherKeys = [], preset = {} }: SectionOptions<T> = {},
): { -readonly [K in keyof T]: T[K] } {
  const section = file[name] === undefined ? {} : file[name];
  if (!isRecord(section)) throw new ConfigError(`the "${name}" section must be an object`);
  for (const key of Object.keys(section)) {
    if (!(key in defaults) && !otherKeys.includes(key)) throw new ConfigError(`${name}: unknown key "${key}"`);
  }
  const coerce = (key: string, value: unknown, source: string): string | number => {
    if (typeof (defaults as Record<string, unknown>)[key] === 'string') {
      if (typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') throw new ConfigError(`${source}: ${key} must be a string`);
      return value;
    }
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    const min = key === 'bind_port' ? 0 : 1;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
      throw new ConfigError(`${source}: ${key} must be an integer >= ${min}, not ${JSON.stringify(value)}`);
    }
    return n;
  };
  const settings: Record<string, string | number> = { ...defaults, ...(preset as Record<string, string | number>) };
  for (const key of Object.keys(defaults)) {
    if (section[key] !== undefined) settings[key] = coerce(key, section[key], name);
    const envName = `STOWAGE_${name.toUpperCase()}_${key.toUpperCase()}`;
    if (env[envName] !== undefined) settings[key] = coerce(key, env[envName], envName);
  }
  if (flags.bindIp !== undefined) settings.bind_ip = flags.bindIp;
  if (flags.port !== undefined) settings.bind_port = coerce('bind_port', flags.port, '--port');
  return settings as unknown as { -readonly [K in keyof T]: T[K] };
}
