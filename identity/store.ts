// The identity database: LevelDB under <data dir>/db, mirrored in memory (an identity
// service holds thousands of records, not millions, and validation must not wait on disk).
// Every change is one LevelDB batch written with sync: true before it is applied to the
// mirror and acknowledged, so an answered request survives a crash.
import { Level } from 'level';

export interface DomainRecord {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}

export interface ProjectRecord {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
}

export interface UserRecord {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  /** "scrypt$…"; null for a user who cannot log in with a password. */
  password_hash: string | null;
  default_project_id: string | null;
  description: string;
  email: string | null;
  /** Tokens issued before this (ms) are dead: set when the password changes. */
  tokens_valid_after_ms: number;
}

export interface RoleRecord {
  id: string;
  name: string;
  description: string;
}

export interface AssignmentRecord {
  /** "<project_id>:<user_id>:<role_id>" */
  id: string;
  project_id: string;
  user_id: string;
  role_id: string;
}

export interface ServiceRecord {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: boolean;
}

export interface EndpointRecord {
  id: string;
  service_id: string;
  interface: 'public' | 'internal' | 'admin';
  region_id: string | null;
  url: string;
  enabled: boolean;
}

export interface RegionRecord {
  id: string;
  description: string;
  parent_region_id: string | null;
}

/** Keystone's credential: for type "ec2", id = sha256(access) and the blob holds access and secret. */
export interface CredentialRecord {
  id: string;
  type: string;
  user_id: string;
  project_id: string | null;
  blob: string;
}

export interface RevocationRecord {
  /** the audit id of the revoked token */
  id: string;
  /** when the token would have expired anyway (ms): the record may be dropped after it */
  expires_ms: number;
}

export interface Tables {
  domain: DomainRecord;
  project: ProjectRecord;
  user: UserRecord;
  role: RoleRecord;
  assignment: AssignmentRecord;
  service: ServiceRecord;
  endpoint: EndpointRecord;
  region: RegionRecord;
  credential: CredentialRecord;
  revocation: RevocationRecord;
}

export type Kind = keyof Tables;
const KINDS: Kind[] = ['domain', 'project', 'user', 'role', 'assignment', 'service', 'endpoint', 'region', 'credential', 'revocation'];

export type Change = { [K in Kind]: { op: 'put'; kind: K; value: Tables[K] } | { op: 'del'; kind: K; id: string } }[Kind];

export class Store {
  private readonly tables = new Map<Kind, Map<string, unknown>>(KINDS.map((k) => [k, new Map()]));

  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly db: Level<string, unknown>) {}

  static async open(path: string): Promise<Store> {
    const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
    await db.open();
    const store = new Store(db);
    for await (const [key, value] of db.iterator()) {
      const slash = key.indexOf('/');
      store.tables.get(key.slice(0, slash) as Kind)?.set(key.slice(slash + 1), value);
    }
    return store;
  }

  private table<K extends Kind>(kind: K): Map<string, Tables[K]> {
    return this.tables.get(kind) as Map<string, Tables[K]>;
  }

  get<K extends Kind>(kind: K, id: string): Tables[K] | undefined {
    return this.table(kind).get(id);
  }

  all<K extends Kind>(kind: K): Tables[K][] {
    return [...this.table(kind).values()];
  }

  find<K extends Kind>(kind: K, match: (record: Tables[K]) => boolean): Tables[K] | undefined {
    for (const record of this.table(kind).values()) if (match(record)) return record;
    return undefined;
  }

  /** Applies the changes atomically and durably (fsync) before the mirror sees them. */
  async write(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    await this.db.batch(
      changes.map((c) => (c.op === 'put' ? { type: 'put' as const, key: `${c.kind}/${c.value.id}`, value: c.value } : { type: 'del' as const, key: `${c.kind}/${c.id}` })),
      { sync: true },
    );
    for (const c of changes) {
      if (c.op === 'put') this.tables.get(c.kind)!.set(c.value.id, c.value);
      else this.tables.get(c.kind)!.delete(c.id);
    }
  }

  put<K extends Kind>(kind: K, value: Tables[K]): Promise<void> {
    return this.write([{ op: 'put', kind, value } as Change]);
  }

  /**
   * Runs check-then-write sequences one at a time (e.g. "no project has this name, so
   * create it"), so two concurrent requests cannot both pass the check.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
