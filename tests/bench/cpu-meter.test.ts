// The benchmark's CPU accounting (bench/swift-api/system.ts, report.ts): a real process that
// burns a known amount of CPU time is found by its command line and charged for it, whatever
// the machine's load (CPU time, not wall time, is what is compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cpuMeter } from '../../bench/swift-api/system.js';
import { cpuCost, coresBusy } from '../../bench/swift-api/report.js';
import type { PhaseResult } from '../../bench/swift-api/phase.js';

const BURN_MS = 300;
/** /proc's CPU times count in 10 ms ticks; a burner also spends a little reading its stdin and writing. */
const SLACK_MS = 150;

/** Busy-loops until this process has spent `ms` more of its own CPU time. */
function burn(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

/** A node process, marked in its command line, that burns BURN_MS of CPU on each line read, then says "done". */
function startBurner(marker: string) {
  const code = `
    const burn = (ms) => { const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if ((u.user + u.system) / 1000 >= ms) return; } };
    require('node:readline').createInterface({ input: process.stdin }).on('line', () => { burn(${BURN_MS}); console.log('done'); });
    console.log('ready');`;
  const child = spawn(process.execPath, ['-e', code, marker], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => (await lines.next()).value as string,
    stop: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

test('a cluster process that burns CPU during a phase is charged for it, an idle one is not', async () => {
  const marker = `cpu-meter-test-${randomBytes(4).toString('hex')}`;
  const busy = startBurner(`${marker}-busy`);
  const idle = startBurner(`${marker}-idle`);
  try {
    assert.equal(await busy.next(), 'ready');
    assert.equal(await idle.next(), 'ready');
    const meter = cpuMeter([marker]);

    const stop = await meter();
    busy.child.stdin!.write('go\n');
    assert.equal(await busy.next(), 'done');
    burn(100); // the load generator's own share
    const cpu = await stop();

    assert.equal(cpu.processes, 2, 'both marked processes found, nothing else');
    assert.equal(cpu.proxyMs, 0);
    assert.equal(cpu.storageMs, 0);
    // Neither process is a proxy or storage server: they count as the cluster's "other" part.
    assert.ok(cpu.otherMs >= BURN_MS - 20, `charged ${cpu.otherMs} ms for a ${BURN_MS} ms burn`);
    assert.ok(cpu.otherMs <= BURN_MS + SLACK_MS, `charged ${cpu.otherMs} ms for a ${BURN_MS} ms burn and an idle process`);
    assert.ok(cpu.clientMs >= 100, `the generator's own ${cpu.clientMs} ms include its 100 ms burn`);
  } finally {
    await busy.stop();
    await idle.stop();
  }
});

test('a phase that finds no process measures nothing rather than failing', async () => {
  const stop = await cpuMeter([`no-such-process-${randomBytes(8).toString('hex')}`])();
  const cpu = await stop();
  assert.deepEqual({ ...cpu, clientMs: 0 }, { proxyMs: 0, storageMs: 0, otherMs: 0, clientMs: 0, processes: 0 });
});

test('CPU cost is per operation for small objects and per GiB for large ones', () => {
  const base = { planned: 0, errors: 0, errorSamples: [], opsPerS: 0, p50Ms: 0, p99Ms: 0, mbPerS: 0, stoppedEarly: false };
  const cpu = { proxyMs: 1000, storageMs: 2500, otherMs: 500, clientMs: 200, processes: 7 };
  const small: PhaseResult = { ...base, name: 'small PUT', ok: 400, seconds: 4, bytes: 0, cpu };
  assert.equal(cpuCost(small, 'cluster'), 10);
  assert.equal(cpuCost(small, 'proxy'), 2.5);
  assert.equal(cpuCost(small, 'backend'), 7.5, 'storage servers and the rest');
  assert.equal(cpuCost(small, 'client'), 0.5);
  assert.equal(coresBusy(small), 1);

  const large: PhaseResult = { ...base, name: 'large GET', ok: 2, seconds: 8, bytes: 2 * 1024 ** 3, cpu };
  assert.equal(cpuCost(large, 'cluster'), 2, '4 s of CPU for 2 GiB');

  assert.equal(cpuCost({ ...small, ok: 0 }, 'cluster'), undefined, 'nothing done: no cost');
  assert.equal(cpuCost({ ...small, cpu: undefined }, 'cluster'), undefined, 'not measured');
  assert.equal(cpuCost(undefined, 'cluster'), undefined);
});
