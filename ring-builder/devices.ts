// Devices and the two small languages operators use to name them, as in
// swift-ring-builder: the add spec "r1z1-127.0.0.1:6200R127.0.0.1:6300/sdb1_meta" and
// the search value "d1r1z1-127.0.0.1:6200/sdb1" (every part optional).
import { isIP } from 'node:net';

export interface Device {
  id: number;
  region: number;
  zone: number;
  ip: string;
  port: number;
  replication_ip: string;
  replication_port: number;
  device: string;
  weight: number;
  meta: string;
}

export class DeviceSpecError extends Error {
  readonly code = 'ERR_DEVICE_SPEC';
}

/** Device ids are stored as u16 in ring files; 0xffff marks "no device". */
export const MAX_DEVICE_ID = 0xfffe;

export type NewDevice = Omit<Device, 'id'> & { id?: number };

const IP_PART = String.raw`(\[[0-9a-fA-F:.]+\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9.-]+)`;
const ADD_SPEC_RE = new RegExp(
  String.raw`^(?:r(\d+))?z(\d+)-${IP_PART}:(\d+)(?:R${IP_PART}:(\d+))?/([^_\s]+)(?:_(.*))?$`,
);

const unbracket = (ip: string) => (ip.startsWith('[') ? ip.slice(1, -1) : ip);

function checkPort(port: number, spec: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DeviceSpecError(`invalid port in ${spec}: must be 1-65535`);
  }
  return port;
}

function checkIp(ip: string, spec: string): string {
  if (isIP(ip) === 0 && !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(ip)) {
    throw new DeviceSpecError(`invalid ip or host name in ${spec}: ${ip}`);
  }
  return ip;
}

export function parseWeight(text: string): number {
  const weight = Number(text);
  if (text.trim() === '' || !Number.isFinite(weight) || weight < 0) {
    throw new DeviceSpecError(`invalid weight ${JSON.stringify(text)}: must be a number >= 0`);
  }
  return weight;
}

/** Parses "[r<region>]z<zone>-<ip>:<port>[R<ip>:<port>]/<device>[_<meta>]". */
export function parseDeviceSpec(spec: string, weightText: string): NewDevice {
  const m = ADD_SPEC_RE.exec(spec);
  if (!m) {
    throw new DeviceSpecError(
      `invalid device spec ${JSON.stringify(spec)}: expected r<region>z<zone>-<ip>:<port>[R<ip>:<port>]/<device>[_<meta>]`,
    );
  }
  const ip = checkIp(unbracket(m[3]!), spec);
  const port = checkPort(Number(m[4]), spec);
  return {
    region: Number(m[1] ?? 1),
    zone: Number(m[2]),
    ip,
    port,
    replication_ip: m[5] ? checkIp(unbracket(m[5]), spec) : ip,
    replication_port: m[6] ? checkPort(Number(m[6]), spec) : port,
    device: m[7]!,
    weight: parseWeight(weightText),
    meta: m[8] ?? '',
  };
}

/** Validates a device given field by field (the --region/--zone/… flags). */
export function checkNewDevice(dev: NewDevice): NewDevice {
  const label = `device ${dev.ip}:${dev.port}/${dev.device}`;
  for (const field of ['region', 'zone'] as const) {
    if (!Number.isInteger(dev[field]) || dev[field] < 0) {
      throw new DeviceSpecError(`invalid ${field} for ${label}: must be an integer >= 0`);
    }
  }
  checkIp(dev.ip, label);
  checkIp(dev.replication_ip, label);
  checkPort(dev.port, label);
  checkPort(dev.replication_port, label);
  if (!dev.device || /[\s/]/.test(dev.device)) {
    throw new DeviceSpecError(`invalid device name ${JSON.stringify(dev.device)}: must be non-empty, without spaces or "/"`);
  }
  if (!Number.isFinite(dev.weight) || dev.weight < 0) {
    throw new DeviceSpecError(`invalid weight for ${label}: must be a number >= 0`);
  }
  return dev;
}

const fmtIp = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);

/** "d0r1z1-127.0.0.1:6200R127.0.0.1:6200/sdb1_\"\"", as swift-ring-builder prints it. */
export function formatDevice(dev: Device): string {
  return (
    `d${dev.id}r${dev.region}z${dev.zone}-${fmtIp(dev.ip)}:${dev.port}` +
    `R${fmtIp(dev.replication_ip)}:${dev.replication_port}/${dev.device}_"${dev.meta}"`
  );
}

export type DeviceQuery = Partial<Omit<Device, 'weight'>>;

const SEARCH_RE = new RegExp(
  '^' +
    String.raw`(?:d(\d+))?(?:r(\d+))?(?:z(\d+))?` +
    String.raw`(?:-?${IP_PART})?(?::(\d+))?` +
    String.raw`(?:R${IP_PART})?(?::(\d+))?` +
    String.raw`(?:/([^_]+))?(?:_(.*))?$`,
);

/** Parses a search value such as "d3", "z2", "127.0.0.1:6200/sdb1" or "r1z2-10.0.0.1". */
export function parseSearchValue(value: string): DeviceQuery {
  const m = value.length > 0 ? SEARCH_RE.exec(value) : null;
  if (!m || m.slice(1).every((g) => g === undefined)) {
    throw new DeviceSpecError(
      `invalid search value ${JSON.stringify(value)}: expected d<id>r<region>z<zone>-<ip>:<port>R<ip>:<port>/<device>_<meta>, any part optional`,
    );
  }
  const query: DeviceQuery = {};
  if (m[1] !== undefined) query.id = Number(m[1]);
  if (m[2] !== undefined) query.region = Number(m[2]);
  if (m[3] !== undefined) query.zone = Number(m[3]);
  if (m[4] !== undefined) query.ip = unbracket(m[4]);
  if (m[5] !== undefined) query.port = Number(m[5]);
  if (m[6] !== undefined) query.replication_ip = unbracket(m[6]);
  if (m[7] !== undefined) query.replication_port = Number(m[7]);
  if (m[8] !== undefined) query.device = m[8];
  if (m[9] !== undefined) query.meta = m[9];
  return query;
}

export function matchesQuery(dev: Device, query: DeviceQuery): boolean {
  for (const [key, want] of Object.entries(query)) {
    if (dev[key as keyof Device] !== want) return false;
  }
  return true;
}
