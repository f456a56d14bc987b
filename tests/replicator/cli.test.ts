// `bin/stowage`: what an operator sees when the command line is wrong — a one-line reason,
// the usage, exit status 2 — and that --once runs one pass and prints its figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STOWAGE = fileURLToPath(new URL('../../../bin/stowage', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [STOWAGE, ...args], { encoding: 'utf8', timeout: 60_000 });

test('no daemon, an unknown daemon, a bad --interval and a bad config are refused with exit status 2', () => {
  const none = run();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /usage: stowage <daemon>/);
  assert.match(none.stderr, /container-replicator/, 'the usage lists the daemons');

  const unknown = run('replicatr', '--once');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown daemon "replicatr"/);

  for (const interval of ['0', '-5', 'soon']) {
    const bad = run('updater', '--interval', interval);
    assert.equal(bad.status, 2, interval);
    assert.match(bad.stderr, /--interval must be a number of seconds > 0/);
  }

  const dir = mkdtempSync(join(tmpdir(), 'stowage-cli-'));
  try {
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    const broken = run('updater', '--once', '--config', join(dir, 'broken.json'), '--devices', dir);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /^Error: .*broken\.json/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--once runs one pass and prints its figures as one JSON line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-cli-'));
  try {
    mkdirSync(join(dir, 'sdb1'));
    writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ hash_path_prefix: 'p', hash_path_suffix: 's' }));
    const once = run('updater', '--once', '--config', join(dir, 'stowage.json'), '--devices', dir);
    assert.equal(once.status, 0, once.stderr);
    const figures = JSON.parse(once.stdout.trim()) as Record<string, unknown>;
    assert.equal(figures.daemon, 'updater');
    assert.equal(figures.found, 0, 'nothing pending on an empty device');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
