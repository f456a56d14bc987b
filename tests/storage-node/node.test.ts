// The storage node as a process: its command line and config, the three servers and
// their health checks, devices, restarts on the same data, and a clean SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { backendPath, call, nextTimestamp, startNode } from './harness.js';

const MAIN = fileURLToPath(new URL('../../storage-node/main.js', import.meta.url));

test('three servers, each with /healthcheck; a missing device is 507 on every one', async () => {
  const node = await startNode();
  try {
    for (const url of Object.values(node.urls)) {
      const res = await call('GET', `${url}/healthcheck`);
      assert.equal(res.status, 200);
      assert.equal(res.text, 'OK');
    }
    assert.equal((await call('HEAD', `${node.urls.account}${backendPath('nodev', 1, 'AUTH_a')}`)).status, 507);
    assert.equal((await call('GET', `${node.urls.container}${backendPath('nodev', 1, 'AUTH_a', 'c')}`)).status, 507);
    assert.equal((await call('PUT', `${node.urls.container}/%2E%2E/1/AUTH_a/c`, { 'X-Timestamp': nextTimestamp().internal })).status, 400);
    assert.equal((await call('PATCH', `${node.urls.container}${backendPath('sdb1', 1, 'AUTH_a', 'c')}`)).status, 405);
    assert.equal((await call('GET', `${node.urls.container}/sdb1/1`)).status, 400, 'no account in the path');
  } finally {
    await node.destroy();
  }
});

test('data and databases survive a restart on the same devices', async () => {
  const first = await startNode();
  const account = `${first.urls.account}${backendPath('sdb1', 1, 'AUTH_r')}`;
  const container = `${first.urls.container}${backendPath('sdb1', 2, 'AUTH_r', 'c')}`;
  const object = `${first.urls.object}${backendPath('sdb1', 3, 'AUTH_r', 'c', 'o')}`;
  await call('PUT', account, { 'X-Timestamp': nextTimestamp().internal, 'X-Account-Meta-K': 'v' });
  await call('PUT', container, { 'X-Timestamp': nextTimestamp().internal });
  await call('PUT', object, { 'X-Timestamp': nextTimestamp().internal, 'Content-Type': 'text/plain', ...{ 'X-Container-Host': new URL(first.urls.container).host, 'X-Container-Device': 'sdb1', 'X-Container-Partition': '2' } }, 'kept');
  assert.equal(await first.stop(), 0);

  const second = await startNode({ devices: first.devices });
  try {
    const at = (url: string, base: string) => url.replace(base, '');
    assert.equal((await call('GET', `${second.urls.object}${at(object, first.urls.object)}`)).text, 'kept');
    assert.equal((await call('GET', `${second.urls.container}${at(container, first.urls.container)}`)).text, 'o\n');
    assert.equal((await call('HEAD', `${second.urls.account}${at(account, first.urls.account)}`)).headers['x-account-meta-k'], 'v');
  } finally {
    await second.destroy();
  }
});

test('SIGTERM lets an in-flight upload finish, then exits 0', async () => {
  const node = await startNode();
  try {
    const url = new URL(`${node.urls.object}${backendPath('sdb1', 3, 'AUTH_s', 'c', 'slow')}`);
    const reply = new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nX-Timestamp: ${nextTimestamp().internal}\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello`);
        setTimeout(() => {
          node.child.kill('SIGTERM');
          setTimeout(() => socket.write('world'), 300);
        }, 200);
      });
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(await reply, /^HTTP\/1\.1 201/);
    assert.equal(await node.stop(), 0);
  } finally {
    await node.destroy();
  }
});

test('settings come from the config file, the environment and flags; bad ones stop the start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-sn-config-'));
  try {
    mkdirSync(join(dir, 'devs', 'sdz1'), { recursive: true });
    const config = join(dir, 'cluster.json');
    writeFileSync(config, JSON.stringify({ hash_path_suffix: 'x', storage: { devices: join(dir, 'devs'), object_port: 0, container_port: 0, account_port: 0, log_level: 'silent' } }));
    const child = spawn(process.execPath, [MAIN, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const urls = JSON.parse(line) as Record<string, string>;
    assert.equal(urls.event, 'listening');
    const res = await call('PUT', `${urls.account}${backendPath('sdz1', 1, 'AUTH_c')}`, { 'X-Timestamp': nextTimestamp().internal });
    assert.equal(res.status, 201, 'the devices directory came from the config file');
    child.kill('SIGTERM');
    assert.equal(await new Promise((r) => child.once('exit', r)), 0);

    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.once('exit', (code) => resolve({ code, stderr }));
      });
    const unknown = await run(['--frobnicate', '1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown argument/);
    const badPort = await run(['--config', config, '--object-port', '70000']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /object_port/);
    const badEnv = await run(['--config', config], { STOWAGE_STORAGE_UPDATE_TIMEOUT_MS: 'soon' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /update_timeout_ms/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
