// `node dist/storage-node/main.js [--config <cluster.json>] [--bind-ip <ip>] [--devices <dir>]
//  [--object-port 6200] [--container-port 6201] [--account-port 6202] [--log-level <level>]`
// Starts the three servers, prints one JSON line {"event":"listening",...} on stdout
// (logs go to stderr), and exits 0 after a clean shutdown on SIGTERM or SIGINT.
import { ConfigError } from '../common/config.js';
import { loadStorageConfig } from './config.js';
import pino from 'pino';
import { startNodeDaemons } from '../replicator/node-daemons.js';
import { useOwnerOnlyUmask } from './durable.js';
import { startStorageNode } from './server.js';

const fail = (message: string, code: number) => {
  process.stderr.write(`${JSON.stringify({ event: 'fatal', time: new Date().toISOString(), msg: message })}\n`);
  process.exit(code);
};

async function main(): Promise<void> {
  let config;
  try {
    config = loadStorageConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 2);
    throw err;
  }
  useOwnerOnlyUmask();
  const node = await startStorageNode(config);
  // The replicator, auditor, updater... of this node (docs/operations.md), in this process.
  const daemons = await startNodeDaemons(config, pino({ level: config.log_level, name: 'daemons' }, pino.destination(2)));
  process.stdout.write(`${JSON.stringify({ event: 'listening', ...node.urls })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    daemons
      .stop(config.shutdown_timeout_ms)
      .then(() => node.close())
      .then(
        () => process.exit(0),
        (err: unknown) => fail(`shutdown failed: ${String(err)}`, 1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err), 1));
