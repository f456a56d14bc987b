// Storage policies (Swift's swift.conf [storage-policy:N] sections): the cluster's list of
// policies, each with its own object ring (object.ring for policy 0, object-N.ring for N)
// and its own directories on every device (objects/, objects-N/; async_pending/,
// async_pending-N/). A container is given one at creation and keeps it; its objects live
// in that policy's ring and directories. The list comes from the cluster config's
// top-level "storage_policies" array, validated by Swift's rules; without one the
// cluster has the single policy 0 "Policy-0".
import { ConfigError, isRecord } from './config.js';

export interface StoragePolicy {
  readonly index: number;
  /** The primary name (the first of `names`). */
  readonly name: string;
  /** The name and then the aliases, as configured (Swift's alias_list). */
  readonly names: readonly string[];
  readonly isDefault: boolean;
  /** Kept for existing containers, refused for new ones, left out of /info. */
  readonly isDeprecated: boolean;
}

/** Swift's LEGACY_POLICY_NAME: what policy 0 is called when nothing is configured. */
export const LEGACY_POLICY_NAME = 'Policy-0';
/** The header storage nodes learn a request's policy from (and a container server tells it by). */
export const POLICY_INDEX_HEADER = 'x-backend-storage-policy-index';
/** Sent on container PUTs without X-Storage-Policy: the policy a new container gets. */
export const POLICY_DEFAULT_HEADER = 'x-backend-storage-policy-default';

const VALID_NAME = /^[-A-Za-z0-9]+$/;
const KEYS = new Set(['index', 'name', 'aliases', 'default', 'deprecated', 'policy_type']);

/** Swift's get_policy_string: "objects" for policy 0, "objects-2" for policy 2. */
export const policyDirName = (base: string, index: number): string => (index === 0 ? base : `${base}-${index}`);

/** The object ring file's name (without ".ring") of a policy. */
export const objectRingName = (index: number): 'object' | `object-${number}` => (index === 0 ? 'object' : `object-${index}`);

export class StoragePolicies {
  private readonly byIndexMap = new Map<number, StoragePolicy>();
  private readonly byNameMap = new Map<string, StoragePolicy>();
  readonly default: StoragePolicy;

  /** Validated as Swift's StoragePolicyCollection; throws ConfigError with Swift's reason. */
  constructor(policies: readonly StoragePolicy[]) {
    let defaultPolicy: StoragePolicy | undefined;
    for (const policy of policies) {
      const clash = this.byIndexMap.get(policy.index);
      if (clash) throw new ConfigError(`storage_policies: duplicate index ${policy.index} (${policy.name} and ${clash.name})`);
      for (const name of policy.names) {
        const taken = this.byNameMap.get(name.toUpperCase());
        if (taken) throw new ConfigError(`storage_policies: duplicate name ${name} (policies ${taken.index} and ${policy.index})`);
      }
      if (policy.isDefault) {
        if (defaultPolicy) throw new ConfigError(`storage_policies: duplicate default (${defaultPolicy.name} and ${policy.name})`);
        defaultPolicy = policy;
      }
      this.add(policy);
    }
    if (!this.byIndexMap.has(0)) {
      if (this.byIndexMap.size > 0) {
        throw new ConfigError('storage_policies: you must specify a storage policy for index 0 in order to define multiple policies');
      }
      this.add({ index: 0, name: LEGACY_POLICY_NAME, names: [LEGACY_POLICY_NAME], isDefault: false, isDeprecated: false });
    }
    if (this.all.every((p) => p.isDeprecated)) throw new ConfigError("storage_policies: unable to find a policy that's not deprecated");
    if (!defaultPolicy) {
      if (this.byIndexMap.size > 1) throw new ConfigError('storage_policies: unable to find the default policy (mark one "default": true)');
      const only = this.byIndexMap.get(0)!;
      defaultPolicy = { ...only, isDefault: true };
      this.add(defaultPolicy);
    }
    this.default = defaultPolicy;
  }

  private add(policy: StoragePolicy): void {
    this.byIndexMap.set(policy.index, policy);
    for (const name of policy.names) this.byNameMap.set(name.toUpperCase(), policy);
  }

