// `stowage <daemon> [--once] [--interval S] --config <stowage.json> --devices <dir>`:
// the background daemons of a storage node, each runnable once for operators and tests;
// `stowage dispersion populate|report` (see dispersion.ts). DAEMONS is the one registry:
// the storage node runs every entry in the background (see node-daemons.ts).
import pino from 'pino';
import { createPathHasher } from '../common/path-hash.js';
import { loadStorageConfig, useOwnerOnlyUmask } from '../storage-node/index.js';
import { runAuditorPass } from './auditor.js';
import { createDaemonContext, type DaemonContext } from './context.js';
import { dispersionMain } from './dispersion.js';
import { runObjectReplicatorPass } from './object-replicator.js';
import { runUpdaterPass } from './updater.js';
import { runAccountReplicatorPass, runContainerReplicatorPass } from './db-replicator.js';
import { runExpirerPass } from './expirer.js';
import { runLoop } from './node-daemons.js';
import { runDbAuditorPass } from './db-auditor.js';

export interface DaemonEntry {
  /** One pass; resolves with the figures printed by --once and logged at the end. */
  pass: (ctx: DaemonContext) => Promise<object>;
  about: string;
  /** Another name of a daemon listed elsewhere in the map (not run twice by the node). */
  aliasOf?: string;
}

export const DAEMONS: Record<string, DaemonEntry> = {
  replicator: { pass: runObjectReplicatorPass, about: 'object replicator: push what differs to the other replicas, drain handoffs' },
  'object-replicator': { pass: runObjectReplicatorPass, about: 'the same as replicator', aliasOf: 'replicator' },
  auditor: { pass: runAuditorPass, about: 'object auditor: re-read objects, quarantine bad copies' },
  updater: { pass: runUpdaterPass, about: 'replay async pendings (failed container/account updates)' },
  'container-replicator': { pass: runContainerReplicatorPass, about: 'container databases: sync rows to the other replicas, drain handoffs, reclaim' },
  'account-replicator': { pass: runAccountReplicatorPass, about: 'account databases: sync rows to the other replicas, drain handoffs, reclaim' },
  'db-auditor': { pass: runDbAuditorPass, about: 'container/account databases: check each one, quarantine the bad' },
  expirer: { pass: runExpirerPass, about: 'delete objects whose X-Delete-At has passed, and their queue rows' },
};

const USAGE = () => `usage: stowage <daemon> [--once] [--interval SECONDS] [--config FILE] [--devices DIR]
       stowage dispersion populate|report --config FILE [options]   (stowage dispersion --help)
daemons:
${Object.entries(DAEMONS)
  .map(([name, d]) => `  ${name.padEnd(18)} ${d.about}`)
  .join('\n')}`;

export async function main(argv: string[]): Promise<number> {
  const [daemon, ...rest] = argv;
  if (daemon === 'dispersion') return dispersionMain(rest);
  if (!daemon || !Object.hasOwn(DAEMONS, daemon)) {
    process.stderr.write(`${daemon ? `unknown daemon ${JSON.stringify(daemon)}\n` : ''}${USAGE()}\n`);
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
  useOwnerOnlyUmask();
  const log = pino({ level: config.log_level, base: { daemon } }, pino.destination(2));
  const ctx = createDaemonContext(config, await createPathHasher(config.hash), log);
  const pass = () => DAEMONS[daemon]!.pass(ctx);
  if (once) {
    try {
      const stats = await pass();
      process.stdout.write(`${JSON.stringify({ daemon, ...stats })}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`Error: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const stopped = new AbortController();
  process.on('SIGTERM', () => stopped.abort());
  process.on('SIGINT', () => stopped.abort());
  await runLoop(daemon, pass, intervalS * 1000, stopped.signal, log);
  return 0;
}
