// A user's session with the default local cluster (`npm start`) through Debian's
// python3-openstackclient `openstack` command, logged in with <data>/openrc: tokens, the
// catalog, projects, users, roles, endpoints and EC2 credentials, then objects through
// the catalog's object-store endpoint; python3-swiftclient with --auth-version 3; and
// S3 (the AWS SDK) signed with the EC2 credential.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startDefaultCluster, type DefaultCluster } from './default-cluster.js';

let cluster: DefaultCluster;
let adminEnv: Record<string, string>;
let aliceEnv: Record<string, string>;
let projectId = '';
const ALICE_PASSWORD = 'alice-Pa55';

/** The variables <data>/openrc exports. */
function readOpenrc(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

function run(command: string, args: string[], env: Record<string, string>) {
  // The caller's OS_* variables must not leak into the commands.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_') && !k.startsWith('ST_')));
  return spawnSync(command, args, { cwd: cluster.work, env: { ...base, ...env }, encoding: 'utf8', timeout: 120_000 });
}

function openstack(env: Record<string, string>, ...args: string[]): string {
  const r = run('openstack', args, env);
  assert.equal(r.status, 0, `openstack ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const json = (env: Record<string, string>, ...args: string[]): any => JSON.parse(openstack(env, ...args, '-f', 'json'));

before(async () => {
  cluster = await startDefaultCluster('openstack-cli-');
  adminEnv = readOpenrc(join(cluster.dataDir, 'openrc'));
  aliceEnv = { ...adminEnv, OS_USERNAME: 'alice', OS_PASSWORD: ALICE_PASSWORD, OS_PROJECT_NAME: 'demo' };
});

after(async () => {
  assert.equal(await cluster.stop(), 0, 'the cluster stops cleanly on SIGTERM');
});

test('npm start prints the identity endpoint and admin credentials and writes openrc', () => {
  const banner = cluster.banner.join('\n');
  assert.match(banner, /Identity: +http:\/\/127\.0\.0\.1:5000\/v3/);
  assert.ok(banner.includes(adminEnv.OS_PASSWORD!), 'the admin password is printed');
  assert.equal(adminEnv.OS_AUTH_URL, 'http://127.0.0.1:5000/v3');
  assert.equal(adminEnv.OS_USERNAME, 'admin');
  assert.equal(adminEnv.OS_PROJECT_NAME, 'admin');
  assert.equal(adminEnv.OS_USER_DOMAIN_NAME, 'Default');
  assert.equal(adminEnv.OS_PROJECT_DOMAIN_NAME, 'Default');
  assert.equal(adminEnv.OS_IDENTITY_API_VERSION, '3');
  const config = JSON.parse(readFileSync(join(cluster.dataDir, 'stowage.json'), 'utf8'));
  assert.equal(config.identity.admin_password, adminEnv.OS_PASSWORD, 'the generated password is kept in stowage.json');
});

test('token issue and catalog list as the admin', () => {
  const token = json(adminEnv, 'token', 'issue');
  assert.ok(token.id.length > 32);
  assert.match(token.project_id, /^[0-9a-f]{32}$/);
  const catalog = json(adminEnv, 'catalog', 'list');
  const byType = Object.fromEntries(catalog.map((s: { Type: string }) => [s.Type, s]));
  assert.deepEqual(Object.keys(byType).sort(), ['identity', 'image', 'object-store']);
  const urls = JSON.stringify(byType['object-store'].Endpoints);
  assert.ok(urls.includes(`http://127.0.0.1:8080/v1/AUTH_${token.project_id}`), urls);
  assert.ok(JSON.stringify(byType.identity.Endpoints).includes('http://127.0.0.1:5000/v3'));
});

test('project create/list/delete, user create, role add, role assignment list, endpoint list', () => {
  const demo = json(adminEnv, 'project', 'create', '--description', 'e2e demo', 'demo');
  projectId = demo.id;
  const scratch = json(adminEnv, 'project', 'create', 'scratch');
  const names = json(adminEnv, 'project', 'list').map((p: { Name: string }) => p.Name);
  for (const name of ['admin', 'service', 'demo', 'scratch']) assert.ok(names.includes(name), names.join(','));
  openstack(adminEnv, 'project', 'delete', 'scratch');
  const after = json(adminEnv, 'project', 'list').map((p: { ID: string }) => p.ID);
  assert.ok(!after.includes(scratch.id));

  const alice = json(adminEnv, 'user', 'create', '--password', ALICE_PASSWORD, '--domain', 'default', 'alice');
  assert.equal(alice.name, 'alice');
  assert.equal(alice.password, undefined);
  openstack(adminEnv, 'role', 'add', '--project', 'demo', '--user', 'alice', 'member');
  const assignments = json(adminEnv, 'role', 'assignment', 'list', '--names', '--project', 'demo');
  assert.deepEqual(
    assignments.map((a: { Role: string; User: string; Project: string }) => [a.Role, a.User, a.Project]),
    [['member', 'alice@Default', 'demo@Default']],
  );
  const all = json(adminEnv, 'role', 'assignment', 'list', '--names');
  assert.ok(all.some((a: { Role: string; User: string; Project: string }) => a.Role === 'admin' && a.User === 'admin@Default' && a.Project === 'admin@Default'));
  assert.ok(all.some((a: { User: string; Project: string }) => a.User === 'glance@Default' && a.Project === 'service@Default'));

  const endpoints = json(adminEnv, 'endpoint', 'list');
  const store = endpoints.filter((e: { 'Service Type': string }) => e['Service Type'] === 'object-store');
  assert.deepEqual(store.map((e: { Interface: string }) => e.Interface).sort(), ['admin', 'internal', 'public']);
  assert.ok(store.every((e: { URL: string; Region: string }) => e.URL === 'http://127.0.0.1:8080/v1/AUTH_%(project_id)s' && e.Region === 'RegionOne'));
});

test('a non-admin cannot create users', () => {
  const r = run('openstack', ['user', 'create', '--password', 'x', 'mallory'], aliceEnv);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /HTTP 403/);
});

