// Debian's Glance (python3-glance from glance-common) as a reference for bench:image: one
// glance-api process (1 worker) on 127.0.0.1 with the file store, an SQLite database and no
// authentication (Glance's unauthenticated context), in a scratch directory. Available only
// where the package is installed (`apt-get install glance-common`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const READY_TIMEOUT_MS = 120_000;

export interface GlanceReference {
  url: string;
  /** The API process and its workers, for memory figures. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Why the reference cannot run here, or undefined when it can. */
export function glanceUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import glance.cmd.api, glance_store'], { encoding: 'utf8' });
  if (probe.status !== 0) return "Debian's Glance is not installed (apt-get install glance-common)";
  const manage = spawnSync('glance-manage', ['--version'], { encoding: 'utf8' });
  if (manage.error) return 'glance-manage is missing';
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** Descendants of a process, found through /proc/<pid>/stat. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parents) if (ppid === out[i]) out.push(pid);
  return out;
}

export async function startGlanceReference(): Promise<GlanceReference> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-glance-ref-'));
  for (const sub of ['images', 'staging']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const conf = join(dir, 'glance-api.conf');
  writeFileSync(
    conf,
    [
      '[DEFAULT]',
      'bind_host = 127.0.0.1',
      `bind_port = ${port}`,
      'workers = 1',
      `log_file = ${join(dir, 'api.log')}`,
      '[database]',
      `connection = sqlite:///${join(dir, 'glance.sqlite')}`,
      '[glance_store]',
      'stores = file',
      'default_store = file',
      `filesystem_store_datadir = ${join(dir, 'images')}/`,
      '[os_glance_staging_store]',
      `filesystem_store_datadir = ${join(dir, 'staging')}/`,
      '[paste_deploy]',
      'flavor =',
      'config_file = /etc/glance/glance-api-paste.ini',
      '',
    ].join('\n'),
  );
  const sync = spawnSync('glance-manage', ['--config-file', conf, 'db_sync'], { encoding: 'utf8', timeout: 300_000 });
  if (sync.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`glance-manage db_sync failed: ${sync.stderr.slice(-500)}`);
  }
  const child: ChildProcess = spawn(
    PYTHON,
    ['-c', `import sys; from glance.cmd.api import main; sys.argv = ['glance-api', '--config-file', ${JSON.stringify(conf)}]; main()`],
    { stdio: 'ignore', cwd: dir },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const pids = descendants(child.pid!).reverse();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      const logText = (() => {
        try {
          return readFileSync(join(dir, 'api.log'), 'utf8').slice(-1000);
        } catch {
          return '';
        }
      })();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`glance-api exited with ${child.exitCode}: ${logText}`);
    }
    try {
      const res = await fetch(`${url}/versions`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`glance-api did not answer within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, pids: () => descendants(child.pid!), stop };
}
