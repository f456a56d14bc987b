// The local cluster's rings (cluster/default-rings.ts): account, container and object
// always; object-N for each configured storage policy N > 0, also for a policy added
// after the first start; rings already there are never rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDefaultRings } from '../../cluster/default-rings.js';
import { StoragePolicies } from '../../common/storage-policy.js';
import { Ring } from '../../ring-builder/index.js';

const HASH = { hashPrefix: 'p', hashSuffix: 's' };

test('one object ring per policy, built once; a policy added later gets its own at the next start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stowage-rings-'));
  const ringDir = join(dataDir, 'rings');
  mkdirSync(ringDir);
  try {
    const built: string[] = [];
    const log = (msg: string) => built.push(msg.split(' ')[1]!);
    await ensureDefaultRings(dataDir, ringDir, log);
    assert.deepEqual(built, ['object', 'container', 'account'], 'Policy-0 alone: no object-N ring');

    const before = statSync(join(ringDir, 'object.ring')).mtimeMs;
    built.length = 0;
    const policies = StoragePolicies.fromConfig({ storage_policies: [{ index: 0, name: 'gold', default: true }, { index: 2, name: 'silver' }] });
    await ensureDefaultRings(dataDir, ringDir, log, policies);
    assert.deepEqual(built, ['object-2'], 'only the new policy\'s ring is built');
    assert.equal(statSync(join(ringDir, 'object.ring')).mtimeMs, before, 'existing rings are left alone');
    assert.ok(readdirSync(ringDir).includes('object-2.builder'));

    const ring = await Ring.load(join(ringDir, 'object-2.ring'), HASH);
    const objectRing = await Ring.load(join(ringDir, 'object.ring'), HASH);
    assert.deepEqual(
      ring.devices.map((d) => d && `${d.ip}:${d.port}/${d.device}`),
      objectRing.devices.map((d) => d && `${d.ip}:${d.port}/${d.device}`),
      'the same object servers and devices as policy 0',
    );
    assert.equal(ring.replicas, 3);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
