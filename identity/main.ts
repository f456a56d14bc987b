// Entry point: node dist/identity/main.js [--config <cluster.json>] [--bind-ip <ip>]
// [--port <port>]. Opens the database under identity.data_dir, bootstraps (see
// bootstrap.ts), then prints {"event":"listening","url":…} on stdout (logs go to stderr).
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the database.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, readConfigFile } from '../common/config.js';
import { bootstrap } from './bootstrap.js';
import { loadIdentityConfig } from './config.js';
import { createIdentityServer } from './server.js';
import { Store } from './store.js';
import { TokenSigner } from './tokens.js';

const USAGE = 'usage: node dist/identity/main.js [--config <cluster.json>] [--bind-ip <ip>] [--port <port>]';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const REVOCATION_PRUNE_INTERVAL_MS = 10 * 60_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, 'bind-ip': { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const configPath = values.config ?? process.env.STOWAGE_CONFIG;
  const config = loadIdentityConfig(readConfigFile(configPath), {
    ...(values['bind-ip'] !== undefined ? { bindIp: values['bind-ip'] } : {}),
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(configPath !== undefined ? { configPath } : {}),
  });
  if (config.admin_password === '') throw new ConfigError('identity.admin_password is not set (the local cluster writes one into stowage.json)');
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const signer = TokenSigner.fromKeyFile(join(config.data_dir, 'token-signing.key'));
  const store = await Store.open(join(config.data_dir, 'db'));
  const { app, auth } = createIdentityServer(config, store, signer);

  process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled rejection'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_TIMEOUT_MS);
    try {
      await app.close();
      await store.close();
    } finally {
      clearTimeout(deadline);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ host: config.bind_ip, port: config.bind_port });
  await bootstrap(store, config, config.public_url || address, app.log);
  await auth.pruneRevocations();
  setInterval(() => void auth.pruneRevocations().catch((err) => app.log.warn({ err }, 'pruning revocations failed')), REVOCATION_PRUNE_INTERVAL_MS).unref();
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: address })}\n`);
}

main().catch((err) => {
  process.stderr.write(`identity: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
