// `get-nodes <ring file> <account> [<container> [<object>]]`, in the manner of
// swift-get-nodes: the partition, the hash, then every primary and handoff as a curl
// line an operator can paste to look at that replica by hand.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashConfig, readConfigFile } from '../common/config.js';
import { createPathHasher } from '../common/path-hash.js';
import { quoteName, validatePath, type SwiftPath } from '../common/paths.js';
import { Ring } from './ring.js';
import type { Device } from './devices.js';

const USAGE = `usage: get-nodes [-a] [--config <stowage.json>] <ring file> <account> [<container> [<object>]]
  -a, --all      list every handoff, not only as many as there are replicas
  --config FILE  the cluster config holding hash_path_prefix/hash_path_suffix
                 (default: <ring dir>/../stowage.json, then $STOWAGE_DATA/stowage.json, then ./data/stowage.json)`;

/** Where the hash secrets are: the local cluster keeps rings in <data>/rings. */
function findConfig(ringPath: string, explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  const candidates = [
    join(dirname(resolve(ringPath)), '..', 'stowage.json'),
    join(process.env.STOWAGE_DATA ?? './data', 'stowage.json'),
  ];
  return candidates.find((p) => existsSync(p));
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { all: { type: 'boolean', short: 'a' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [ringPath, account, container, object, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    print(USAGE);
    return 0;
  }
  if (!ringPath || !account || extra.length) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const path: SwiftPath = { account };
  if (container !== undefined) path.container = container;
  if (object !== undefined) path.object = object;
  try {
    validatePath(path);
    const configPath = findConfig(ringPath, parsed.values.config);
    const secrets = hashConfig(readConfigFile(configPath));
    const ring = await Ring.load(ringPath, secrets);
    const hasher = await createPathHasher(secrets);
    const part = ring.getPart(account, container, object);
    const hash = hasher.hashHex(path);
    const primaries = ring.getPartNodes(part);
    const handoffs: Device[] = [];
    for (const dev of ring.getMoreNodes(part)) {
      if (!parsed.values.all && handoffs.length >= ring.replicas) break;
      handoffs.push(dev);
    }

    print(`Account  \t${account}`);
    print(`Container\t${container ?? 'None'}`);
    print(`Object   \t${object ?? 'None'}`);
    print('');
    print(`Partition\t${part}`);
    print(`Hash     \t${hash}`);
    print(`Ring     \t${basename(ringPath)} (hash secrets from ${configPath ?? 'the environment/defaults'})`);
    print('');
    const nodes = [...primaries.map((d) => [d, '']), ...handoffs.map((d) => [d, ' # [Handoff]'])] as Array<[Device, string]>;
    for (const [dev, tag] of nodes) print(`Server:Port Device\t${dev.ip}:${dev.port} ${dev.device}${tag ? '\t [Handoff]' : ''}`);
    print('');
    const target = quoteName(`/${part}/${[account, container, object].filter((s) => s !== undefined).join('/')}`);
    for (const [dev, tag] of nodes) {
      const host = dev.ip.includes(':') ? `[${dev.ip}]` : dev.ip;
      print(`curl -g -I -XHEAD "http://${host}:${dev.port}/${encodeURIComponent(dev.device)}${target}"${tag}`);
    }
    if (object !== undefined) {
      print('');
      print('On each storage node (devices directory of that node):');
      for (const [dev, tag] of nodes) {
        print(`ls -lah <devices>/${dev.device}/objects/${part}/${hash.slice(-3)}/${hash}${tag}`);
      }
    }
    return 0;
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 2;
  }
}
