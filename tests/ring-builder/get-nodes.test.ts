// bin/get-nodes against a real cluster: every curl line it prints reaches a replica, and
// every object path it prints exists on the primaries' disks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, TestCluster } from '../proxy/harness.js';

const BIN = fileURLToPath(new URL('../../../bin/get-nodes', import.meta.url));
let cluster: TestCluster;
let session: Session;

function getNodes(...args: string[]) {
  return spawnSync(process.execPath, [BIN, '--config', cluster.configPath, ...args], { encoding: 'utf8' });
}

before(async () => {
  cluster = await TestCluster.start();
  session = await Session.login(cluster);
  assert.equal((await session.request('PUT', '/photos')).status, 201);
  assert.equal((await session.request('PUT', '/photos/2024/beach shot.jpg', { body: 'sand' })).status, 201);
});

after(async () => {
  await cluster?.stop();
});

test('object: partition, hash, curl lines that reach each replica, disk paths that exist', async () => {
  const r = getNodes(join(cluster.ringDir, 'object.ring'), session.account, 'photos', '2024/beach shot.jpg');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Partition\t\d+$/m);
  assert.match(r.stdout, /^Hash     \t[0-9a-f]{32}$/m);
  const curls = r.stdout.split('\n').filter((l) => l.startsWith('curl -g -I -XHEAD "http://'));
  assert.equal(curls.length, 4, '3 primaries, then the handoffs (the fourth node)');
  assert.equal(curls.filter((l) => l.endsWith(' # [Handoff]')).length, 1);
  for (const line of curls.filter((l) => !l.endsWith('[Handoff]'))) {
    const url = /"(http:[^"]+)"/.exec(line)![1]!;
    assert.match(url, /\/AUTH_test\/photos\/2024\/beach%20shot\.jpg$/);
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.status, 200, `${url} holds the object`);
    assert.equal(head.headers.get('content-length'), '4');
  }
  const onDisk = r.stdout.split('\n').filter((l) => l.startsWith('ls -lah <devices>/') && !l.endsWith('[Handoff]'));
  assert.equal(onDisk.length, 3);
  for (const line of onDisk) {
    const rel = line.slice('ls -lah <devices>/'.length);
    const node = cluster.nodes.find((n) => rel.startsWith(`${n.device}/`))!;
    assert.ok(existsSync(join(node.devicesDir, rel)), `${rel} exists on ${node.ip}`);
  }
});

test('container and account rings; bad input exits 2', () => {
  const c = getNodes(join(cluster.ringDir, 'container.ring'), session.account, 'photos');
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /^curl -g -I -XHEAD "http:\/\/127\.0\.0\.\d:\d+\/sdb\d\/\d+\/AUTH_test\/photos"$/m);
  const a = getNodes('-a', join(cluster.ringDir, 'account.ring'), session.account);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout.split('\n').filter((l) => l.startsWith('curl')).length, 4, '-a lists every device');
  const missing = getNodes(join(cluster.ringDir, 'nope.ring'), 'AUTH_test');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^Error: .*nope\.ring/m);
  assert.equal(getNodes(join(cluster.ringDir, 'object.ring')).status, 2);
});
