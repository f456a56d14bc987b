// Which IP addresses web-download may connect to. A URL a user gives the service must not
// reach what only the service can reach: loopback, link-local (169.254.169.254 is the
// cloud metadata service), private and shared (CGNAT) networks, unique-local IPv6, and
// the other special-purpose ranges of the IANA registries (RFC 6890 and successors).
// The same ranges are refused in every IPv6 form that carries an IPv4 address: mapped
// (::ffff:a.b.c.d, which net.BlockList matches against the IPv4 rules itself), NAT64
// (64:ff9b::/96) and 6to4 (2002::/16). The operator may open some networks again
// (web_download_allowed_networks), e.g. a mirror on a private network.
import { BlockList, isIP } from 'node:net';

interface Rule {
  kind: string;
  list: BlockList;
}

/** IPv4 special-purpose ranges, and what they are (for the refusal message). */
const IPV4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

/** IPv6 special-purpose ranges; the more specific first, as the first match names the kind. */
const IPV6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'IETF protocol assignment (Teredo, ORCHID…)'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

/** "10.1.2.3" → "0a01:0203": the two IPv6 groups 6to4 carries the address in. */
function ipv4AsGroups(v4: string): string {
  const hex = v4.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'));
  return `${hex[0]}${hex[1]}:${hex[2]}${hex[3]}`;
}

function rule(kind: string, address: string, prefix: number, family: 'ipv4' | 'ipv6'): Rule {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { kind, list };
}

const RULES: Rule[] = [
  ...IPV4_RANGES.map(([address, prefix, kind]) => rule(kind, address, prefix, 'ipv4')),
  ...IPV6_RANGES.map(([address, prefix, kind]) => rule(kind, address, prefix, 'ipv6')),
  ...IPV4_RANGES.map(([address, prefix, kind]) => rule(`${kind} (in NAT64)`, `64:ff9b::${address}`, 96 + prefix, 'ipv6')),
  ...IPV4_RANGES.map(([address, prefix, kind]) => rule(`${kind} (in 6to4)`, `2002:${ipv4AsGroups(address)}::`, 16 + prefix, 'ipv6')),
];

const family = (address: string): 'ipv4' | 'ipv6' | undefined => {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
};

/**
 * Parses networks in CIDR notation ("10.0.0.0/8", "fd00::/8") or single addresses; throws
 * an Error naming the first one that is not valid.
 */
export function parseNetworks(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const fam = family(address);
    const prefix = bits === undefined ? (fam === 'ipv4' ? 32 : 128) : Number(bits);
    const max = fam === 'ipv4' ? 32 : 128;
    if (fam === undefined || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '') {
      throw new Error(`"${entry}" is not an IP network (address/prefix)`);
    }
    list.addSubnet(address, prefix, fam);
  }
  return list;
}

export class AddressPolicy {
  /** `allowed`: networks the operator lets web-download reach although they are special-purpose. */
  constructor(private readonly allowed: BlockList = new BlockList()) {}

  /** Why web-download may not connect to `address`, or undefined when it may. */
  refusal(address: string): string | undefined {
    const fam = family(address);
    if (fam === undefined) return `${address} is not an IP address`;
    if (this.allowed.check(address, fam)) return undefined;
    const match = RULES.find((r) => r.list.check(address, fam));
    return match ? `${address} is not a public address (${match.kind})` : undefined;
  }
}
