// The address policy of web-download on its own: which addresses it refuses (every form of
// loopback, link-local, private, shared, unique-local and the other special-purpose ranges,
// IPv4 inside IPv6 included), which it lets through, and the networks an operator opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPolicy, parseNetworks } from '../../image-service/address-filter.js';

const policy = new AddressPolicy();

const REFUSED: [string, RegExp][] = [
  ['127.0.0.1', /loopback/],
  ['127.255.0.9', /loopback/],
  ['::1', /loopback/],
  ['::ffff:127.0.0.1', /loopback/],
  ['::ffff:7f00:1', /loopback/],
  ['0:0:0:0:0:ffff:7f00:1', /loopback/],
  ['169.254.169.254', /link-local/],
  ['::ffff:169.254.169.254', /link-local/],
  ['fe80::1', /link-local/],
  ['febf:ffff::1', /link-local/],
  ['10.0.0.1', /private/],
  ['172.16.0.1', /private/],
  ['172.31.255.255', /private/],
  ['192.168.1.1', /private/],
  ['100.64.0.1', /shared/],
  ['100.127.255.254', /shared/],
  ['fc00::1', /unique-local/],
  ['fd12:3456::1', /unique-local/],
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['::', /unspecified/],
  ['::127.0.0.1', /IPv4-compatible/],
  ['224.0.0.1', /multicast/],
  ['ff02::1', /multicast/],
  ['255.255.255.255', /broadcast/],
  ['240.0.0.1', /reserved/],
  ['198.18.0.1', /benchmarking/],
  ['192.0.2.1', /documentation/],
  ['2001:db8::1', /documentation/],
  ['64:ff9b::a9fe:a9fe', /link-local \(in NAT64\)/],
  ['64:ff9b::10.0.0.1', /private \(in NAT64\)/],
  ['64:ff9b:1::1', /local-use NAT64/],
  ['2002:a9fe:a9fe::1', /link-local \(in 6to4\)/],
  ['2002:c0a8:101::1', /private \(in 6to4\)/],
  ['2001:0:4136:e378::1', /Teredo/],
  ['fec0::1', /site-local/],
  ['localhost', /not an IP address/],
];

test('non-public addresses are refused in every form, with the range named', () => {
  for (const [address, kind] of REFUSED) {
    const why = policy.refusal(address);
    assert.ok(why !== undefined, `${address} must be refused`);
    assert.match(why, kind, address);
  }
});

test('public addresses pass, IPv4 inside IPv6 included when the IPv4 address is public', () => {
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
    assert.equal(policy.refusal(address), undefined, address);
  }
});

test('networks the operator allows pass (IPv4-mapped forms with them); the rest stays refused', () => {
  const opened = new AddressPolicy(parseNetworks(['127.0.0.1', '10.20.0.0/16', 'fd00:1::/32']));
  for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.20.3.4', 'fd00:1::5']) assert.equal(opened.refusal(address), undefined, address);
  for (const address of ['127.0.0.2', '10.21.0.1', 'fd00:2::1', '169.254.169.254']) assert.ok(opened.refusal(address), address);
});

test('a network that is not one is refused when the config is read', () => {
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x']) {
    assert.throws(() => parseNetworks([bad]), /is not an IP network/, bad);
  }
});