  /** The cluster config's "storage_policies" (absent: Policy-0 alone). */
  static fromConfig(file: Record<string, unknown>): StoragePolicies {
    const list = file.storage_policies;
    if (list === undefined) return new StoragePolicies([]);
    if (!Array.isArray(list)) throw new ConfigError('storage_policies must be an array of {"index", "name", ...} objects');
    return new StoragePolicies(list.map(parsePolicy));
  }

  /** In configuration order (the order /info lists them in). */
  get all(): StoragePolicy[] {
    return [...this.byIndexMap.values()];
  }

  /** By name or alias, case-insensitively (Swift's get_by_name). */
  byName(name: string): StoragePolicy | undefined {
    return this.byNameMap.get(name.toUpperCase());
  }

  /**
   * By index, given as a number or a header value: absent or "" means 0, and a value that
   * is not an integer names no policy (Swift's get_by_index).
   */
  byIndex(index: number | string | undefined): StoragePolicy | undefined {
    if (index === undefined || index === '') return this.byIndexMap.get(0);
    if (typeof index === 'string') {
      if (!/^\s*[+-]?\d+\s*$/.test(index)) return undefined;
      return this.byIndexMap.get(Number(index));
    }
    return this.byIndexMap.get(index);
  }

  /** GET /info's "policies": every policy not deprecated, as Swift's get_policy_info. */
  info(): Array<Record<string, unknown>> {
    return this.all
      .filter((p) => !p.isDeprecated)
      .map((p) => ({ name: p.name, aliases: p.names.join(', '), ...(p.isDefault ? { default: true } : {}) }));
  }
}

/** One entry of "storage_policies", checked as Swift's BaseStoragePolicy checks its options. */
function parsePolicy(entry: unknown, position: number): StoragePolicy {
  const where = `storage_policies[${position}]`;
  if (!isRecord(entry)) throw new ConfigError(`${where} must be an object`);
  for (const key of Object.keys(entry)) if (!KEYS.has(key)) throw new ConfigError(`${where}: invalid option "${key}"`);
  const { index } = entry;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new ConfigError(`${where}: invalid index ${JSON.stringify(index)} (a non-negative integer)`);
  }
  if (entry.policy_type !== undefined && entry.policy_type !== 'replication') {
    throw new ConfigError(`${where}: policy_type ${JSON.stringify(entry.policy_type)} is not supported (only "replication")`);
  }
  const name = entry.name;
  if (typeof name !== 'string') throw new ConfigError(`${where}: a policy needs a "name"`);
  const aliases = parseAliases(entry.aliases, where);
  const names: string[] = [];
  for (const n of [name, ...aliases.filter((a) => a !== name)]) {
    checkName(n, index, where);
    if (names.some((m) => m.toUpperCase() === n.toUpperCase())) throw new ConfigError(`${where}: the name ${n} is already assigned to this policy`);
    names.push(n);
  }
  const isDefault = flag(entry.default, `${where}.default`);
  const isDeprecated = flag(entry.deprecated, `${where}.deprecated`);
  if (isDefault && isDeprecated) throw new ConfigError(`${where}: a deprecated policy can not be the default`);
  return { index, name: names[0]!, names, isDefault, isDeprecated };
}

/** Aliases as Swift's comma-separated list, or a JSON array of names. */
function parseAliases(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (Array.isArray(value) && value.every((a) => typeof a === 'string')) return value as string[];
  throw new ConfigError(`${where}.aliases must be a comma-separated string or an array of names`);
}

function checkName(name: string, index: number, where: string): void {
  // Names are used in HTTP header names (X-Account-Storage-Policy-<name>-Bytes-Used).
  if (!VALID_NAME.test(name)) {
    throw new ConfigError(`${where}: invalid name ${JSON.stringify(name)}: names are used as HTTP headers and may hold only letters, digits and "-"`);
  }
  if (name.toUpperCase() === LEGACY_POLICY_NAME.toUpperCase() && index !== 0) {
    throw new ConfigError(`${where}: the name ${LEGACY_POLICY_NAME} is reserved for policy index 0`);
  }
}

function flag(value: unknown, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false|yes|no|on|off|1|0|t|f|y|n)$/i.test(value)) return /^(true|yes|on|1|t|y)$/i.test(value);
  throw new ConfigError(`${where} must be true or false`);
}
