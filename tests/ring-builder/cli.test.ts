// The ring-builder command, run as a process the way operators and scripts run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/ring-builder', import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function freshBuilder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-cli-'));
  const builder = join(dir, 'object.builder');
  assert.equal(run(builder, 'create', '10', '3', '1').status, 0);
  const specs: string[] = [];
  for (let z = 1; z <= 4; z++) specs.push(`r1z${z}-127.0.0.${z}:6200/sdb1`, '100');
  const added = run(builder, 'add', ...specs);
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /^Device d0r1z1-127\.0\.0\.1:6200R127\.0\.0\.1:6200\/sdb1_"" with 100\.0 weight got id 0$/m);
  return builder;
}

test('create, add, rebalance and show print swift-ring-builder lines', () => {
  const builder = freshBuilder();
  const flags = run(builder, 'add', '--region', '1', '--zone', '2', '--ip', '127.0.0.5', '--port', '6200', '--device', 'sdb2', '--weight', '50');
  assert.equal(flags.status, 0, flags.stderr);
  assert.match(flags.stdout, /got id 4/);

  const rebalance = run(builder, 'rebalance', '--seed', '1');
  assert.equal(rebalance.status, 0, rebalance.stderr);
  assert.match(rebalance.stdout, /^Reassigned 3072 \(300\.00%\) partitions\. Balance is now \d+\.\d\d\.  Dispersion is now 0\.00$/m);
  assert.ok(existsSync(builder.replace(/\.builder$/, '.ring')), 'rebalance writes object.ring next to the builder');

  const show = run(builder);
  assert.equal(show.status, 0);
  assert.match(show.stdout, /^1024 partitions, 3\.000000 replicas, 1 regions, 4 zones, 5 devices, \d+\.\d\d balance, 0\.00 dispersion$/m);
  assert.match(show.stdout, /^Ring file object\.ring is up-to-date$/m);
  assert.match(show.stdout, /^The minimum number of hours before a partition can be reassigned is 1 \((?:0:59:\d\d|1:00:00) remaining\)$/m);

  const again = run(builder, 'rebalance');
  assert.equal(again.status, 1, 'nothing can move within min_part_hours: a warning');
  assert.match(again.stdout, /No partitions could be reassigned\./);

  assert.equal(run(builder, 'pretend_min_part_hours_passed').status, 0);
  assert.equal(run(builder, 'validate').status, 0);
  const dispersion = run(builder, 'dispersion', '--verbose');
  assert.equal(dispersion.status, 0);
  assert.match(dispersion.stdout, /^Dispersion is 0\.000000, Balance is \d+\.\d+, Overload is 0\.00%$/m);
  assert.match(dispersion.stdout, /^r1z1 +0 +0\.00 +1 /m);
});

test('search, list_parts, set_weight, remove and write_ring', () => {
  const builder = freshBuilder();
  assert.equal(run(builder, 'rebalance', '--seed', '2').status, 0);
  const search = run(builder, 'search', 'z2');
  assert.equal(search.status, 0);
  assert.match(search.stdout, /127\.0\.0\.2 +6200 +127\.0\.0\.2 +6200 +sdb1 100\.00 +768/);
  const parts = run(builder, 'list_parts', 'd1');
  assert.equal(parts.status, 0);
  assert.match(parts.stdout, /^Partition   Matches$/m);
  assert.equal(parts.stdout.trim().split('\n').length, 1 + 768);

  const weight = run(builder, 'set_weight', 'd1', '200');
  assert.equal(weight.status, 0);
  assert.match(weight.stdout, /^d1r1z2-127\.0\.0\.2:6200R127\.0\.0\.2:6200\/sdb1_"" weight set to 200\.0$/m);
  assert.equal(run(builder, 'set_weight', 'r1', '10').status, 2, 'several matches need --yes');
  assert.equal(run(builder, 'set_weight', 'r1', '100', '--yes').status, 0);

  const removed = run(builder, 'remove', '127.0.0.4');
  assert.equal(removed.status, 0, removed.stderr);
  assert.match(removed.stdout, /d3r1z4-127\.0\.0\.4:6200R127\.0\.0\.4:6200\/sdb1_"" marked for removal and will be removed next rebalance\./);
  assert.match(run(builder).stdout, /DEL/);
  const after = run(builder, 'rebalance', '--seed', '3');
  assert.equal(after.status, 0, after.stdout + after.stderr);
  assert.match(run(builder).stdout, /3 zones, 3 devices/);
  assert.equal(run(builder, 'write_ring').status, 0);
});

test('bad input: one-line error, exit 2, builder file untouched', () => {
  const builder = freshBuilder();
  assert.equal(run(builder, 'rebalance', '--seed', '1').status, 0);
  const original = readFileSync(builder);
  const cases: Array<[string[], RegExp]> = [
    [['add', 'r1z1-127.0.0.1/sdb9', '100'], /invalid device spec/],
    [['add', 'r1z1-127.0.0.1:99999/sdb9', '100'], /invalid port/],
    [['add', 'r1z1-127.0.0.9:6200/sdb9', 'heavy'], /invalid weight/],
    [['add', 'r1z1-127.0.0.1:6200/sdb1', '100'], /already exists as d0/],
    [['add', '--ip', '127.0.0.9', '--device', 'x'], /--region is required/],
    [['remove', 'z9'], /No matching devices found for "z9"/],
    [['set_weight', 'd42', '10'], /No matching devices found/],
    [['search', '!!'], /invalid search value/],
    [['rebalance', '--seed', 'x'], /--seed must be an integer/],
    [['frobnicate'], /Unknown command: frobnicate/],
    [['set_overload', '-5'], /invalid overload/],
  ];
  for (const [args, message] of cases) {
    const r = run(builder, ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, args[0] === 'frobnicate' ? r.stderr.trim().split('\n').length : 1);
    assert.deepEqual(readFileSync(builder), original, `${args.join(' ')} left the builder as it was`);
  }
});

test('bad builder files and rings that cannot be built', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-bad-'));
  const builder = join(dir, 'object.builder');
  for (const pp of ['0', '33', 'ten']) {
    const r = run(builder, 'create', pp, '3', '1');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /part.power/);
    assert.ok(!existsSync(builder));
  }
  assert.equal(run(builder, 'create', '8', '3', '1').status, 0);
  const empty = run(builder, 'rebalance');
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /no devices/);
  for (let z = 1; z <= 3; z++) assert.equal(run(builder, 'add', `r1z${z}-127.0.0.${z}:6200/sdb1`, '0').status, 0);
  const zero = run(builder, 'rebalance');
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /every device has weight 0/);

  const original = readFileSync(builder);
  writeFileSync(builder, original.subarray(0, original.length - 10));
  const truncated = run(builder);
  assert.equal(truncated.status, 2);
  assert.match(truncated.stderr, /^Error: .*object\.builder is truncated or corrupt: checksum mismatch$/m);
  const tampered = Buffer.from(original);
  tampered[20]! ^= 1;
  writeFileSync(builder, tampered);
  const t = run(builder, 'add', 'r1z4-127.0.0.4:6200/sdb1', '100');
  assert.equal(t.status, 2);
  assert.match(t.stderr, /checksum mismatch/);
  assert.deepEqual(readFileSync(builder), tampered, 'a failed command does not rewrite the file');
  assert.equal(run(join(dir, 'missing.builder')).status, 2);
});
