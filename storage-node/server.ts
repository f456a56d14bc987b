// One storage node: the object, container and account servers over this host's devices,
// each on its own port (Swift's convention, so backend paths stay unambiguous).
import type { FastifyInstance } from 'fastify';
import { createPathHasher } from '../common/path-hash.js';
import { accountBroker } from './account/db.js';
import { accountServer } from './account/server.js';
import type { StorageConfig } from './config.js';
import { AccountReporter } from './container/account-reporter.js';
import { containerBroker } from './container/db.js';
import { containerServer } from './container/server.js';
import { Devices } from './devices.js';
import { createBackendApp, serve } from './http.js';
import { objectServer } from './object/server.js';
import { cleanStaleTmp } from './object/tmp-cleanup.js';
import { UpdateSender } from './updates.js';

export interface StorageNode {
  urls: { object: string; container: string; account: string };
  /** Stops accepting, lets in-flight requests finish (bounded), closes the databases. */
  close(): Promise<void>;
}

export async function startStorageNode(config: StorageConfig): Promise<StorageNode> {
  const devices = new Devices(config.devices);
  const hasher = await createPathHasher(config.hash);
  const apps = {
    object: createBackendApp('object', config.log_level),
    container: createBackendApp('container', config.log_level),
    account: createBackendApp('account', config.log_level),
  };
  const objectUpdates = new UpdateSender(hasher, config.update_timeout_ms, apps.object.log);
  const accountUpdates = new UpdateSender(hasher, config.update_timeout_ms, apps.container.log);
  const containers = containerBroker();
  const reporter = new AccountReporter((ref) => containers.readInfo(ref), accountUpdates, apps.container.log);
  // A write cut short by a crash left its body in tmp/; none of ours is in flight yet.
  const staleTmp = await cleanStaleTmp(config.devices, Date.now());
  if (staleTmp > 0) apps.object.log.info({ removed: staleTmp }, 'removed stale tmp files left by unfinished writes');
  const objectCtx = { devices, policies: config.policies, hasher, updates: objectUpdates, clientTimeoutMs: config.client_timeout_ms, reclaimAgeS: config.reclaim_age };
  serve(apps.object, objectServer(objectCtx));
  serve(apps.container, containerServer({ devices, policies: config.policies, hasher, broker: containers, reporter }));
  serve(apps.account, accountServer({ devices, policies: config.policies, hasher, broker: accountBroker() }));

  const all = Object.values(apps);
  const close = async () => {
    await closeApps(all, config.shutdown_timeout_ms);
    await reporter.drain(config.shutdown_timeout_ms);
    await Promise.all([objectUpdates.close(), accountUpdates.close()]);
    await devices.close();
  };
  try {
    const [object, container, account] = await Promise.all([
      listen(apps.object, config.bind_ip, config.object_port),
      listen(apps.container, config.bind_ip, config.container_port),
      listen(apps.account, config.bind_ip, config.account_port),
    ]);
    return { urls: { object, container, account }, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`no TCP address for ${host}:${port}`);
  const ip = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${ip}:${address.port}`;
}

/** Stops accepting; requests still running after `timeoutMs` are cut off. */
async function closeApps(apps: FastifyInstance[], timeoutMs: number): Promise<void> {
  const closing = Promise.all(apps.map((app) => app.close()));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)));
  if ((await Promise.race([closing, expired])) === 'expired') {
    // A PUT cut off here never becomes visible: its body is renamed into place only once complete.
    for (const app of apps) app.server.closeAllConnections();
    await closing;
  }
  clearTimeout(timer);
}
