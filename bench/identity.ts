// `npm run bench:identity`: how many token validations per second the identity service
// answers, and how many requests per second the proxy authenticates with a Keystone token
// on a warm validation cache (next to a tempauth token for reference). It starts its own
// identity process and proxy on 127.0.0.1 (ephemeral ports, a scratch directory); the
// proxy's requests are ones authorization refuses (GET of another project's account, 403),
// so what is measured is the token path, not the storage nodes (none are started).
//
//   node dist/bench/identity.js [--duration-s 5] [--concurrency 16]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { RingBuilder, writeRingFile } from '../ring-builder/index.js';
import { TEST_USERS } from '../proxy/config.js';

const IDENTITY = fileURLToPath(new URL('../identity/main.js', import.meta.url));
const PROXY = fileURLToPath(new URL('../proxy/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

async function startProcess(name: string, script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`)), READY_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url: string };
        if (event.event === 'listening') {
          clearTimeout(timer);
          resolve(event.url);
        }
      } catch {
        // not an event line
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${stderr}`)));
  });
  return { child, url };
}

async function call(pool: Pool, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await pool.request({
    method: method as 'GET',
    path,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    headersTimeout: REQUEST_TIMEOUT_MS,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text && text.startsWith('{') ? JSON.parse(text) : null };
}

interface Figure {
  name: string;
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** `concurrency` loops sending one request after another for `durationS`; `expect` is the status that counts as success. */
async function measure(name: string, url: string, durationS: number, concurrency: number, method: string, path: string, headers: Record<string, string>, expect: number): Promise<Figure> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const send = async () => {
    const started = performance.now();
    try {
      const res = await pool.request({ method: method as 'GET', path, headers, headersTimeout: REQUEST_TIMEOUT_MS });
      await res.body.dump();
      if (res.statusCode !== expect) errors++;
      else latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  };
  // Warm-up: connections open, the proxy's validation cache filled.
  await Promise.all(Array.from({ length: concurrency }, send));
  latencies.length = 0;
  errors = 0;
  const endMs = Date.now() + durationS * 1000;
  const startedMs = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < endMs) await send();
    }),
  );
  const elapsedS = (Date.now() - startedMs) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { name, opsPerS: latencies.length / elapsedS, p50Ms: pct(0.5), p99Ms: pct(0.99), errors };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'duration-s': { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' } } });
  const durationS = Number(values['duration-s']);
  const concurrency = Number(values.concurrency);
  if (!(durationS > 0) || !Number.isSafeInteger(concurrency) || concurrency < 1) throw new Error('--duration-s and --concurrency must be positive');

  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-identity-'));
  const children: ChildProcess[] = [];
  try {
    const adminPassword = randomBytes(12).toString('base64url');
    const configPath = join(dir, 'stowage.json');
    const ringDir = join(dir, 'rings');
    const base = { hash_path_prefix: 'bench', hash_path_suffix: 'bench', ring_dir: ringDir };
    const identitySection = { admin_password: adminPassword, service_password: randomBytes(12).toString('base64url'), data_dir: join(dir, 'identity'), log_level: 'warn' };
    writeFileSync(configPath, JSON.stringify({ ...base, identity: identitySection }));
    const identity = await startProcess('identity', IDENTITY, ['--config', configPath, '--port', '0']);
    children.push(identity.child);

    // Rings naming devices that are never contacted: every measured request stops at authorization.
    mkdirSync(ringDir);
    for (const kind of ['account', 'container', 'object']) {
      const builder = RingBuilder.create(4, 3, 0);
      for (let i = 1; i <= 3; i++) {
        builder.addDevice({ region: 1, zone: i, ip: '127.0.0.1', port: i, replication_ip: '127.0.0.1', replication_port: i, device: `sdb${i}`, weight: 100, meta: '' });
      }
      builder.rebalance({ seed: 1 });
      await writeRingFile(join(ringDir, `${kind}.ring`), builder.ringData());
    }
    writeFileSync(configPath, JSON.stringify({ ...base, identity: identitySection, proxy: { log_level: 'warn', identity_url: `${identity.url}/v3`, identity_cache_s: 60, users: TEST_USERS } }));
    const proxy = await startProcess('proxy', PROXY, ['--config', configPath, '--port', '0']);
    children.push(proxy.child);

    // A member of project "bench" whose requests aim at project "service"'s account.
    const api = new Pool(identity.url, { connections: 2 });
    const login = (name: string, password: string, project: string) =>
      call(api, 'POST', '/v3/auth/tokens?nocatalog', {}, {
        auth: { identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } }, scope: { project: { name: project, domain: { id: 'default' } } } },
      });
    const admin = String((await login('admin', adminPassword, 'admin')).headers['x-subject-token']);
    const auth = { 'x-auth-token': admin };
    const project = (await call(api, 'POST', '/v3/projects', auth, { project: { name: 'bench' } })).json.project.id as string;
    const user = (await call(api, 'POST', '/v3/users', auth, { user: { name: 'bencher', password: adminPassword } })).json.user.id as string;
    const member = (await call(api, 'GET', '/v3/roles?name=member', auth)).json.roles[0].id as string;
    await call(api, 'PUT', `/v3/projects/${project}/users/${user}/roles/${member}`, auth);
    const service = (await call(api, 'GET', '/v3/projects?name=service', auth)).json.projects[0].id as string;
    const token = String((await login('bencher', adminPassword, 'bench')).headers['x-subject-token']);
    await api.close();

    const proxyPool = new Pool(proxy.url, { connections: 1 });
    const tempauth = await proxyPool.request({ method: 'GET', path: '/auth/v1.0', headers: { 'x-auth-user': 'test:tester', 'x-auth-key': 'testing' } });
    await tempauth.body.dump();
    const tempauthToken = String(tempauth.headers['x-auth-token']);
    await proxyPool.close();

    const figures = [
      await measure('identity: GET /v3/auth/tokens (validate)', identity.url, durationS, concurrency, 'GET', '/v3/auth/tokens?nocatalog', { 'x-auth-token': token, 'x-subject-token': token }, 200),
      await measure('proxy: Keystone token, warm cache', proxy.url, durationS, concurrency, 'GET', `/v1/AUTH_${service}`, { 'x-auth-token': token }, 403),
      await measure('proxy: tempauth token (reference)', proxy.url, durationS, concurrency, 'GET', '/v1/AUTH_test2', { 'x-auth-token': tempauthToken }, 403),
    ];
    console.log(`Token validation, ${concurrency} concurrent clients, ${durationS} s each (node ${process.version}, loopback)`);
    console.log(`${'scenario'.padEnd(44)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
    for (const f of figures) {
      console.log(`${f.name.padEnd(44)} ${f.opsPerS.toFixed(0).padStart(9)} ${f.p50Ms.toFixed(2).padStart(8)} ${f.p99Ms.toFixed(2).padStart(8)} ${String(f.errors).padStart(7)}`);
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:identity: ${(err as Error).message}`);
  process.exit(1);
});
