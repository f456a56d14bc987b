import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ring, writeRingFile } from '../../ring-builder/index.js';
import { device, twelveDevices } from './fixtures.js';

const secrets = { hashPrefix: 'p', hashSuffix: 's' };

async function ringFile(partPower = 10) {
  const dir = mkdtempSync(join(tmpdir(), 'ring-'));
  const path = join(dir, 'object.ring');
  const builder = twelveDevices(partPower);
  builder.rebalance({ seed: 1 });
  await writeRingFile(path, builder.ringData());
  return { path, builder };
}

test('getNodes gives the partition and three primaries in three zones, as the builder assigned', async () => {
  const { path, builder } = await ringFile();
  const ring = await Ring.load(path, secrets);
  assert.equal(ring.partCount, 1024);
  assert.equal(ring.replicas, 3);
  for (let i = 0; i < 200; i++) {
    const { part, nodes } = ring.getNodes('AUTH_test', 'c', `o${i}`);
    assert.equal(part, ring.getPart('AUTH_test', 'c', `o${i}`));
    assert.ok(part >= 0 && part < 1024);
    assert.deepEqual(
      nodes.map((n) => n.id),
      builder.assignment!.replica2part2dev.map((row) => row[part]),
    );
    assert.equal(new Set(nodes.map((n) => n.zone)).size, 3);
  }
  assert.notEqual(ring.getPart('AUTH_test'), undefined);
});

test('handoffs: other zones first, never a primary, deterministic, every device eventually', async () => {
  const { path } = await ringFile();
  const ring = await Ring.load(path, secrets);
  const part = ring.getPart('AUTH_test', 'c', 'o');
  const primaries = ring.getPartNodes(part);
  const handoffs = [...ring.getMoreNodes(part)];
  assert.equal(handoffs.length, 12 - 3);
  assert.equal(new Set(handoffs.map((d) => d.id)).size, handoffs.length);
  for (const h of handoffs) assert.ok(!primaries.some((p) => p.id === h.id));
  const primaryZones = new Set(primaries.map((d) => d.zone));
  assert.ok(!primaryZones.has(handoffs[0]!.zone), 'the first handoff is in the zone the primaries do not use');
  assert.deepEqual(
    [...ring.getMoreNodes(part)].map((d) => d.id),
    handoffs.map((d) => d.id),
  );
});

test('a ring reloads itself when its file changes', async () => {
  const { path, builder } = await ringFile(8);
  const ring = await Ring.load(path, { ...secrets, reloadIntervalMs: 0 });
  assert.equal(ring.devices.filter(Boolean).length, 12);
  builder.addDevice(device(1, 4, '10.0.4.9', 'sdc', 100));
  builder.rebalance({ seed: 2 });
  await writeRingFile(path, builder.ringData());
  await ring.settled();
  assert.equal(ring.devices.filter(Boolean).length, 13);
});

test('a truncated or tampered ring file is refused with a clear error', async () => {
  const { path } = await ringFile(8);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(Ring.load(path, secrets), /object\.ring is truncated or corrupt: checksum mismatch/);
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 50]! ^= 0xff;
  writeFileSync(path, tampered);
  await assert.rejects(Ring.load(path, secrets), /checksum mismatch/);
  writeFileSync(path, 'not a ring');
  await assert.rejects(Ring.load(path, secrets), /truncated|not a STOWRING file/);
});
