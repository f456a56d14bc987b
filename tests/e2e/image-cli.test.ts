// A user's session with the image service of the default local cluster (`npm start`),
// through Debian's `openstack` command and `glance` (python3-openstackclient,
// python3-glanceclient), logged in with the cluster's openrc: a 200 MiB image created from
// a file (stored as a static large object of 64 MiB segments), listed and shown with
// filters, properties and tags set, saved back and compared, shared with another project
// that accepts it, deactivated and reactivated, deleted; then the interoperable import
// (glance-direct from stdin, web-download from a local web server).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startDefaultCluster, type DefaultCluster } from './default-cluster.js';

const MiB = 1024 * 1024;
let cluster: DefaultCluster;
let adminEnv: NodeJS.ProcessEnv;
let bigFile: string;
let bigMd5: string;
let web: http.Server;

/** The exports of <data>/openrc, as `source openrc` would set them. */
function openrcEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'");
  }
  return env;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: number | 'ignore'): string {
  const r = spawnSync(command, args, { env, cwd: cluster.work, encoding: 'utf8', timeout: 300_000, stdio: [stdin ?? 'ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const openstack = (args: string[], env = adminEnv) => run('openstack', args, env);
const json = (args: string[], env = adminEnv) => JSON.parse(openstack([...args, '-f', 'json'], env));
const md5File = async (path: string) => {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

async function waitForActive(name: string): Promise<any> {
  for (let i = 0; i < 150; i++) {
    const image = json(['image', 'show', name]);
    if (image.status === 'active') return image;
    await new Promise((r) => setTimeout(r, 400));
  }
  assert.fail(`${name} never became active`);
}

before(async () => {
  // Segments of 64 MiB so the 200 MiB image is a static large object; web-download may
  // fetch from the test's own web server on loopback.
  process.env.STOWAGE_IMAGE_SERVICE_SEGMENT_SIZE_BYTES = String(64 * MiB);
  process.env.STOWAGE_IMAGE_SERVICE_WEB_DOWNLOAD_ALLOW_LOOPBACK = 'true';
  process.env.STOWAGE_IMAGE_SERVICE_WEB_DOWNLOAD_ALLOWED_PORTS = '';
  // The web-download test serves its image from 127.0.0.1 on an ephemeral port, which the
  // image service refuses unless the operator opens them (docs/security.md).
  cluster = await startDefaultCluster('image-cli-', {
    image_service: { web_download_allowed_networks: '127.0.0.1/32', web_download_allowed_ports: '' },
  });
  assert.ok(cluster.banner.some((l) => l.includes('http://127.0.0.1:9292')), cluster.banner.join('\n'));
  adminEnv = { ...process.env, ...openrcEnv(join(cluster.dataDir, 'openrc')) };
  bigFile = join(cluster.work, 'big.raw');
  const fd = openSync(bigFile, 'w');
  const block = randomBytes(MiB);
  for (let i = 0; i < 200; i++) {
    block.writeUInt32BE(i, 0);
    writeSync(fd, block);
  }
  closeSync(fd);
  bigMd5 = await md5File(bigFile);
});

after(async () => {
  web?.close();
  assert.equal(await cluster.stop(), 0, 'the cluster stops cleanly on SIGTERM');
});

test('openstack image create --file of a 200 MiB image', async () => {
  openstack(['image', 'create', '--file', bigFile, '--disk-format', 'raw', '--container-format', 'bare', '--property', 'os_distro=debian', '--tag', 'cli', 'big-image']);
  const image = json(['image', 'show', 'big-image']);
  assert.equal(image.status, 'active');
  assert.equal(image.size, 200 * MiB);
  assert.equal(image.checksum, bigMd5);
  assert.equal(image.virtual_size, 200 * MiB);
  assert.equal(image.properties.os_distro, 'debian');
  assert.equal(image.properties.os_hash_algo, 'sha512');
});

test('image list and show with filters; image set --property/--tag', () => {
  const byProperty = json(['image', 'list', '--property', 'os_distro=debian']);
  assert.deepEqual(byProperty.map((i: any) => i.Name), ['big-image']);
  assert.equal(json(['image', 'list', '--status', 'active', '--name', 'big-image']).length, 1);
  assert.equal(json(['image', 'list', '--status', 'queued', '--name', 'big-image']).length, 0);
  const long = json(['image', 'list', '--long', '--tag', 'cli']);
  assert.equal(long[0].Checksum, bigMd5);

  openstack(['image', 'set', '--property', 'color=blue', '--tag', 'golden', '--min-ram', '256', 'big-image']);
  const image = json(['image', 'show', 'big-image']);
  assert.equal(image.properties.color, 'blue');
  assert.deepEqual([...image.tags].sort(), ['cli', 'golden']);
  assert.equal(image.min_ram, 256);
  assert.deepEqual(json(['image', 'list', '--tag', 'golden']).map((i: any) => i.Name), ['big-image']);
  openstack(['image', 'unset', '--property', 'color', 'big-image']);
  assert.equal(json(['image', 'show', 'big-image']).properties.color, undefined);
});

test('image save downloads the same bytes', async () => {
  const out = join(cluster.work, 'saved.raw');
  openstack(['image', 'save', '--file', out, 'big-image']);
  assert.equal(statSync(out).size, 200 * MiB);
  assert.equal(await md5File(out), bigMd5);
});

test('image add project, then the member project accepts and sees the image', () => {
  openstack(['project', 'create', '--domain', 'default', 'partners']);
  openstack(['user', 'create', '--domain', 'default', '--password', 'partner-pass', '--project', 'partners', 'partner']);
  openstack(['role', 'add', '--project', 'partners', '--user', 'partner', 'member']);
  const partnerEnv = { ...adminEnv, OS_USERNAME: 'partner', OS_PASSWORD: 'partner-pass', OS_PROJECT_NAME: 'partners' };
  const id = json(['image', 'show', 'big-image']).id;

  openstack(['image', 'set', '--shared', 'big-image']);
  const member = json(['image', 'add', 'project', 'big-image', 'partners']);
  assert.equal(member.status, 'pending');
  assert.ok(!json(['image', 'list'], partnerEnv).some((i: any) => i.ID === id), 'not listed before acceptance');
  openstack(['image', 'set', '--accept', id], partnerEnv);
  assert.ok(json(['image', 'list'], partnerEnv).some((i: any) => i.ID === id), 'listed once accepted');
  const members = json(['image', 'member', 'list', 'big-image']);
  assert.equal(members[0].Status, 'accepted');

  // A member may read but not change it.
  const denied = spawnSync('openstack', ['image', 'set', '--property', 'x=y', id], { env: partnerEnv, encoding: 'utf8' });
  assert.notEqual(denied.status, 0);
});

test('deactivate and reactivate', () => {
  openstack(['image', 'set', '--deactivate', 'big-image']);
  assert.equal(json(['image', 'show', 'big-image']).status, 'deactivated');
  openstack(['image', 'set', '--activate', 'big-image']);
  assert.equal(json(['image', 'show', 'big-image']).status, 'active');
});

test('glance image-create-via-import: glance-direct (data on stdin)', async () => {
  const file = join(cluster.work, 'direct.raw');
  const data = randomBytes(5 * MiB + 3);
  const fd = openSync(file, 'w');
  writeSync(fd, data);
  closeSync(fd);
  const input = openSync(file, 'r');
  try {
    run('glance', ['image-create-via-import', '--disk-format', 'raw', '--container-format', 'bare', '--name', 'direct-import', '--import-method', 'glance-direct'], adminEnv, input);
  } finally {
    closeSync(input);
  }
  const image = await waitForActive('direct-import');
  assert.equal(image.checksum, createHash('md5').update(data).digest('hex'));
  assert.equal(image.size, data.length);
});

test('glance image-create-via-import: web-download', async () => {
  const data = randomBytes(3 * MiB + 1);
  web = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': data.length });
    res.end(data);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(web.address() as AddressInfo).port}/disk.raw`;
  // glanceclient refuses web-download when stdin carries data, so stdin is closed.
  run('sh', ['-c', `glance image-create-via-import --disk-format raw --container-format bare --name web-import --import-method web-download --uri '${uri}' <&-`], adminEnv);
  const image = await waitForActive('web-import');
  assert.equal(image.checksum, createHash('md5').update(data).digest('hex'));
});

/** The objects in the image service's container, seen as its `glance` service user. */
async function glanceObjects(): Promise<string[]> {
  const config = JSON.parse(readFileSync(join(cluster.dataDir, 'stowage.json'), 'utf8'));
  const auth = await fetch('http://127.0.0.1:5000/v3/auth/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'glance', domain: { id: 'default' }, password: config.identity.service_password } } },
        scope: { project: { name: 'service', domain: { id: 'default' } } },
      },
    }),
  });
  assert.equal(auth.status, 201);
  const token = auth.headers.get('x-subject-token')!;
  const projectId = ((await auth.json()) as any).token.project.id;
  const res = await fetch(`http://127.0.0.1:8080/v1/AUTH_${projectId}/glance?format=json`, { headers: { 'x-auth-token': token } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { name: string }[]).map((o) => o.name);
}

test('image delete removes the images and their data', async () => {
  const id = json(['image', 'show', 'big-image']).id;
  const before = await glanceObjects();
  assert.equal(before.filter((name) => name.startsWith(`${id}/`)).length, 5, `a manifest and four 64 MiB segments: ${before.join(', ')}`);
  for (const name of ['big-image', 'direct-import', 'web-import']) openstack(['image', 'delete', name]);
  assert.deepEqual(json(['image', 'list']), []);
  const gone = spawnSync('openstack', ['image', 'show', 'big-image'], { env: adminEnv, encoding: 'utf8' });
  assert.notEqual(gone.status, 0);
  assert.deepEqual(await glanceObjects(), [], 'no object of any image is left');
});
