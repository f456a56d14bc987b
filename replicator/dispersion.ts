// `stowage dispersion populate|report`, in the manner of swift-dispersion-populate and
// swift-dispersion-report. populate creates, through the proxy, containers named
// dispersion_<n> and objects dispersion_objects/dispersion_<n> chosen so that each lands
// in a different partition, until the given share of the partition space is covered.
// report asks every primary the ring names for each of them, directly on the storage
// nodes, and prints the percentage of replicas found where the ring says they are.
import PQueue from 'p-queue';
import { Agent, request } from 'undici';
import { quoteName } from '../common/paths.js';
import type { Ring } from '../ring-builder/index.js';
import { loadStorageConfig } from '../storage-node/index.js';
import { createPathHasher } from '../common/path-hash.js';
import { createDaemonContext } from './context.js';
import pino from 'pino';

const USAGE = `usage: stowage dispersion populate|report --config FILE [--auth-url URL] [--user USER] [--key KEY]
                                     [--coverage PERCENT] [--json]
  --auth-url  the proxy's /auth/v1.0 (default http://127.0.0.1:8080/auth/v1.0)
  --user/--key  a tempauth user (default test:tester / testing)
  --coverage  share of the partition space to sample, in % (default 1; populate only,
              report reads it back from the dispersion_objects container)
  --json      print the figures as one JSON line`;

export const OBJECTS_CONTAINER = 'dispersion_objects';
const COVERAGE_HEADER = 'x-container-meta-dispersion-coverage';

interface Options {
  command: 'populate' | 'report';
  config: string;
  authUrl: string;
  user: string;
  key: string;
  coverage: number | undefined;
  json: boolean;
}

export interface CopiesReport {
  /** Sampled names (containers or objects). */
  queried: number;
  expected: number;
  found: number;
  percent: number;
  /** Names with fewer copies than the ring has replicas. */
  missing: string[];
  /** % of the ring's partitions the sample covers. */
  partitionCoverage: number;
}

export async function dispersionMain(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const config = loadStorageConfig(['--config', options.config]);
    const ctx = createDaemonContext(config, await createPathHasher(config.hash), pino({ level: 'silent' }));
    const [objectRing, containerRing] = await Promise.all([ctx.ring('object'), ctx.ring('container')]);
    const session = await login(options);
    if (options.command === 'populate') {
      const result = await populate(session, objectRing, containerRing, options.coverage ?? 1, config.policies.byIndex(0)!.name);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`Created ${result.containers} containers and ${result.objects} objects for dispersion reporting (${result.coverage}% coverage)\n`);
    } else {
      const result = await report(session, objectRing, containerRing);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        for (const [kind, r] of [['container', result.container], ['object', result.object]] as const) {
          process.stdout.write(`Queried ${r.queried} ${kind}s for dispersion reporting\n`);
          process.stdout.write(`${r.percent.toFixed(2)}% of ${kind} copies found (${r.found} of ${r.expected})\n`);
          process.stdout.write(`Sample represents ${r.partitionCoverage.toFixed(2)}% of the ${kind} partition space\n`);
        }
      }
    }
    return 0;
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}

function parseArgs(argv: string[]): Options {
  const [command, ...rest] = argv;
  if (command !== 'populate' && command !== 'report') throw new Error(command === '--help' ? '' : `unknown dispersion command ${JSON.stringify(command ?? '')}`);
  const options: Options = { command, config: '', authUrl: 'http://127.0.0.1:8080/auth/v1.0', user: 'test:tester', key: 'testing', coverage: undefined, json: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === '--json') {
      options.json = true;
      continue;
    }
    const value = rest[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--config') options.config = value;
    else if (flag === '--auth-url') options.authUrl = value;
    else if (flag === '--user') options.user = value;
    else if (flag === '--key') options.key = value;
    else if (flag === '--coverage') {
      const n = Number(value);
      if (!(n > 0 && n <= 100)) throw new Error('--coverage must be a percentage above 0 and at most 100');
      options.coverage = n;
    } else throw new Error(`unknown argument ${JSON.stringify(flag)}`);
  }
  if (!options.config) throw new Error('--config is required (the cluster config naming ring_dir and the hash secrets)');
  return options;
}

interface Session {
  token: string;
  storageUrl: string;
  account: string;
  agent: Agent;
}

async function login(options: Options): Promise<Session> {
  const agent = new Agent({ connections: 16 });
  const res = await request(options.authUrl, { headers: { 'x-auth-user': options.user, 'x-auth-key': options.key }, dispatcher: agent });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`authentication as ${options.user} at ${options.authUrl} answered ${res.statusCode}`);
  const token = String(res.headers['x-auth-token']);
  const storageUrl = String(res.headers['x-storage-url']);
  const account = decodeURIComponent(new URL(storageUrl).pathname.split('/')[2] ?? '');
  return { token, storageUrl, account, agent };
}