test('objects through the catalog’s object-store endpoint: container create, object create/list/save', () => {
  writeFileSync(join(cluster.work, 'notes.txt'), 'notes from alice\n');
  const container = json(aliceEnv, 'container', 'create', 'papers');
  assert.equal(container[0].container, 'papers');
  assert.equal(container[0].account, `AUTH_${projectId}`);
  openstack(aliceEnv, 'object', 'create', 'papers', 'notes.txt');
  const listing = json(aliceEnv, 'object', 'list', 'papers');
  assert.deepEqual(listing.map((o: { Name: string }) => o.Name), ['notes.txt']);
  openstack(aliceEnv, 'object', 'save', 'papers', 'notes.txt', '--file', 'saved.txt');
  assert.equal(readFileSync(join(cluster.work, 'saved.txt'), 'utf8'), 'notes from alice\n');
});

test('swift --auth-version 3 uploads and downloads', () => {
  const auth = ['--auth-version', '3', '--os-auth-url', adminEnv.OS_AUTH_URL!, '--os-username', 'alice', '--os-password', ALICE_PASSWORD,
    '--os-project-name', 'demo', '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default'];
  const data = randomBytes(300_000);
  writeFileSync(join(cluster.work, 'blob.bin'), data);
  const up = run('swift', [...auth, 'upload', 'papers', 'blob.bin'], {});
  assert.equal(up.status, 0, up.stderr);
  const down = run('swift', [...auth, 'download', 'papers', 'blob.bin', '-o', 'blob-back.bin'], {});
  assert.equal(down.status, 0, down.stderr);
  assert.ok(readFileSync(join(cluster.work, 'blob-back.bin')).equals(data));
  const stat = run('swift', [...auth, 'stat'], {});
  assert.match(stat.stdout, new RegExp(`Account: AUTH_${projectId}`));
});

test('ec2 credentials create, then S3 signed with them reads the project’s objects', async () => {
  const cred = json(aliceEnv, 'ec2', 'credentials', 'create');
  assert.equal(cred.project_id, projectId);
  const listed = json(aliceEnv, 'ec2', 'credentials', 'list');
  assert.ok(listed.some((c: { Access: string }) => c.Access === cred.access));
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:8080',
    forcePathStyle: true,
    credentials: { accessKeyId: cred.access, secretAccessKey: cred.secret },
  });
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: 'papers' }));
  assert.deepEqual(objects.Contents?.map((o) => o.Key).sort(), ['blob.bin', 'notes.txt']);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'papers', Key: 'notes.txt' }));
  assert.equal(await got.Body!.transformToString(), 'notes from alice\n');
  s3.destroy();
  openstack(aliceEnv, 'ec2', 'credentials', 'delete', cred.access);
  assert.ok(!json(aliceEnv, 'ec2', 'credentials', 'list').some((c: { Access: string }) => c.Access === cred.access));
});
