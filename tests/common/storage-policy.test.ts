// The storage policy list (common/storage-policy.ts): read from the config's
// "storage_policies" and checked by the rules of Swift's StoragePolicyCollection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../common/config.js';
import { objectRingName, policyDirName, StoragePolicies } from '../../common/storage-policy.js';

const load = (storage_policies: unknown) => StoragePolicies.fromConfig({ storage_policies });

test('no storage_policies: Policy-0 alone, the default, published with its name as its only alias', () => {
  const policies = StoragePolicies.fromConfig({});
  assert.deepEqual(
    policies.all.map((p) => [p.index, p.name, p.isDefault]),
    [[0, 'Policy-0', true]],
  );
  assert.deepEqual(policies.info(), [{ name: 'Policy-0', aliases: 'Policy-0', default: true }]);
});

test('names and aliases resolve case-insensitively; indexes from numbers or header strings', () => {
  const policies = load([
    { index: 0, name: 'gold', aliases: 'yellow, orange' },
    { index: 3, name: 'silver', aliases: ['grey'], default: true },
  ]);
  assert.equal(policies.byName('ORANGE')?.index, 0);
  assert.equal(policies.byName('Grey')?.name, 'silver');
  assert.equal(policies.byName('bronze'), undefined);
  assert.equal(policies.byIndex('3')?.name, 'silver');
  assert.equal(policies.byIndex(''), policies.byIndex(0), 'an empty index means 0, as Swift');
  assert.equal(policies.byIndex(undefined)?.name, 'gold');
  assert.equal(policies.byIndex('3x'), undefined);
  assert.equal(policies.byIndex(1), undefined);
  assert.equal(policies.default.name, 'silver');
  assert.deepEqual(policies.info(), [
    { name: 'gold', aliases: 'gold, yellow, orange' },
    { name: 'silver', aliases: 'silver, grey', default: true },
  ]);
});

test('a lone configured policy 0 becomes the default; deprecated policies are left out of /info', () => {
  assert.equal(load([{ index: 0, name: 'only' }]).default.name, 'only');
  const policies = load([
    { index: 0, name: 'old', deprecated: true },
    { index: 1, name: 'new', default: true },
  ]);
  assert.deepEqual(policies.info(), [{ name: 'new', aliases: 'new', default: true }]);
  assert.equal(policies.byName('old')?.isDeprecated, true, 'still known: existing containers keep it');
});

test('configurations Swift refuses are refused, with the reason', () => {
  const refused: Array<[unknown, RegExp]> = [
    [{ index: 0 }, /storage_policies must be an array/],
    [[{ index: 1, name: 'a', default: true }], /must specify a storage policy for index 0/],
    [[{ index: 0, name: 'a' }, { index: 1, name: 'b' }], /unable to find the default policy/],
    [[{ index: 0, name: 'a', default: true }, { index: 1, name: 'b', default: true }], /duplicate default/],
    [[{ index: 0, name: 'a', default: true }, { index: 0, name: 'b' }], /duplicate index 0/],
    [[{ index: 0, name: 'a', default: true }, { index: 1, name: 'A' }], /duplicate name A/],
    [[{ index: 0, name: 'a', aliases: 'b', default: true }, { index: 1, name: 'B' }], /duplicate name B/],
    [[{ index: 0, name: 'a', aliases: 'A' }], /already assigned to this policy/],
    [[{ index: 0, name: 'a b' }], /invalid name "a b"/],
    [[{ index: 0, name: '' }], /invalid name ""/],
    [[{ index: 0, name: 'gold' }, { index: 1, name: 'policy-0', default: true }], /reserved for policy index 0/],
    [[{ index: 0, name: 'a', default: true, deprecated: true }], /deprecated policy can not be the default/],
    [[{ index: 0, name: 'a', deprecated: true }], /not deprecated/],
    [[{ index: -1, name: 'a' }], /invalid index -1/],
    [[{ index: '0', name: 'a' }], /invalid index "0"/],
    [[{ index: 0, name: 'a', policy_type: 'erasure_coding' }], /not supported/],
    [[{ index: 0, name: 'a', colour: 'red' }], /invalid option "colour"/],
    [[{ index: 0, name: 'a', default: 'maybe' }], /default must be true or false/],
  ];
  for (const [config, reason] of refused) {
    assert.throws(() => load(config), (err: Error) => err instanceof ConfigError && reason.test(err.message), JSON.stringify(config));
  }
});

test('directory and ring names: policy 0 keeps the plain names, policy N gets -N', () => {
  assert.equal(policyDirName('objects', 0), 'objects');
  assert.equal(policyDirName('async_pending', 2), 'async_pending-2');
  assert.equal(objectRingName(0), 'object');
  assert.equal(objectRingName(7), 'object-7');
});
