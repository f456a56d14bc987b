// Which replica's storage policy wins when container replicas disagree (a container
// deleted and created again with another policy while a replica was away): Swift's
// cmp_policy_info, used by the container replicator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timestamp } from '../../common/timestamp.js';
import { remotePolicyWins, REPLICATION_RULES, type ContainerInfo } from '../../storage-node/container/db.js';

const t = (s: number) => new Timestamp(s * 100_000).internal;
const ZERO = new Timestamp(0).internal;

function info(policy: number, fields: { put: number; del?: number; changed: number; objects?: number }): ContainerInfo {
  return {
    account: 'a',
    container: 'c',
    created_at: t(1),
    put_timestamp: t(fields.put),
    delete_timestamp: fields.del === undefined ? ZERO : t(fields.del),
    status_changed_at: t(fields.changed),
    object_count: fields.objects ?? 0,
    bytes_used: 0,
    max_row: 0,
    metadata: {},
    account_targets: [],
    storage_policy_index: policy,
  };
}

test('never deleted: the oldest status change (the first creation) wins', () => {
  assert.equal(remotePolicyWins(info(0, { put: 20, changed: 20 }), info(1, { put: 10, changed: 10 })), true);
  assert.equal(remotePolicyWins(info(0, { put: 10, changed: 10 }), info(1, { put: 20, changed: 20 })), false);
});

test('a live replica wins over a deleted one; among deleted ones the newest status change', () => {
  const deleted = info(0, { put: 10, del: 20, changed: 20 });
  const live = info(1, { put: 10, changed: 10 });
  assert.equal(remotePolicyWins(deleted, live), true);
  assert.equal(remotePolicyWins(live, deleted), false);
  assert.equal(remotePolicyWins(info(0, { put: 10, del: 20, changed: 20 }), info(1, { put: 10, del: 30, changed: 30 })), true);
});

test('a re-created replica wins over one never deleted; among re-created ones the newest', () => {
  const recreated = info(1, { put: 30, del: 20, changed: 30 });
  const original = info(0, { put: 10, changed: 10 });
  assert.equal(remotePolicyWins(original, recreated), true);
  assert.equal(remotePolicyWins(recreated, original), false);
  assert.equal(remotePolicyWins(info(0, { put: 30, del: 20, changed: 30 }), info(1, { put: 40, del: 20, changed: 40 })), true);
});

test('replication merges the winning policy, with its status change time', () => {
  const local = info(0, { put: 10, changed: 10 });
  const remote = info(1, { put: 30, del: 20, changed: 30 });
  const merged = REPLICATION_RULES.mergeInfo(local, remote);
  assert.equal(merged.storage_policy_index, 1);
  assert.equal(merged.status_changed_at, t(30));
  const kept = REPLICATION_RULES.mergeInfo(remote, local);
  assert.equal(kept.storage_policy_index, 1);
});
