// Default rings for the local cluster: part power 10, 3 replicas, one device on each of
// four hosts (127.0.0.1-4) in four zones; built once, never rebuilt over existing ones.
// Besides account, container and object (policy 0), one object-N ring for each storage
// policy N > 0 of the config ("storage_policies"), over the same object servers; a
// policy added later gets its ring at the next start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { objectRingName, StoragePolicies } from '../common/storage-policy.js';
import { RingBuilder, writeRingFile } from '../ring-builder/index.js';
import { LOCAL_NODES, MIN_PART_HOURS, PART_POWER, REPLICAS, SERVER_PORTS, localNode, type RingName } from './local-config.js';

export async function ensureDefaultRings(dataDir: string, ringDir: string, log: (msg: string) => void, policies = new StoragePolicies([])): Promise<void> {
  const rings: Array<{ name: string; kind: RingName; seed: number }> = [
    ...(Object.keys(SERVER_PORTS) as RingName[]).map((kind) => ({ name: kind, kind, seed: 1 })),
    // Another seed per policy: a placement of its own, not a copy of policy 0's.
    ...policies.all.filter((p) => p.index > 0).map((p) => ({ name: objectRingName(p.index), kind: 'object' as const, seed: 1 + p.index })),
  ];
  for (const { name, kind, seed } of rings) {
    const builderPath = join(ringDir, `${name}.builder`);
    const ringPath = join(ringDir, `${name}.ring`);
    if (existsSync(ringPath)) continue;
    const builder = existsSync(builderPath) ? await RingBuilder.load(builderPath) : RingBuilder.create(PART_POWER, REPLICAS, MIN_PART_HOURS);
    if (builder.activeDevices().length === 0) {
      for (let n = 1; n <= LOCAL_NODES; n++) {
        const node = localNode(dataDir, n);
        builder.addDevice({
          region: 1, zone: node.zone, ip: node.ip, port: SERVER_PORTS[kind],
          replication_ip: node.ip, replication_port: SERVER_PORTS[kind], device: node.device, weight: 100, meta: '',
        });
      }
      const result = builder.rebalance({ seed });
      log(`built ${name} ring: ${builder.partCount} partitions, ${REPLICAS} replicas, balance ${result.balance.toFixed(2)}, dispersion ${result.dispersion.toFixed(2)}`);
    }
    await writeRingFile(ringPath, builder.ringData());
    await builder.save(builderPath);
  }
}
