// Default rings for the local cluster: part power 10, 3 replicas, one device on each of
// four hosts (127.0.0.1-4) in four zones; built once, never rebuilt over existing ones.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RingBuilder, writeRingFile } from '../ring-builder/index.js';
import { LOCAL_NODES, MIN_PART_HOURS, PART_POWER, REPLICAS, SERVER_PORTS, localNode, type RingName } from './local-config.js';

export async function ensureDefaultRings(dataDir: string, ringDir: string, log: (msg: string) => void): Promise<void> {
  for (const name of Object.keys(SERVER_PORTS) as RingName[]) {
    const builderPath = join(ringDir, `${name}.builder`);
    const ringPath = join(ringDir, `${name}.ring`);
    if (existsSync(ringPath)) continue;
    const builder = existsSync(builderPath) ? await RingBuilder.load(builderPath) : RingBuilder.create(PART_POWER, REPLICAS, MIN_PART_HOURS);
    if (builder.activeDevices().length === 0) {
      for (let n = 1; n <= LOCAL_NODES; n++) {
        const node = localNode(dataDir, n);
        builder.addDevice({
          region: 1, zone: node.zone, ip: node.ip, port: SERVER_PORTS[name],
          replication_ip: node.ip, replication_port: SERVER_PORTS[name], device: node.device, weight: 100, meta: '',
        });
      }
      const result = builder.rebalance({ seed: 1 });
      log(`built ${name} ring: ${builder.partCount} partitions, ${REPLICAS} replicas, balance ${result.balance.toFixed(2)}, dispersion ${result.dispersion.toFixed(2)}`);
    }
    await writeRingFile(ringPath, builder.ringData());
    await builder.save(builderPath);
  }
}
