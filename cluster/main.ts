// `npm start`: a whole local cluster on this machine. Builds the default rings under
// <data>/rings when there are none, starts four storage nodes (127.0.0.1-4), identity
// (127.0.0.1:5000, bootstrapped with the admin and service users; <data>/openrc) and the
// proxy (127.0.0.1:8080), then the image service (127.0.0.1:9292), prints the endpoints and
// credentials, restarts a process that dies, and stops everything cleanly on Ctrl-C / SIGTERM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_NODES, dataDirFrom, localNode, prepareDataDir, writeOpenrc } from './local-config.js';
import { ensureDefaultRings } from './default-rings.js';
import { StoragePolicies } from '../common/storage-policy.js';
import { Supervisor } from './supervisor.js';
import { loadProxyConfig, type UserEntry } from '../proxy/config.js';
import { loadIdentityConfig } from '../identity/config.js';

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const STORAGE_NODE = script('../storage-node/main.js');
const PROXY = script('../proxy/main.js');
const IDENTITY = script('../identity/main.js');
const IMAGE_SERVICE = script('../image-service/main.js');

/** "user / key / role" lines for the tempauth users the proxy will accept (proxy.users of the config). */
function describeUsers(config: Record<string, unknown>): string[] {
  const section = (config.proxy ?? {}) as { users?: Record<string, UserEntry | string> };
  return Object.entries(section.users ?? {}).map(([user, entry]) => {
    const [key, ...groups] = typeof entry === 'string' ? entry.split(/\s+/) : [entry.key, ...entry.groups];
    const account = `AUTH_${user.split(':')[0]}`;
    const role = groups.includes('.reseller_admin') ? 'reseller admin' : groups.includes('.admin') ? `admin of ${account}` : `non-admin in ${account}`;
    return `${user.padEnd(14)} ${String(key).padEnd(9)} ${role}${groups.includes('service') ? ' (service)' : ''}`;
  });
}

const log = (event: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);

async function main(): Promise<void> {
  const layout = prepareDataDir(dataDirFrom(process.argv.slice(2)));
  await ensureDefaultRings(layout.dataDir, layout.ringDir, (msg) => log({ event: 'ring', msg }), StoragePolicies.fromConfig(layout.config));
  const supervisor = new Supervisor(join(layout.dataDir, 'logs'), log);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ event: 'stopping', signal });
    await supervisor.stopAll();
    log({ event: 'stopped' });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    const nodes = [];
    for (let n = 1; n <= LOCAL_NODES; n++) {
      const node = localNode(layout.dataDir, n);
      mkdirSync(join(node.devicesDir, node.device), { recursive: true });
      nodes.push(
        supervisor.start({
          name: `storage-node-${n}`,
          script: STORAGE_NODE,
          args: ['--config', layout.configPath, '--bind-ip', node.ip, '--devices', node.devicesDir],
        }),
      );
    }
    await Promise.all(nodes);
    const identity = await supervisor.start({ name: 'identity', script: IDENTITY, args: ['--config', layout.configPath] });
    const identityUrl = String(identity.url);
    const adminPassword = loadIdentityConfig(layout.config, { configPath: layout.configPath }).admin_password;
    const openrc = writeOpenrc(layout.dataDir, identityUrl, adminPassword);
    const proxy = await supervisor.start({ name: 'proxy', script: PROXY, args: ['--config', layout.configPath] });
    const url = String(proxy.url);
    const image = await supervisor.start({ name: 'image-service', script: IMAGE_SERVICE, args: ['--config', layout.configPath] });
    console.log(`Stowage is running. Data: ${layout.dataDir} (logs in ${join(layout.dataDir, 'logs')})`);
    console.log(`  Swift API:  ${url}/v1/AUTH_<account>   auth: ${url}/auth/v1.0`);
    console.log(`  Storage:    ${LOCAL_NODES} nodes on 127.0.0.1-${LOCAL_NODES}, ports 6200 (object) 6201 (container) 6202 (account)`);
    const users = describeUsers(layout.config);
    console.log(`  Users (user / key, proxy.users in ${layout.configPath}):${users.length === 0 ? ' none' : ''}`);
    for (const line of users) console.log(`    ${line}`);
    console.log(`  Try: swift -A ${url}/auth/v1.0 -U test:tester -K testing stat`);
    const { s3_region: region } = loadProxyConfig(layout.config);
    console.log(`  S3 API:     ${url} (region ${region}; access key = user, secret = key, e.g. test:tester / testing)`);
    console.log(`  Try: AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${url} --region ${region} s3 ls`);
    console.log(`  Identity:   ${identityUrl}/v3 (Keystone v3)   admin / ${adminPassword} (project admin, domain Default)`);
    console.log(`  Try: source ${openrc} && openstack token issue`);
    console.log(`  Images:     ${String(image.url)} (Glance v2)   try: openstack image list`);
    console.log('Press Ctrl-C to stop.');
  } catch (err) {
    log({ event: 'start_failed', error: (err as Error).message });
    await supervisor.stopAll();
    process.exit(1);
  }
}

await main();
