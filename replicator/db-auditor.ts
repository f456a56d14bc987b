// The database auditor: for each local device, a container or account LevelDB that no
// longer opens because it is corrupt is moved to <device>/quarantined/<kind>/db-<ms> (the node starts a new one
// on its next request, and replication refills it from the other replicas); then the
// node's server checks every database in it (the `audit` replication op, see
// storage-node/db/audit.ts) and quarantines the ones that fail.
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { DIR_MODE } from '../storage-node/index.js';
import { localRingDevices, type DaemonContext } from './context.js';
import { DbRpcClient } from './db-rpc-client.js';

export interface DbAuditorStats {
  /** True when a long-running node skipped this pass (it audited less than 30 minutes ago). */
  skipped: boolean;
  checked: number;
  quarantined: number;
  /** Whole LevelDBs moved aside because they would not open. */
  unopenable: number;
  failures: number;
  seconds: number;
}

const KINDS = [
  { ring: 'container', dir: 'containers', names: ['.audit', '.audit'] },
  { ring: 'account', dir: 'accounts', names: ['.audit'] },
] as const;

/**
 * A pass reads every row of every database, so a storage node running its daemons every
 * daemon_interval seconds audits at most this often (Swift's db auditor runs every 30
 * minutes too). A `--once` run is a fresh process and always audits.
 */
const MIN_AUDIT_INTERVAL_MS = 30 * 60_000;
let lastAuditMs: number | undefined;

export async function runDbAuditorPass(ctx: DaemonContext): Promise<DbAuditorStats> {
  const started = Date.now();
  const stats: DbAuditorStats = { skipped: false, checked: 0, quarantined: 0, unopenable: 0, failures: 0, seconds: 0 };
  if (lastAuditMs !== undefined && started - lastAuditMs < MIN_AUDIT_INTERVAL_MS) return { ...stats, skipped: true };
  lastAuditMs = started;
  const rpc = new DbRpcClient(10 * 60_000);
  try {
    for (const kind of KINDS) {
      const ring = await ctx.ring(kind.ring);
      for (const local of localRingDevices(ring, ctx.config).mine.values()) {
        const deviceRoot = join(ctx.devicesDir, local.device);
        if (await quarantineIfUnopenable(deviceRoot, kind.dir, ctx)) stats.unopenable++;
        try {
          const figures = await rpc.call<{ checked: number; quarantined: number }>(
            { host: `${local.ip}:${local.port}`, device: local.device, partition: 0, names: kind.names },
            'audit',
          );
          stats.checked += figures.checked;
          stats.quarantined += figures.quarantined;
        } catch (err) {
          stats.failures++;
          ctx.log.error({ err, device: local.device }, `cannot audit the ${kind.dir} of a local device; is its storage node running?`);
        }
      }
    }
  } finally {
    await rpc.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  ctx.log.info({ ...stats }, 'database auditor pass done');
  return stats;
}

/** Tries the LevelDB; one that fails to open for any reason but being in use goes to quarantined/. */
async function quarantineIfUnopenable(deviceRoot: string, dir: string, ctx: DaemonContext): Promise<boolean> {
  const path = join(deviceRoot, dir, 'db');
  if (!existsSync(path)) return false;
  const db = new Level(path, { createIfMissing: false });
  try {
    await db.open();
    return false;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // Locked: the storage node has it open, so it opened fine. Other errors (permissions,
    // a full disk) are not the store's fault: log them, move nothing.
    if (cause?.code !== 'LEVEL_CORRUPTION') {
      if (cause?.code !== 'LEVEL_LOCKED') ctx.log.error({ err: (err as Error).message, cause, path }, 'cannot check a database store');
      return false;
    }
    const to = join(deviceRoot, 'quarantined', dir, `db-${Date.now()}`);
    await mkdir(join(deviceRoot, 'quarantined', dir), { recursive: true, mode: DIR_MODE });
    await rename(path, to);
    ctx.log.error({ err: (err as Error).message, cause, path, to }, 'database store does not open: quarantined');
    return true;
  } finally {
    await db.close().catch(() => {});
  }
}
