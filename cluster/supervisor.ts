// Starts child processes, waits for each one's "listening" line, restarts any that dies
// (with a growing delay), and stops them all on request. Children log to files.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  script: string;
  args: string[];
}

export interface ReadyEvent {
  event: 'listening';
  [key: string]: unknown;
}

const RESTART_DELAY_MS = [500, 1000, 2000, 5000];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess | null;
  restarts: number;
  log: WriteStream;
}

export class Supervisor {
  private readonly procs = new Map<string, Supervised>();
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly say: (event: Record<string, unknown>) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts a process and resolves with its listening event. */
  start(spec: ProcessSpec): Promise<ReadyEvent> {
    const entry: Supervised = {
      spec,
      child: null,
      restarts: 0,
      log: createWriteStream(join(this.logDir, `${spec.name}.log`), { flags: 'a' }),
    };
    this.procs.set(spec.name, entry);
    return this.launch(entry);
  }

  private launch(entry: Supervised): Promise<ReadyEvent> {
    const { spec } = entry;
    const child = spawn(process.execPath, [spec.script, ...spec.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    entry.child = child;
    child.stderr!.pipe(entry.log, { end: false });
    return new Promise<ReadyEvent>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) reject(new Error(`${spec.name} did not start within ${READY_TIMEOUT_MS} ms (see its log)`));
      }, READY_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!ready && line.startsWith('{')) {
          try {
            const event = JSON.parse(line) as ReadyEvent;
            if (event.event === 'listening') {
              ready = true;
              clearTimeout(timer);
              resolve(event);
              return;
            }
          } catch {
            // an ordinary log line
          }
        }
        entry.log.write(`${line}\n`);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        entry.child = null;
        if (!ready) reject(new Error(`${spec.name} exited (${signal ?? code}) before it was ready (see its log)`));
        if (this.stopping) return;
        const delay = RESTART_DELAY_MS[Math.min(entry.restarts, RESTART_DELAY_MS.length - 1)]!;
        entry.restarts++;
        this.say({ event: 'restart', process: spec.name, exit: signal ?? code, delay_ms: delay });
        setTimeout(() => {
          if (!this.stopping) this.launch(entry).catch((err) => this.say({ event: 'restart_failed', process: spec.name, error: String(err) }));
        }, delay);
      });
    });
  }

  /** SIGTERM to every child, SIGKILL to any still running after the timeout. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const waits = [...this.procs.values()].map(
      (entry) =>
        new Promise<void>((resolve) => {
          const child = entry.child;
          if (!child || child.exitCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(waits);
    for (const entry of this.procs.values()) entry.log.end();
  }
}
