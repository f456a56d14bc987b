// The object expirer (Swift's object-expirer): objects written with X-Delete-At have a
// row "<delete-at>-<account>/<container>/<object>" in a queue container of the hidden
// account `.expiring_objects` (one container per day, written by the object server).
// Each pass reads the queue containers this node holds as a primary, and for every row
// that is due sends DELETE with X-If-Delete-At to the object's primaries (with the
// container updates, so listings lose it), then removes the row from the queue. Past
// day containers left empty are deleted. The object's primaries are those of its
// container's storage policy, asked of the container servers once per pass.
//
// Several nodes hold each queue container; a row is handled by one of them only: the
// primary whose place in the queue container's primary list is the row's hash modulo
// the number of primaries. So every node can run the expirer, and each object is
// deleted once. A row whose node is down waits for it (as with Swift's processes/process).
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import { Agent, request } from 'undici';
import { quoteName } from '../common/paths.js';
import { Timestamp } from '../common/timestamp.js';
import type { Device as RingDevice, Ring } from '../ring-builder/index.js';
import { POLICY_INDEX_HEADER } from '../common/storage-policy.js';
import { localRingDevices, policyRings, type DaemonContext } from './context.js';
import { DbRpcClient } from './db-rpc-client.js';

export const EXPIRING_OBJECTS_ACCOUNT = '.expiring_objects';
const LIST_PAGE = 1000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface ExpirerStats {
  /** Queue containers (days) read here. */
  queues: number;
  /** Due rows this node is responsible for. */
  due: number;
  /** Objects deleted (at least one primary held the expiring version). */
  expired: number;
  /** Rows whose object was already gone or was rewritten with another X-Delete-At (412/404/409). */
  stale: number;
  /** Rows kept for the next pass: too few primaries answered. */
  failures: number;
  /** Past queue containers deleted once empty. */
  queuesRemoved: number;
  seconds: number;
}

interface QueueDatabase {
  partition: string;
  info: { account: string; container: string; object_count: number };
}

export async function runExpirerPass(ctx: DaemonContext): Promise<ExpirerStats> {
  const started = Date.now();
  const stats: ExpirerStats = { queues: 0, due: 0, expired: 0, stale: 0, failures: 0, queuesRemoved: 0, seconds: 0 };
  const log = ctx.log.child({ expirer: true });
  const [containerRing, rings] = await Promise.all([ctx.ring('container'), policyRings(ctx)]);
  const objectRings = new Map(rings.map((r) => [r.policyIndex, r.ring]));
  const rpc = new DbRpcClient();
  const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const queue = new PQueue({ concurrency: ctx.config.replication_concurrency });
  const nowS = Math.floor(Date.now() / 1000);
  const http = new Http(agent);
  const policies = new ContainerPolicies(http, containerRing);
  try {
    for (const local of localRingDevices(containerRing, ctx.config).mine.values()) {
      for (const db of await queueDatabases(rpc, local)) {
        const day = Number(db.info.container);
        if (!/^\d+$/.test(db.info.container) || day > nowS) continue;
        const primaries = containerRing.getPartNodes(Number(db.partition));
        const place = primaries.findIndex((d) => d.id === local.id);
        if (place < 0) continue; // a handoff copy: the replicator moves it to its primaries
        stats.queues++;
        const mine = (row: string) => createHash('md5').update(row).digest().readUInt32BE(0) % primaries.length === place;
        const rows = await dueRows(http, local, db, nowS);
        for (const row of rows.filter(mine)) {
          stats.due++;
          await queue.onSizeLessThan(2 * ctx.config.replication_concurrency);
          void queue.add(() => expire(row, { http, containerRing, objectRings, policies, queuePrimaries: primaries, queueDb: db, stats, log }));
        }
        await queue.onIdle();
        if (day + 86400 <= nowS && rows.length === 0) {
          // A past day with nothing left: the queue container goes (reclaimed later by the replicator).
          const t = Timestamp.now().internal;
          const answers = await Promise.all(primaries.map((d) => http.send('DELETE', d, db.partition, [db.info.account, db.info.container], { 'X-Timestamp': t })));
          if (answers.some((s) => s >= 200 && s < 300)) stats.queuesRemoved++;
        }
      }
    }
    await queue.onIdle();
  } finally {
    await Promise.all([rpc.close(), agent.close()]);
  }
  stats.seconds = (Date.now() - started) / 1000;
  log.info({ ...stats }, 'expirer pass done');
  return stats;
}

/** The `.expiring_objects` containers of one local device (read through its container server). */
async function queueDatabases(rpc: DbRpcClient, local: RingDevice): Promise<QueueDatabase[]> {
  const found: QueueDatabase[] = [];
  let after: string | undefined;
  do {
    const page = await rpc.call<{ databases: Array<QueueDatabase & { hash: string }>; next?: string }>(
      { host: `${local.ip}:${local.port}`, device: local.device, partition: 0, names: ['.list', '.list'] },
      'list',
      { limit: LIST_PAGE, ...(after === undefined ? {} : { after }) },
    );
    found.push(...page.databases.filter((d) => d.info.account === EXPIRING_OBJECTS_ACCOUNT));
    after = page.next;
  } while (after !== undefined);
  return found;
}

/** Names of the queue rows due now: names sort by their 10-digit delete-at, so end_marker cuts at now. */
async function dueRows(http: Http, local: RingDevice, db: QueueDatabase, nowS: number): Promise<string[]> {
  const endMarker = String(nowS + 1).padStart(10, '0');
  const names: string[] = [];
  let marker = '';
  for (;;) {
    const query = `?format=json&limit=${LIST_PAGE}&end_marker=${endMarker}&marker=${encodeURIComponent(marker)}`;
    const page = (await http.getJson(local, db.partition, [db.info.account, db.info.container], query)) as Array<{ name: string }>;
    names.push(...page.map((r) => r.name));
    if (page.length < LIST_PAGE) return names;
    marker = page.at(-1)!.name;
  }
}

