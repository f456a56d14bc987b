// The default local cluster (`npm start`) for end-to-end tests with real clients. It listens
// on fixed addresses (127.0.0.1:8080, 127.0.0.1-4:6200-6202, …), so test files that use it
// take a machine-wide lock first: the test runner runs files in parallel, and two clusters
// on the same ports would steal each other's requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLUSTER = fileURLToPath(new URL('../../cluster/main.js', import.meta.url));
const LOCK = join(tmpdir(), 'stowage-default-cluster.lock');

export interface DefaultCluster {
  /** A scratch directory for the test; the cluster's data is under `<work>/data`. */
  work: string;
  dataDir: string;
  /** What `npm start` printed on stdout before "Press Ctrl-C to stop." */
  banner: string[];
  /** Stops the cluster (SIGTERM), returns its exit code, removes the scratch directory, releases the lock. */
  stop(): Promise<number | null>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until no other live process holds the lock, then takes it (mkdir is atomic). */
async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // The owner is between mkdir and writing its pid, or just released the lock.
      }
      if (owner > 0 && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function releaseLock(): void {
  rmSync(LOCK, { recursive: true, force: true });
}

/**
 * Starts `npm start`'s cluster in a scratch data directory; `config` (sections of
 * stowage.json) is written there first, as an operator would before the first start.
 */
export async function startDefaultCluster(prefix = 'e2e-', config: Record<string, unknown> = {}): Promise<DefaultCluster> {
  await acquireLock();
  const work = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'stowage.json'), JSON.stringify(config));
  let child: ChildProcess;
  const banner: string[] = [];
  try {
    child = spawn(process.execPath, [CLUSTER, '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => (line.startsWith('Press Ctrl-C') ? resolve() : banner.push(line)));
      child.once('exit', (code) => reject(new Error(`cluster exited with ${code}:\n${stderr}`)));
    });
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    releaseLock();
    throw err;
  }
  return {
    work,
    dataDir,
    banner,
    async stop() {
      let code: number | null = child.exitCode;
      if (code === null) {
        child.kill('SIGTERM');
        [code] = (await once(child, 'exit')) as [number | null];
      }
      rmSync(work, { recursive: true, force: true });
      releaseLock();
      return code;
    },
  };
}
