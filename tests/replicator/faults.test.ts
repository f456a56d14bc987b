// Damage on disk and crashes: a corrupted .data is never served once the auditor ran (nor
// by a whole GET of that copy), is quarantined and restored by replication; a storage node
// killed in the middle of a large PUT leaves no partial object, the proxy's write still
// succeeds by quorum, and the node removes the temp file when it starts again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ring } from '../../ring-builder/index.js';
import { Session, TestCluster } from '../proxy/harness.js';
import { hashDirsOf, headReplicas, replicateUntilQuiet, runOnce } from './helpers.js';

let cluster: TestCluster;
let session: Session;
let ring: Ring;

before(async () => {
  cluster = await TestCluster.start({ nodes: 4, partPower: 6 });
  session = await Session.login(cluster);
  ring = await cluster.ring('object');
  assert.equal((await session.request('PUT', '/c')).status, 201);
});

after(async () => {
  await cluster?.stop();
});

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** The .data file of an object on a node, found the way an operator would (bin/get-nodes + ls). */
function dataFileOn(index: number, object: string): string {
  const node = cluster.nodes[index - 1]!;
  const { part } = ring.getNodes(session.account, 'c', object);
  const entry = hashDirsOf(node.devicesDir).find((h) => h.part === part && h.device === node.device && hasObject(node.devicesDir, h, object));
  assert.ok(entry, `no copy of ${object} on node ${index}`);
  const dir = join(node.devicesDir, entry.device, 'objects', String(entry.part), entry.hash.slice(-3), entry.hash);
  const data = readdirSync(dir).find((f) => f.endsWith('.data'));
  assert.ok(data);
  return join(dir, data);
}

function hasObject(devicesDir: string, h: { device: string; part: number; hash: string }, object: string): boolean {
  const dir = join(devicesDir, h.device, 'objects', String(h.part), h.hash.slice(-3), h.hash);
  return readdirSync(dir).some((f) => {
    const text = readFileTail(join(dir, f));
    return text.includes(`/c/${object}"`);
  });
}

function readFileTail(path: string): string {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(Math.min(size, 4096));
  readSync(fd, buffer, 0, buffer.length, size - buffer.length);
  closeSync(fd);
  return buffer.toString('latin1');
}

/** Flips bytes in the middle of the body: same size, wrong content. */
function corrupt(path: string): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(16);
  readSync(fd, b, 0, 16, 1000);
  for (let i = 0; i < b.length; i++) b[i] = b[i]! ^ 0xff;
  writeSync(fd, b, 0, 16, 1000);
  closeSync(fd);
}

async function directGet(index: number, object: string): Promise<{ status: number; body: Buffer | null }> {
  const node = cluster.nodes[index - 1]!;
  const part = ring.getPart(session.account, 'c', object);
  const res = await fetch(`http://${node.ip}:${node.ports.object}/${node.device}/${part}/${session.account}/c/${object}`);
  try {
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  } catch {
    return { status: res.status, body: null }; // the server cut the body off
  }
}

test('a corrupted .data is quarantined by the auditor, never served, and restored by replication', async () => {
  const body = Buffer.alloc(256 * 1024, 'stowage-');
  assert.equal((await session.request('PUT', '/c/precious', { body })).status, 201);
  const primaries = ring.getNodes(session.account, 'c', 'precious').nodes.map((d) => cluster.nodeOf(d));
  const bad = primaries[0]!;
  const path = dataFileOn(bad, 'precious');
  const size = statSync(path).size;
  corrupt(path);
  assert.equal(statSync(path).size, size);

  const audit = await runOnce<{ objectsChecked: number; quarantined: number }>(cluster, bad, 'auditor');
  assert.equal(audit.quarantined, 1);
  assert.ok(audit.objectsChecked >= 1);
  const node = cluster.nodes[bad - 1]!;
  assert.equal(readdirSync(join(node.devicesDir, node.device, 'quarantined', 'objects')).length, 1);
  assert.equal((await directGet(bad, 'precious')).status, 404, 'the bad copy is gone from the object server');
  for (let i = 0; i < 5; i++) {
    const res = await session.request('GET', '/c/precious');
    assert.equal(res.status, 200);
    assert.equal(md5(res.body), md5(body), 'the proxy serves a good copy');
  }

  await replicateUntilQuiet(cluster);
  const restored = await directGet(bad, 'precious');
  assert.equal(restored.status, 200);
  assert.equal(md5(restored.body!), md5(body), 'replication put a good copy back');
  const replicas = await headReplicas(ring, session.account, 'c', 'precious');
  assert.deepEqual(replicas.map((r) => r.status), [200, 200, 200]);
});

test('a whole GET of a corrupted copy never completes with the bad bytes, and quarantines it', async () => {
  const body = Buffer.alloc(128 * 1024, 'abcdefgh');
  assert.equal((await session.request('PUT', '/c/fragile', { body })).status, 201);
  const bad = cluster.nodeOf(ring.getNodes(session.account, 'c', 'fragile').nodes[0]!);
  corrupt(dataFileOn(bad, 'fragile'));
  const first = await directGet(bad, 'fragile');
  assert.ok(first.body === null || first.body.length < body.length, 'the body is cut off before its end');
  assert.equal((await directGet(bad, 'fragile')).status, 404, 'and the copy is quarantined');
  const res = await session.request('GET', '/c/fragile');
  assert.equal(md5(res.body), md5(body));
});

test('a storage node killed with SIGKILL mid large PUT: no partial object, quorum write, temp file cleaned on restart', async () => {
  const victim = cluster.nodeOf(ring.getNodes(session.account, 'c', 'large').nodes[1]!);
  const victimNode = cluster.nodes[victim - 1]!;
  const chunk = Buffer.alloc(64 * 1024, 'L');
  const chunks = 160; // 10 MiB
  let sent = 0;
  let killed: Promise<void> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === 40 && !killed) {
        // Let the bytes so far reach the object servers' temp files, then crash one of them.
        await new Promise((r) => setTimeout(r, 300));
        killed = cluster.stopNode(victim, 'SIGKILL');
        await killed;
      }
      if (sent === chunks) return controller.close();
      sent++;
      controller.enqueue(chunk);
    },
  });
  const res = await session.request('PUT', '/c/large', { body: stream, headers: { 'content-length': String(chunk.length * chunks) } });
  assert.ok(killed, 'the node was killed during the upload');
  assert.ok(res.status === 201 || res.status === 503, `a clean answer, not ${res.status}`);
  assert.equal(res.status, 201, 'two of three object servers finished: quorum');
  const tmp = join(victimNode.devicesDir, victimNode.device, 'tmp');
  assert.ok(existsSync(tmp) && readdirSync(tmp).length > 0, 'the crash left a partial temp file');

  await cluster.startNode(victim);
  assert.deepEqual(readdirSync(tmp), [], 'the restarted node removed it');
  const direct = await directGet(victim, 'large');
  assert.equal(direct.status, 404, 'no partial object became visible on the killed node');
  const got = await session.request('GET', '/c/large');
  assert.equal(got.body.length, chunk.length * chunks);
  await replicateUntilQuiet(cluster);
  const restored = await directGet(victim, 'large');
  assert.equal(restored.status, 200);
  assert.equal(restored.body!.length, chunk.length * chunks);
});
