// Entry point: node dist/proxy/main.js [--config <cluster.json>] [--bind-ip <ip>]
// [--port <port>] [--ring-dir <dir>]. Prints {"event":"listening","url":…} on stdout once
// it accepts requests (logs go to stderr). SIGTERM/SIGINT: stop accepting, let in-flight
// requests finish for up to shutdown_timeout_ms, then drop the rest (an upload cut off
// this way is aborted on every object server, so no partial object becomes visible).
import { readConfigFile } from '../common/config.js';
import { announceListening, parseServiceArgs, stopOnSignals } from '../common/service.js';
import { Backend } from './backend.js';
import { isLoopback, loadProxyConfig, wellKnownUsers } from './config.js';
import { Replicas } from './replicas.js';
import { loadRings } from './rings.js';
import { createProxyServer } from './server.js';

const USAGE = 'usage: node dist/proxy/main.js [--config <cluster.json>] [--bind-ip <ip>] [--port <port>] [--ring-dir <dir>]';

async function main(): Promise<void> {
  const args = parseServiceArgs(USAGE, ['ring-dir']);
  if (args === null) return;
  const ringDir = args.extra['ring-dir'];
  const config = loadProxyConfig(readConfigFile(args.configPath), {
    ...(args.flags.bindIp !== undefined ? { bindIp: args.flags.bindIp } : {}),
    ...(args.flags.port !== undefined ? { port: args.flags.port } : {}),
    ...(ringDir !== undefined ? { ringDir } : {}),
  });
  const rings = await loadRings(config.ring_dir, config.hash, config.storage_policies);
  const backend = new Backend(config);
  const app = createProxyServer(config, rings, new Replicas(backend));

  stopOnSignals(app, config.shutdown_timeout_ms, () => backend.close());
  if (config.users.size === 0) {
    app.log.warn('no tempauth users configured (proxy.users): /auth/v1.0 accepts nobody; Keystone tokens and ACLs still work');
  }
  const exposed = wellKnownUsers(config.users);
  if (exposed.length > 0 && !isLoopback(config.bind_ip)) {
    app.log.error(
      { users: exposed, bind_ip: config.bind_ip },
      'SECURITY WARNING: users with the well-known keys of Swift\'s test users are configured on a proxy reachable from other hosts; change their keys in proxy.users',
    );
  }

  const address = await app.listen({ host: config.bind_ip, port: config.bind_port });
  announceListening(address);
}

main().catch((err) => {
  process.stderr.write(`proxy: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
