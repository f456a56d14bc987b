// Entry point: node dist/proxy/main.js [--config <cluster.json>] [--bind-ip <ip>]
// [--port <port>] [--ring-dir <dir>]. Prints {"event":"listening","url":…} on stdout once
// it accepts requests (logs go to stderr). SIGTERM/SIGINT: stop accepting, let in-flight
// requests finish for up to shutdown_timeout_ms, then drop the rest (an upload cut off
// this way is aborted on every object server, so no partial object becomes visible).
import { parseArgs } from 'node:util';
import { readConfigFile } from '../common/config.js';
import { Backend } from './backend.js';
import { loadProxyConfig } from './config.js';
import { Replicas } from './replicas.js';
import { loadRings } from './rings.js';
import { createProxyServer } from './server.js';

const USAGE = 'usage: node dist/proxy/main.js [--config <cluster.json>] [--bind-ip <ip>] [--port <port>] [--ring-dir <dir>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      'bind-ip': { type: 'string' },
      port: { type: 'string' },
      'ring-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  const config = loadProxyConfig(readConfigFile(values.config ?? process.env.STOWAGE_CONFIG), {
    ...(values['bind-ip'] !== undefined ? { bindIp: values['bind-ip'] } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values['ring-dir'] !== undefined ? { ringDir: values['ring-dir'] } : {}),
  });
  const rings = await loadRings(config.ring_dir, config.hash);
  const backend = new Backend(config);
  const app = createProxyServer(config, rings, new Replicas(backend));

  process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled rejection'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => app.server.closeAllConnections(), config.shutdown_timeout_ms);
    try {
      await app.close();
      await backend.close();
    } finally {
      clearTimeout(deadline);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ host: config.bind_ip, port: config.bind_port });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: address })}\n`);
}

main().catch((err) => {
  process.stderr.write(`proxy: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
