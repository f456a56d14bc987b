// What every long-running server process of the cluster does the same way: its command
// line (--config, --bind-ip, --port), a graceful stop on SIGTERM/SIGINT, and the
// {"event":"listening","url":…} line on stdout that the launcher and the tests wait for.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';

export interface ServiceArgs {
  configPath: string | undefined;
  flags: { bindIp?: string; port?: number; configPath?: string };
  /** Options beyond the common three, as given. */
  extra: Record<string, string | undefined>;
}

/** Parses the common options plus `extra` string options; null when --help was asked (usage printed). */
export function parseServiceArgs(usage: string, extra: string[] = []): ServiceArgs | null {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    config: { type: 'string' },
    'bind-ip': { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const name of extra) options[name] = { type: 'string' };
  const { values } = parseArgs({ options });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  const text = (name: string) => values[name] as string | undefined;
  const configPath = text('config') ?? process.env.STOWAGE_CONFIG;
  const bindIp = text('bind-ip');
  const port = text('port');
  return {
    configPath,
    flags: {
      ...(bindIp !== undefined ? { bindIp } : {}),
      ...(port !== undefined ? { port: Number(port) } : {}),
      ...(configPath !== undefined ? { configPath } : {}),
    },
    extra: Object.fromEntries(extra.map((name) => [name, text(name)])),
  };
}

/**
 * On SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to `timeoutMs`,
 * drop the rest, run `release` (databases, clients), exit 0. Logs unhandled rejections.
 */
export function stopOnSignals(app: FastifyInstance, timeoutMs: number, release: () => Promise<void> = async () => {}): void {
  process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled rejection'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => app.server.closeAllConnections(), timeoutMs);
    try {
      await app.close();
      await release();
    } finally {
      clearTimeout(deadline);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Tells the launcher (and tests) where the service listens. */
export function announceListening(url: string): void {
  process.stdout.write(`${JSON.stringify({ event: 'listening', url })}\n`);
}
