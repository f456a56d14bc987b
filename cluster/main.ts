// `npm start`: a whole local cluster on this machine. Builds the default rings under
// <data>/rings when there are none, starts four storage nodes (127.0.0.1-4) and the proxy
// (127.0.0.1:8080), prints the endpoints and credentials, restarts a process that dies,
// and stops everything cleanly on Ctrl-C / SIGTERM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_NODES, dataDirFrom, localNode, prepareDataDir } from './local-config.js';
import { ensureDefaultRings } from './default-rings.js';
import { Supervisor } from './supervisor.js';

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const STORAGE_NODE = script('../storage-node/main.js');
const PROXY = script('../proxy/main.js');

/** Swift's functional-test users, the defaults of the proxy's tempauth. */
const DEFAULT_USERS = [
  ['test:tester', 'testing', 'admin of AUTH_test'],
  ['test2:tester2', 'testing2', 'admin of AUTH_test2'],
  ['test:tester3', 'testing3', 'non-admin in AUTH_test'],
  ['test5:tester5', 'testing5', 'admin of AUTH_test5 (service)'],
] as const;

const log = (event: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);

async function main(): Promise<void> {
  const layout = prepareDataDir(dataDirFrom(process.argv.slice(2)));
  await ensureDefaultRings(layout.dataDir, layout.ringDir, (msg) => log({ event: 'ring', msg }));
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
    const proxy = await supervisor.start({ name: 'proxy', script: PROXY, args: ['--config', layout.configPath] });
    const url = String(proxy.url);
    console.log(`Stowage is running. Data: ${layout.dataDir} (logs in ${join(layout.dataDir, 'logs')})`);
    console.log(`  Swift API:  ${url}/v1/AUTH_<account>   auth: ${url}/auth/v1.0`);
    console.log(`  Storage:    ${LOCAL_NODES} nodes on 127.0.0.1-${LOCAL_NODES}, ports 6200 (object) 6201 (container) 6202 (account)`);
    console.log('  Users (user / key):');
    for (const [user, key, what] of DEFAULT_USERS) console.log(`    ${user.padEnd(14)} ${key.padEnd(9)} ${what}`);
    console.log(`  Try: swift -A ${url}/auth/v1.0 -U test:tester -K testing stat`);
    console.log('Press Ctrl-C to stop.');
  } catch (err) {
    log({ event: 'start_failed', error: (err as Error).message });
    await supervisor.stopAll();
    process.exit(1);
  }
}

await main();
