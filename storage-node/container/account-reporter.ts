// Keeps the account servers' row for each container current. Every change of what that
// row shows (put/delete timestamps, object count, bytes used) asks for a report; reports
// of one container never overlap, and the changes made while one is on its way are
// covered by one more report that reads the latest state (see Coalescer). The report's
// X-Timestamp is when its counts were read, so the account keeps the newest counts
// whatever order reports (or replayed async pendings) arrive in.
import type { FastifyBaseLogger } from 'fastify';
import { Timestamp } from '../../common/timestamp.js';
import { Coalescer } from '../coalescer.js';
import type { DbRef } from '../db/broker.js';
import type { Device } from '../devices.js';
import type { UpdateSender, UpdateStatuses } from '../updates.js';
import { policyIndexOf, type ContainerInfo } from './db.js';

export class AccountReporter {
  private readonly coalescer = new Coalescer<UpdateStatuses>();

  constructor(
    private readonly readInfo: (ref: DbRef) => Promise<ContainerInfo | undefined>,
    private readonly updates: UpdateSender,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Reports the container's current state; the statuses its account servers answered. */
  report(device: Device, ref: DbRef): Promise<UpdateStatuses> {
    return this.coalescer.run(ref.id, () => this.send(device, ref));
  }

  /** Reports without making anyone wait (object row changes). */
  reportLater(device: Device, ref: DbRef): void {
    this.report(device, ref).catch((err: unknown) => this.log.error({ err }, 'account update failed'));
  }

  /** Waits (at most `timeoutMs`) for the reports on their way, e.g. before shutting down. */
  drain(timeoutMs: number): Promise<void> {
    return this.coalescer.drain(timeoutMs);
  }

  private async send(device: Device, ref: DbRef): Promise<UpdateStatuses> {
    const info = await this.readInfo(ref);
    if (info === undefined || info.account_targets.length === 0) return [];
    const put = Timestamp.parse(info.put_timestamp);
    const del = Timestamp.parse(info.delete_timestamp);
    return this.updates.send(
      device,
      {
        method: 'PUT',
        account: info.account,
        container: info.container,
        headers: {
          'X-Put-Timestamp': info.put_timestamp,
          'X-Delete-Timestamp': info.delete_timestamp,
          'X-Object-Count': String(info.object_count),
          'X-Bytes-Used': String(info.bytes_used),
          'X-Backend-Storage-Policy-Index': String(policyIndexOf(info)),
          'X-Timestamp': Timestamp.now().internal,
        },
        // One file per container incarnation: a newer report replaces an older one.
        pendingTimestamp: (del.isNewerThan(put) ? del : put).internal,
      },
      info.account_targets,
    );
  }
}