/** Names dispersion_<n>, each in a partition no earlier one took, until `wanted` partitions are covered. */
function sampleNames(ring: Ring, wanted: number, partOf: (name: string) => number): string[] {
  const taken = new Set<number>();
  const names: string[] = [];
  for (let n = 0; taken.size < wanted && n < ring.partCount * 200; n++) {
    const name = `dispersion_${n}`;
    const part = partOf(name);
    if (taken.has(part)) continue;
    taken.add(part);
    names.push(name);
  }
  return names;
}

const wantedParts = (ring: Ring, coverage: number) => Math.max(1, Math.ceil((ring.partCount * coverage) / 100));

/** `policy0`: the name of storage policy 0, whose object ring the report checks (the default policy may be another). */
async function populate(session: Session, objectRing: Ring, containerRing: Ring, coverage: number, policy0: string) {
  const queue = new PQueue({ concurrency: 8 });
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body = '') => {
    const res = await request(`${session.storageUrl}${path}`, {
      method,
      headers: { 'x-auth-token': session.token, ...headers },
      body,
      dispatcher: session.agent,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}`);
  };
  const containers = sampleNames(containerRing, wantedParts(containerRing, coverage), (name) => containerRing.getPart(session.account, name));
  await Promise.all(containers.map((c) => queue.add(() => send('PUT', `/${quoteName(c)}`))));
  await send('PUT', `/${OBJECTS_CONTAINER}`, { [COVERAGE_HEADER]: String(coverage), 'x-storage-policy': policy0 });
  const objects = sampleNames(objectRing, wantedParts(objectRing, coverage), (name) => objectRing.getPart(session.account, OBJECTS_CONTAINER, name));
  await Promise.all(objects.map((o) => queue.add(() => send('PUT', `/${OBJECTS_CONTAINER}/${quoteName(o)}`, { 'content-type': 'text/plain' }, o))));
  await session.agent.close();
  return { containers: containers.length, objects: objects.length, coverage };
}

async function report(session: Session, objectRing: Ring, containerRing: Ring): Promise<{ container: CopiesReport; object: CopiesReport }> {
  const head = await request(`${session.storageUrl}/${OBJECTS_CONTAINER}`, { method: 'HEAD', headers: { 'x-auth-token': session.token }, dispatcher: session.agent });
  await head.body.dump();
  if (head.statusCode === 404) throw new Error(`no ${OBJECTS_CONTAINER} container: run "stowage dispersion populate" first`);
  const coverage = Number(head.headers[COVERAGE_HEADER] ?? 1);
  const containers = sampleNames(containerRing, wantedParts(containerRing, coverage), (name) => containerRing.getPart(session.account, name));
  const objects = sampleNames(objectRing, wantedParts(objectRing, coverage), (name) => objectRing.getPart(session.account, OBJECTS_CONTAINER, name));
  const result = {
    container: await countCopies(session, containerRing, containers, (name) => ({ account: session.account, container: name })),
    object: await countCopies(session, objectRing, objects, (name) => ({ account: session.account, container: OBJECTS_CONTAINER, object: name })),
  };
  await session.agent.close();
  return result;
}

/** HEADs every primary of every name directly on the storage nodes. */
async function countCopies(
  session: Session,
  ring: Ring,
  names: string[],
  pathOf: (name: string) => { account: string; container: string; object?: string },
): Promise<CopiesReport> {
  const queue = new PQueue({ concurrency: 16 });
  let found = 0;
  let expected = 0;
  const missing: string[] = [];
  const parts = new Set<number>();
  await Promise.all(
    names.map((name) =>
      queue.add(async () => {
        const path = pathOf(name);
        const part = ring.getPart(path.account, path.container, path.object);
        parts.add(part);
        const nodes = ring.getPartNodes(part);
        expected += nodes.length;
        const segments = [path.account, path.container, ...(path.object === undefined ? [] : [path.object])].map(quoteName).join('/');
        let here = 0;
        for (const node of nodes) {
          const host = node.ip.includes(':') ? `[${node.ip}]` : node.ip;
          try {
            const res = await request(`http://${host}:${node.port}/${encodeURIComponent(node.device)}/${part}/${segments}`, {
              method: 'HEAD',
              dispatcher: session.agent,
              headersTimeout: 10_000,
            });
            await res.body.dump();
            if (res.statusCode >= 200 && res.statusCode < 300) here++;
          } catch {
            // unreachable: that copy is not found
          }
        }
        found += here;
        if (here < nodes.length) missing.push(name);
      }),
    ),
  );
  return {
    queried: names.length,
    expected,
    found,
    percent: expected === 0 ? 100 : (found / expected) * 100,
    missing: missing.sort(),
    partitionCoverage: (parts.size / ring.partCount) * 100,
  };
}
