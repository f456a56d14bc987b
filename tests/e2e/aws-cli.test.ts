// A user's session with the default local cluster (`npm start`) through Debian's AWS CLI:
// `aws s3 mb/cp/ls/sync/rm/rb`, a 50 MiB `cp` (a multipart upload, the CLI's threshold is
// 8 MiB) read back with its checksum, and `aws s3api` calls. HOME and the CLI's config and
// credential files point into the test's scratch directory, so nothing leaks either way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startDefaultCluster, type DefaultCluster } from './default-cluster.js';

const MiB = 1024 * 1024;
/** Debian's awscli, not whatever else may be first on PATH. */
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

let cluster: DefaultCluster;
let work: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(AWS, ['--endpoint-url', 'http://127.0.0.1:8080', ...args], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function aws(...args: string[]): string {
  const r = run(args);
  assert.equal(r.status, 0, `aws ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const awsJson = (...args: string[]) => JSON.parse(aws(...args, '--output', 'json')) as Record<string, unknown>;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

before(async () => {
  cluster = await startDefaultCluster('aws-cli-');
  work = cluster.work;
  const config = JSON.parse(readFileSync(join(cluster.dataDir, 'stowage.json'), 'utf8')) as { proxy?: { s3_region?: string } };
  const home = join(work, 'home');
  mkdirSync(home);
  env = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    AWS_ACCESS_KEY_ID: 'test:tester',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: config.proxy?.s3_region ?? 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});

after(async () => {
  assert.equal(await cluster.stop(), 0, 'the cluster stops cleanly on SIGTERM');
});

test('aws s3: mb, cp up and down, ls, sync, rm, rb', () => {
  aws('s3', 'mb', 's3://cli-bucket');
  assert.match(aws('s3', 'ls'), /cli-bucket/);
  const dir = join(work, 'site');
  mkdirSync(join(dir, 'css'), { recursive: true });
  const files = ['index.html', 'about.html', 'css/site.css'];
  for (const f of files) writeFileSync(join(dir, f), randomBytes(500 + f.length));
  aws('s3', 'cp', join(dir, 'index.html'), 's3://cli-bucket/single/index.html');
  const down = join(work, 'index-copy.html');
  aws('s3', 'cp', 's3://cli-bucket/single/index.html', down);
  assert.equal(sha256(down), sha256(join(dir, 'index.html')));

  const synced = aws('s3', 'sync', '--no-progress', dir, 's3://cli-bucket/site/');
  assert.equal(synced.match(/upload: /g)?.length, files.length, synced);
  // A second sync has nothing to do.
  assert.equal(aws('s3', 'sync', '--no-progress', dir, 's3://cli-bucket/site/').trim(), '');
  const top = aws('s3', 'ls', 's3://cli-bucket/site/');
  assert.match(top, /PRE css\//);
  assert.match(top, /about\.html/);
  const all = aws('s3', 'ls', '--recursive', 's3://cli-bucket/');
  for (const f of files) assert.match(all, new RegExp(`site/${f.replace('.', '\\.')}`));
  const back = join(work, 'site-back');
  aws('s3', 'sync', 's3://cli-bucket/site/', back);
  for (const f of files) assert.equal(sha256(join(back, f)), sha256(join(dir, f)));

  // rb refuses a bucket that is not empty; rm --recursive then rb works.
  const refused = run(['s3', 'rb', 's3://cli-bucket']);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /BucketNotEmpty/);
  aws('s3', 'rm', 's3://cli-bucket/single/index.html');
  aws('s3', 'rm', '--recursive', 's3://cli-bucket/site/');
  assert.equal(aws('s3', 'ls', '--recursive', 's3://cli-bucket/').trim(), '');
  aws('s3', 'rb', 's3://cli-bucket');
  assert.doesNotMatch(aws('s3', 'ls'), /cli-bucket/);
});

test('aws s3 cp of a 50 MiB file is a multipart upload and reads back whole', () => {
  aws('s3', 'mb', 's3://big-bucket');
  const path = join(work, 'fifty.bin');
  const fd = openSync(path, 'w');
  for (let i = 0; i < 50; i++) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
  aws('s3', 'cp', path, 's3://big-bucket/fifty.bin');
  const head = awsJson('s3api', 'head-object', '--bucket', 'big-bucket', '--key', 'fifty.bin');
  assert.equal(head.ContentLength, 50 * MiB);
  // The CLI splits at 8 MiB: seven parts, and S3's "<md5 of md5s>-7" ETag.
  assert.match(String(head.ETag), /^"[0-9a-f]{32}-7"$/);
  const down = join(work, 'fifty-back.bin');
  aws('s3', 'cp', 's3://big-bucket/fifty.bin', down);
  assert.equal(sha256(down), sha256(path));
  aws('s3', 'rm', 's3://big-bucket/fifty.bin');
  aws('s3', 'rb', 's3://big-bucket');
});

test('aws s3api: buckets, objects with metadata, listing, copy, multi-delete, multipart by hand', () => {
  aws('s3api', 'create-bucket', '--bucket', 'api-bucket');
  aws('s3api', 'head-bucket', '--bucket', 'api-bucket');
  const buckets = awsJson('s3api', 'list-buckets') as { Buckets: Array<{ Name: string }>; Owner: { ID: string } };
  assert.ok(buckets.Buckets.some((b) => b.Name === 'api-bucket'));
  assert.equal(buckets.Owner.ID, 'test:tester');

  const body = join(work, 'note.txt');
  writeFileSync(body, 'a note from the aws cli\n');
  const put = awsJson('s3api', 'put-object', '--bucket', 'api-bucket', '--key', 'notes/one.txt', '--body', body, '--content-type', 'text/plain', '--metadata', 'author=cli');
  assert.equal(put.ETag, `"${createHash('md5').update(readFileSync(body)).digest('hex')}"`);
  const head = awsJson('s3api', 'head-object', '--bucket', 'api-bucket', '--key', 'notes/one.txt') as { ContentType: string; Metadata: Record<string, string> };
  assert.equal(head.ContentType, 'text/plain');
  assert.deepEqual(head.Metadata, { author: 'cli' });
  aws('s3api', 'copy-object', '--bucket', 'api-bucket', '--key', 'notes/two.txt', '--copy-source', 'api-bucket/notes/one.txt');
  const out = join(work, 'two.txt');
  aws('s3api', 'get-object', '--bucket', 'api-bucket', '--key', 'notes/two.txt', out);
  assert.equal(readFileSync(out, 'utf8'), 'a note from the aws cli\n');

  const listed = awsJson('s3api', 'list-objects-v2', '--bucket', 'api-bucket', '--prefix', 'notes/') as { Contents: Array<{ Key: string }> };
  assert.deepEqual(listed.Contents.map((c) => c.Key), ['notes/one.txt', 'notes/two.txt']);
  const missing = run(['s3api', 'get-object', '--bucket', 'api-bucket', '--key', 'nope', join(work, 'nope')]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /NoSuchKey/);

  // Multipart by hand: create, upload one part, list it, complete.
  const created = awsJson('s3api', 'create-multipart-upload', '--bucket', 'api-bucket', '--key', 'manual.bin') as { UploadId: string };
  const partFile = join(work, 'part.bin');
  writeFileSync(partFile, randomBytes(1000));
  const part = awsJson('s3api', 'upload-part', '--bucket', 'api-bucket', '--key', 'manual.bin', '--part-number', '1', '--upload-id', created.UploadId, '--body', partFile) as { ETag: string };
  const parts = awsJson('s3api', 'list-parts', '--bucket', 'api-bucket', '--key', 'manual.bin', '--upload-id', created.UploadId) as { Parts: Array<{ PartNumber: number; ETag: string }> };
  assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.ETag]), [[1, part.ETag]]);
  const uploads = awsJson('s3api', 'list-multipart-uploads', '--bucket', 'api-bucket') as { Uploads: Array<{ UploadId: string }> };
  assert.deepEqual(uploads.Uploads.map((u) => u.UploadId), [created.UploadId]);
  const partsFile = join(work, 'parts.json');
  writeFileSync(partsFile, JSON.stringify({ Parts: [{ PartNumber: 1, ETag: part.ETag }] }));
  const done = awsJson('s3api', 'complete-multipart-upload', '--bucket', 'api-bucket', '--key', 'manual.bin', '--upload-id', created.UploadId, '--multipart-upload', `file://${partsFile}`);
  assert.match(String(done.ETag), /-1"$/);

  const toDelete = join(work, 'delete.json');
  writeFileSync(toDelete, JSON.stringify({ Objects: [{ Key: 'notes/one.txt' }, { Key: 'notes/two.txt' }, { Key: 'manual.bin' }], Quiet: false }));
  const deleted = awsJson('s3api', 'delete-objects', '--bucket', 'api-bucket', '--delete', `file://${toDelete}`) as { Deleted: Array<{ Key: string }> };
  assert.equal(deleted.Deleted.length, 3);
  aws('s3api', 'delete-bucket', '--bucket', 'api-bucket');
  const gone = run(['s3api', 'head-bucket', '--bucket', 'api-bucket']);
  assert.notEqual(gone.status, 0);
});
