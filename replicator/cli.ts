// `stowage <daemon> [--once] [--interval S] --config <stowage.json> --devices <dir>`:
// the background daemons of a storage node, each runnable once for operators and tests.
import pino from 'pino';
import { createPathHasher } from '../common/path-hash.js';
import { loadStorageConfig } from '../storage-node/index.js';
import { runUpdaterPass } from './updater.js';

const USAGE = `usage: stowage <daemon> [--once] [--interval SECONDS] [--config FILE] [--devices DIR]
daemons:
  updater   replay async pendings (failed container/account updates)`;

const DAEMONS = {
  updater: runUpdaterPass,
} as const;

export async function main(argv: string[]): Promise<number> {
  const [daemon, ...rest] = argv;
  if (!daemon || !(daemon in DAEMONS)) {
    process.stderr.write(`${daemon ? `unknown daemon ${JSON.stringify(daemon)}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const once = rest.includes('--once');
  let intervalS = 30;
  const storageArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--once') continue;
    if (rest[i] === '--interval') {
      intervalS = Number(rest[++i]);
      if (!(intervalS > 0)) {
        process.stderr.write(`--interval must be a number of seconds > 0\n`);
        return 2;
      }
      continue;
    }
    storageArgs.push(rest[i]!);
  }
  let config;
  try {
    config = loadStorageConfig(storageArgs);
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 2;
  }
  const log = pino({ level: config.log_level, base: { daemon } }, pino.destination(2));
  const hasher = await createPathHasher(config.hash);
  const pass = () => DAEMONS[daemon as keyof typeof DAEMONS]({ devicesDir: config.devices, hasher, log });
  if (once) {
    const stats = await pass();
    process.stdout.write(`${JSON.stringify({ daemon, ...stats })}\n`);
    return 0;
  }
  let stopping = false;
  const stop = () => (stopping = true);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  while (!stopping) {
    await pass().catch((err) => log.error({ err }, 'pass failed'));
    for (let waited = 0; waited < intervalS * 1000 && !stopping; waited += 250) await new Promise((r) => setTimeout(r, 250));
  }
  return 0;
}