interface ExpireJob {
  http: Http;
  containerRing: Ring;
  /** Each storage policy's object ring, by index. */
  objectRings: ReadonlyMap<number, Ring>;
  policies: ContainerPolicies;
  queuePrimaries: RingDevice[];
  queueDb: QueueDatabase;
  stats: ExpirerStats;
  log: DaemonContext['log'];
}

/** Deletes the object of one queue row (if it still expires then), then the row. */
async function expire(row: string, job: ExpireJob): Promise<void> {
  const { stats, log } = job;
  const m = /^(\d+)-([^/]+)\/([^/]+)\/(.+)$/s.exec(row);
  if (!m) {
    log.warn({ row }, 'queue row is not "<delete-at>-<account>/<container>/<object>"; removing it');
    await removeRow(row, job);
    return;
  }
  const [, deleteAt = '', account = '', container = '', object = ''] = m;
  // The object lives in its container's storage policy's ring and directories.
  const policyIndex = await job.policies.of(account, container);
  const objectRing = policyIndex === undefined ? undefined : job.objectRings.get(policyIndex);
  if (objectRing === undefined) {
    stats.failures++;
    log.warn({ row, policyIndex }, policyIndex === undefined ? 'container of an expiring object did not answer; will retry' : 'no object ring for the container\'s storage policy; will retry');
    return;
  }
  const { part, nodes } = objectRing.getNodes(account, container, object);
  const listing = job.containerRing.getNodes(account, container);
  // The delete happens "at" X-Delete-At: a newer write of the object wins over it.
  const timestamp = Timestamp.parse(deleteAt).internal;
  const statuses = await Promise.all(
    nodes.map((node, i) => {
      const target = listing.nodes[i % listing.nodes.length];
      const headers: Record<string, string> = { 'X-Timestamp': timestamp, 'X-If-Delete-At': deleteAt, [POLICY_INDEX_HEADER]: String(policyIndex) };
      if (target) {
        headers['X-Container-Host'] = `${target.ip}:${target.port}`;
        headers['X-Container-Device'] = target.device;
        headers['X-Container-Partition'] = String(listing.part);
      }
      return job.http.send('DELETE', node, part, [account, container, object], headers);
    }),
  );
  const settled = statuses.filter((s) => (s >= 200 && s < 300) || s === 404 || s === 409 || s === 412).length;
  if (settled < Math.floor(nodes.length / 2) + 1) {
    stats.failures++;
    log.warn({ row, statuses }, 'expiring object not deleted on a quorum of its primaries; will retry');
    return;
  }
  if (statuses.some((s) => s >= 200 && s < 300)) stats.expired++;
  else stats.stale++;
  await removeRow(row, job);
}

/** The queue row leaves every primary of its queue container (a replica that missed it gets it by replication). */
async function removeRow(row: string, job: ExpireJob): Promise<void> {
  const t = Timestamp.now().internal;
  const names = [job.queueDb.info.account, job.queueDb.info.container, row];
  await Promise.all(job.queuePrimaries.map((d) => job.http.send('DELETE', d, job.queueDb.partition, names, { 'X-Timestamp': t })));
}

/**
 * The storage policy index of containers, asked of their container servers once per pass
 * (a container keeps its policy while it exists). A container that is gone counts as
 * policy 0 (Swift's container_info); undefined when no container server answered.
 */
class ContainerPolicies {
  private readonly known = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly http: Http,
    private readonly ring: Ring,
  ) {}

  of(account: string, container: string): Promise<number | undefined> {
    const key = JSON.stringify([account, container]);
    let found = this.known.get(key);
    if (found === undefined) {
      found = this.ask(account, container);
      this.known.set(key, found);
    }
    return found;
  }

  private async ask(account: string, container: string): Promise<number | undefined> {
    const { part, nodes } = this.ring.getNodes(account, container);
    for (const node of nodes) {
      const answer = await this.http.head(node, part, [account, container]);
      if (answer.status === 404) return 0;
      const index = answer.headers[POLICY_INDEX_HEADER];
      if (answer.status >= 200 && answer.status < 300) return typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : 0;
    }
    return undefined;
  }
}

/** Backend requests to storage nodes; a node that does not answer counts as status 0. */
class Http {
  constructor(private readonly agent: Agent) {}

  private url(d: RingDevice, part: number | string, names: string[], query = ''): string {
    const host = d.ip.includes(':') ? `[${d.ip}]` : d.ip;
    return `http://${host}:${d.port}/${quoteName(d.device)}/${part}/${names.map(quoteName).join('/')}${query}`;
  }

  async send(method: string, d: RingDevice, part: number | string, names: string[], headers: Record<string, string>): Promise<number> {
    try {
      const res = await request(this.url(d, part, names), { method, headers, dispatcher: this.agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0;
    }
  }

  async head(d: RingDevice, part: number | string, names: string[]): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
    try {
      const res = await request(this.url(d, part, names), { method: 'HEAD', dispatcher: this.agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.body.dump();
      return { status: res.statusCode, headers: res.headers };
    } catch {
      return { status: 0, headers: {} };
    }
  }

  async getJson(d: RingDevice, part: number | string, names: string[], query: string): Promise<unknown> {
    const res = await request(this.url(d, part, names, query), { dispatcher: this.agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.body.text();
    if (res.statusCode === 404) return [];
    if (res.statusCode !== 200) throw new Error(`listing ${names.join('/')} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text);
  }
}
