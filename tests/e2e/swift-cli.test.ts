// A user's session with the default local cluster (`npm start`) through Debian's
// python3-swiftclient `swift` command: stat, uploads (a directory, a 50 MiB file as SLO and
// as DLO), listings with prefix and delimiter, downloads with checksums, metadata, deletes,
// and UTF-8 names and metadata through upload, stat, copy and SLO.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { startDefaultCluster, type DefaultCluster } from './default-cluster.js';

const AUTH = ['-A', 'http://127.0.0.1:8080/auth/v1.0', '-U', 'test:tester', '-K', 'testing'];
const MiB = 1024 * 1024;

let cluster: DefaultCluster;
let work: string;

function swift(...args: string[]): string {
  const r = spawnSync('swift', [...AUTH, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `swift ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

before(async () => {
  cluster = await startDefaultCluster('swift-cli-');
  work = cluster.work;
});

after(async () => {
  assert.equal(await cluster.stop(), 0, 'the cluster stops cleanly on SIGTERM');
});

test('swift stat shows the account', () => {
  const out = swift('stat');
  assert.match(out, /Account: AUTH_test/);
  assert.match(out, /Containers: \d+/);
});

test('upload a directory, list with prefix and delimiter, download it back, post metadata, delete', () => {
  const dir = join(work, 'photos');
  mkdirSync(join(dir, '2024'), { recursive: true });
  mkdirSync(join(dir, '2025'), { recursive: true });
  const files = ['2024/a.jpg', '2024/b.jpg', '2025/c.jpg', 'index.txt'];
  for (const f of files) writeFileSync(join(dir, f), randomBytes(1000 + f.length));
  swift('upload', 'albums', 'photos');

  const all = swift('list', 'albums').trim().split('\n');
  assert.deepEqual(all, files.map((f) => `photos/${f}`).sort());
  const rolled = swift('list', 'albums', '--prefix', 'photos/', '--delimiter', '/').trim().split('\n');
  assert.deepEqual(rolled, ['photos/2024/', 'photos/2025/', 'photos/index.txt']);

  const out = join(work, 'download');
  mkdirSync(out);
  spawnSync('swift', [...AUTH, 'download', 'albums', '-D', out, '--prefix', 'photos/2024/'], { cwd: work, encoding: 'utf8' });
  assert.equal(sha256(join(out, 'photos/2024/a.jpg')), sha256(join(dir, '2024/a.jpg')));

  swift('post', 'albums', '-m', 'Color:blue');
  assert.match(swift('stat', 'albums'), /Meta Color: blue/);
  swift('post', 'albums', 'photos/index.txt', '-m', 'Reviewed:yes');
  assert.match(swift('stat', 'albums', 'photos/index.txt'), /Meta Reviewed: yes/);

  swift('delete', 'albums');
  const containers = swift('list').trim().split('\n');
  assert.ok(!containers.includes('albums'));
});

test('a 50 MiB file uploaded as SLO and as DLO downloads intact', () => {
  const big = join(work, 'big.bin');
  const fd = openSync(big, 'w');
  for (let i = 0; i < 50; i++) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
  const expected = sha256(big);

  for (const [container, flags] of [
    ['slo', ['--use-slo']],
    ['dlo', []],
  ] as const) {
    swift('upload', container, 'big.bin', '--segment-size', String(10 * MiB), ...flags);
    const stat = swift('stat', container, 'big.bin');
    assert.match(stat, /Content Length: 52428800/);
    assert.match(stat, container === 'slo' ? /X-Static-Large-Object: True/i : /Manifest: slo_segments|Manifest: dlo_segments|Manifest: /);
    const segments = swift('list', `${container}_segments`).trim().split('\n');
    assert.equal(segments.length, 5, `${container}: five 10 MiB segments`);
    const out = join(work, `${container}.out`);
    swift('download', container, 'big.bin', '-o', out);
    assert.equal(sha256(out), expected, `${container} download matches`);
    swift('delete', container, 'big.bin');
    assert.equal(swift('list', `${container}_segments`).trim(), '', 'segments deleted with the manifest');
  }
});

test('UTF-8 (3- and 4-byte) container and object names and metadata: upload, list, stat, copy, SLO, download', () => {
  const container = 'ユニコード';
  const name = '日本-😀.txt';
  writeFileSync(join(work, name), 'hello from 日本 😀\n');
  swift('upload', container, name, '-H', 'Content-Disposition: attachment; filename="日本.txt"');
  assert.deepEqual(swift('list', container).trim().split('\n'), [name]);
  swift('post', container, name, '-m', 'Color:日本 😀');
  const stat = swift('stat', container, name);
  assert.match(stat, /Meta Color: 日本 😀/);
  assert.match(stat, /Object: 日本-😀\.txt/);

  swift('copy', container, name, '--destination', `/${container}/コピー-😀.txt`);
  const copied = join(work, 'copied.txt');
  swift('download', container, 'コピー-😀.txt', '-o', copied);
  assert.equal(readFileSync(copied, 'utf8'), 'hello from 日本 😀\n');
  assert.match(swift('stat', container, 'コピー-😀.txt'), /Meta Color: 日本 😀/);

  const big = '大きい-😀.bin';
  writeFileSync(join(work, big), randomBytes(5000));
  swift('upload', container, big, '--use-slo', '--segment-size', '2000');
  assert.equal(swift('list', `${container}_segments`).trim().split('\n').length, 3);
  assert.match(swift('stat', container, big), /Content Length: 5000/);
  const out = join(work, 'big.out');
  swift('download', container, big, '-o', out);
  assert.equal(sha256(out), sha256(join(work, big)));
  swift('delete', container);
  swift('delete', `${container}_segments`);
  assert.ok(!swift('list').includes(container));
});
