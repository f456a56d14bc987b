// Device sets shared by the ring tests.
import { RingBuilder } from '../../ring-builder/index.js';
import type { NewDevice } from '../../ring-builder/devices.js';

export function device(region: number, zone: number, ip: string, name: string, weight: number): NewDevice {
  return { region, zone, ip, port: 6200, replication_ip: ip, replication_port: 6200, device: name, weight, meta: '' };
}

/** 12 devices in 4 zones (3 hosts each) with weights 100/100/200 mixed. */
export function twelveDevices(partPower = 14, minPartHours = 0): RingBuilder {
  const builder = RingBuilder.create(partPower, 3, minPartHours);
  const weights = [100, 100, 200];
  for (let z = 1; z <= 4; z++) {
    for (let h = 0; h < 3; h++) builder.addDevice(device(1, z, `10.0.${z}.${h}`, 'sdb', weights[(z + h) % 3]!));
  }
  return builder;
}

/** Partition-replicas per zone for every partition: [part][zone] counts. */
export function zoneCounts(builder: RingBuilder): Map<number, number>[] {
  const rows = builder.assignment!.replica2part2dev;
  const out: Map<number, number>[] = [];
  for (let p = 0; p < builder.partCount; p++) {
    const counts = new Map<number, number>();
    for (const row of rows) {
      const zone = builder.devs[row[p]!]!.zone;
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
    }
    out.push(counts);
  }
  return out;
}

export function snapshot(builder: RingBuilder): Uint16Array[] {
  return builder.assignment!.replica2part2dev.map((row) => row.slice());
}

/** Which partitions had any replica change between two snapshots. */
export function movedParts(before: Uint16Array[], after: Uint16Array[]): Set<number> {
  const moved = new Set<number>();
  before.forEach((row, r) => row.forEach((d, p) => d !== after[r]![p] && moved.add(p)));
  return moved;
}
