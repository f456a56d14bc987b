// The daemons a storage node runs in its own process: every entry of DAEMONS (aliases
// once), each in its own loop, a pass every daemon_interval seconds (the first after a
// random part of one interval, so nodes started together do not pass in step).
// daemon_interval 0, or no ring_dir in the config, runs none.
import type { FastifyBaseLogger } from 'fastify';
import { createPathHasher } from '../common/path-hash.js';
import type { StorageConfig } from '../storage-node/index.js';
import { DAEMONS } from './cli.js';
import { createDaemonContext, NoRingError } from './context.js';

export interface NodeDaemons {
  /** Stops the loops; waits (bounded) for passes in progress. */
  stop(timeoutMs: number): Promise<void>;
}

export async function startNodeDaemons(config: StorageConfig, log: FastifyBaseLogger): Promise<NodeDaemons> {
  if (config.daemon_interval === 0 || config.ring_dir === undefined) {
    log.info({ daemon_interval: config.daemon_interval, ring_dir: config.ring_dir ?? null }, 'background daemons off');
    return { stop: async () => {} };
  }
  const hasher = await createPathHasher(config.hash);
  const controller = new AbortController();
  const loops: Array<Promise<void>> = [];
  for (const [name, entry] of Object.entries(DAEMONS)) {
    if (entry.aliasOf) continue;
    const ctx = createDaemonContext(config, hasher, log.child({ daemon: name }));
    const intervalMs = config.daemon_interval * 1000;
    loops.push(runLoop(name, () => entry.pass(ctx), intervalMs, controller.signal, ctx.log, Math.random() * intervalMs));
  }
  log.info({ daemons: Object.keys(DAEMONS).filter((n) => !DAEMONS[n]!.aliasOf), interval_s: config.daemon_interval }, 'background daemons started');
  return {
    async stop(timeoutMs) {
      controller.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(loops), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

/** Runs `pass` every `intervalMs` (the first after `firstWaitMs`) until `signal` aborts; a failed pass is logged. */
export async function runLoop(
  name: string,
  pass: () => Promise<object>,
  intervalMs: number,
  signal: AbortSignal,
  log: FastifyBaseLogger,
  firstWaitMs = 0,
): Promise<void> {
  let wait = firstWaitMs;
  let warnedNoRing = false;
  while (await pause(wait, signal)) {
    wait = intervalMs;
    try {
      await pass();
      warnedNoRing = false;
    } catch (err) {
      if (err instanceof NoRingError) {
        if (!warnedNoRing) log.warn({ err: err.message }, `${name}: no ring yet, will try again`);
        warnedNoRing = true;
      } else {
        log.error({ err }, `${name} pass failed`);
      }
    }
  }
}

/** Waits `ms`; false when stopped meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
