// Entry point: node dist/identity/main.js [--config <cluster.json>] [--bind-ip <ip>]
// [--port <port>]. Opens the database under identity.data_dir, bootstraps (see
// bootstrap.ts), then prints {"event":"listening","url":…} on stdout (logs go to stderr).
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the database.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError, readConfigFile } from '../common/config.js';
import { announceListening, parseServiceArgs, stopOnSignals } from '../common/service.js';
import { bootstrap } from './bootstrap.js';
import { loadIdentityConfig } from './config.js';
import { createIdentityServer } from './server.js';
import { Store } from './store.js';
import { TokenSigner } from './tokens.js';

const USAGE = 'usage: node dist/identity/main.js [--config <cluster.json>] [--bind-ip <ip>] [--port <port>]';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const REVOCATION_PRUNE_INTERVAL_MS = 10 * 60_000;

async function main(): Promise<void> {
  const args = parseServiceArgs(USAGE);
  if (args === null) return;
  const config = loadIdentityConfig(readConfigFile(args.configPath), args.flags);
  if (config.admin_password === '') throw new ConfigError('identity.admin_password is not set (the local cluster writes one into stowage.json)');
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const signer = TokenSigner.fromKeyFile(join(config.data_dir, 'token-signing.key'));
  const store = await Store.open(join(config.data_dir, 'db'));
  const { app, auth } = createIdentityServer(config, store, signer);

  stopOnSignals(app, SHUTDOWN_TIMEOUT_MS, () => store.close());

  const address = await app.listen({ host: config.bind_ip, port: config.bind_port });
  await bootstrap(store, config, config.public_url || address, app.log);
  await auth.pruneRevocations();
  setInterval(() => void auth.pruneRevocations().catch((err) => app.log.warn({ err }, 'pruning revocations failed')), REVOCATION_PRUNE_INTERVAL_MS).unref();
  announceListening(address);
}

main().catch((err) => {
  process.stderr.write(`identity: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
