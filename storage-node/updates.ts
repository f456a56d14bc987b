// Sending listing updates: an object server tells the container servers about each
// object write, a container server tells the account servers about each container
// change. Every target gets the request in parallel, bounded by update_timeout_ms; the
// targets that did not answer 2xx are saved in one async pending for the updater.
import { quoteName } from '../common/paths.js';
import { Agent, request } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
import type { PathHasher } from '../common/path-hash.js';
import { badRequest } from './errors.js';
import { ASYNC_PENDING_VERSION, asyncPendingPath, writeAsyncPending, type UpdateTarget } from './async-pending.js';
import type { Device } from './devices.js';

export interface Update {
  method: 'PUT' | 'DELETE';
  account: string;
  container: string;
  /** Absent for an update of a container row on an account server. */
  object?: string;
  headers: Record<string, string>;
  /** Names the async pending file when the update fails. */
  pendingTimestamp: string;
}

/** The status each target answered, 0 when it did not answer in time. */
export type UpdateStatuses = number[];

const HOST_RE = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * The targets named by X-<Kind>-Host / -Device (comma-separated, one entry per replica)
 * and X-<Kind>-Partition; none when the partition is absent (as Swift). 400 when the
 * lists do not pair up or a host is not "ip:port". Kinds: Container (object server),
 * Account (container server), Delete-At (the expirer's queue container).
 */
export function targetsFromHeaders(headers: Record<string, string>, kind: 'Container' | 'Account' | 'Delete-At'): UpdateTarget[] {
  const header = (suffix: string) => headers[`x-${kind.toLowerCase()}-${suffix}`];
  const partition = header('partition')?.trim();
  if (!partition) return [];
  const hosts = (header('host') ?? '').split(',').map((h) => h.trim());
  const devices = (header('device') ?? '').split(',').map((d) => d.trim());
  if (hosts.length !== devices.length) {
    throw badRequest(`X-${kind}-Host and X-${kind}-Device list different numbers of servers`);
  }
  if (!/^\d+$/.test(partition)) throw badRequest(`Invalid X-${kind}-Partition: ${JSON.stringify(partition)}`);
  return hosts.map((host, i) => {
    if (!HOST_RE.test(host) || !devices[i]) {
      throw badRequest(`Invalid server in X-${kind}-Host/-Device: ${JSON.stringify(`${host} ${devices[i]}`)}`);
    }
    return { host, device: devices[i]!, partition };
  });
}

export class UpdateSender {
  private readonly agent: Agent;

  constructor(
    private readonly hasher: PathHasher,
    private readonly timeoutMs: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.agent = new Agent({ connect: { timeout: timeoutMs }, connections: 32, keepAliveTimeout: 4000 });
  }

  /** Sends to every target; saves the failures as an async pending on `device`. */
  async send(device: Device, update: Update, targets: UpdateTarget[]): Promise<UpdateStatuses> {
    const statuses = await Promise.all(targets.map((target) => this.sendOne(update, target)));
    const failed = targets.filter((_, i) => !(statuses[i]! >= 200 && statuses[i]! < 300));
    if (failed.length > 0) {
      const { account, container, object } = update;
      const hash = this.hasher.hashHex(object === undefined ? { account, container } : { account, container, object });
      const path = asyncPendingPath(device, hash, update.pendingTimestamp);
      await writeAsyncPending(device, path, {
        version: ASYNC_PENDING_VERSION,
        method: update.method,
        account,
        container,
        ...(object === undefined ? {} : { object }),
        headers: update.headers,
        targets: failed,
      });
      this.log.warn({ path, targets: failed.map((t) => t.host), statuses }, 'update failed; saved as async pending');
    }
    return statuses;
  }

  private async sendOne(update: Update, target: UpdateTarget): Promise<number> {
    const names = [update.account, update.container, ...(update.object === undefined ? [] : [update.object])];
    const path = [target.device, target.partition, ...names].map(quoteName).join('/');
    try {
      const res = await request(`http://${target.host}/${path}`, {
        method: update.method,
        headers: update.headers,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body.dump();
      return res.statusCode;
    } catch (err) {
      this.log.warn({ err, host: target.host, path }, 'update request failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
