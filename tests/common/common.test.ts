import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timestamp, InvalidTimestampError } from '../../common/timestamp.js';
import { splitPath, validatePath, quoteName, quotePath, InvalidPathError } from '../../common/paths.js';
import { createPathHasher, partitionOf } from '../../common/path-hash.js';

test('timestamps print in Swift normal and internal form', () => {
  const ts = Timestamp.parse('1700000000.12345');
  assert.equal(ts.normal, '1700000000.12345');
  assert.equal(ts.internal, '1700000000.12345');
  assert.equal(ts.withOffset(10).internal, '1700000000.12345_000000000000000a');
  assert.equal(Timestamp.parse('1700000000.12345_000000000000000a').offset, 10);
  assert.equal(Timestamp.parse('1700000000').normal, '1700000000.00000');
  assert.equal(Timestamp.parse('1.5').normal, '0000000001.50000');
  assert.equal(Timestamp.fromSeconds(1700000000.123456).normal, '1700000000.12346');
});

test('timestamps order by time, then offset', () => {
  const a = Timestamp.parse('1700000000.12345');
  const b = Timestamp.parse('1700000000.12346');
  assert.ok(b.isNewerThan(a));
  assert.ok(a.withOffset(1).isNewerThan(a));
  assert.ok(b.isNewerThan(a.withOffset(99)));
  assert.ok(Timestamp.now().isNewerThan(a));
});

test('now() is the wall clock to 10 µs and never repeats within a process', () => {
  const stamps = Array.from({ length: 5000 }, () => Timestamp.now());
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i]!.isNewerThan(stamps[i - 1]!), `stamp ${i} is newer`);
  assert.ok(Math.abs(stamps[0]!.seconds - Date.now() / 1000) < 1, 'close to Date.now()');
});

test('bad timestamps are refused with a clear error', () => {
  for (const bad of ['', 'abc', '-1', '1700000000.1_xyz', '17000000000000.1']) {
    assert.throws(() => Timestamp.parse(bad), InvalidTimestampError, bad);
  }
});

test('paths split and validate with Swift limits', () => {
  assert.deepEqual(splitPath('/AUTH_test/c/a/b/c.txt', 1, 3), { account: 'AUTH_test', container: 'c', object: 'a/b/c.txt' });
  assert.deepEqual(splitPath('/AUTH_test', 1, 1), { account: 'AUTH_test' });
  assert.throws(() => splitPath('/AUTH_test', 2, 3), /expected 2 to 3/);
  assert.throws(() => splitPath('no-slash'), /must start with/);
  assert.throws(() => validatePath({ account: 'a', container: 'c', object: 'x'.repeat(1025) }), /1025 bytes long; the limit is 1024/);
  assert.throws(() => validatePath({ account: 'a', container: 'c'.repeat(257) }), /limit is 256/);
  assert.throws(() => validatePath({ account: 'a', container: '' }), InvalidPathError);
  assert.throws(() => validatePath({ account: 'a', container: 'c', object: 'bad\0' }), /NUL/);
  assert.throws(() => validatePath({ account: 'a', container: 'c', object: 'bad\ud800' }), /UTF-8/);
});

test('the partition is the top part_power bits of xxhash64(prefix + path + suffix)', async () => {
  const hasher = await createPathHasher({ hashPrefix: 'pre', hashSuffix: 'suf' });
  const other = await createPathHasher({ hashPrefix: 'pre', hashSuffix: 'other' });
  const path = { account: 'AUTH_test', container: 'c', object: 'o' };
  const hash = hasher.hash(path);
  assert.equal(hasher.partition(path, 10), Number(hash >> 54n));
  assert.equal(hasher.partition(path, 32), Number(hash >> 32n));
  assert.equal(hasher.partition(path, 1), Number(hash >> 63n));
  assert.notEqual(other.hash(path), hash, 'the suffix salts the hash');
  assert.equal(partitionOf(0xffffffffffffffffn, 18), 2 ** 18 - 1);
  assert.equal(partitionOf(0n, 18), 0);
});

test('on-disk names are the 128-bit MD5 of prefix + path + suffix, as Swift hash_path does', async () => {
  const hasher = await createPathHasher({ hashPrefix: 'pre', hashSuffix: 'suf' });
  const path = { account: 'AUTH_test', container: 'c', object: 'o' };
  assert.equal(hasher.hashHex(path), createHash('md5').update('pre/AUTH_test/c/osuf').digest('hex'));
  assert.match(hasher.hashHex({ account: 'AUTH_test' }), /^[0-9a-f]{32}$/);
  assert.notEqual(hasher.hashHex(path), hasher.hashHex({ ...path, object: 'p' }));
});

test('names are quoted for URLs keeping the slashes of object names', () => {
  assert.equal(quoteName('dir/a b?#%.txt'), 'dir/a%20b%3F%23%25.txt');
  assert.equal(quotePath({ account: 'AUTH_test', container: 'c d', object: 'x/ü' }), '/AUTH_test/c%20d/x/%C3%BC');
  assert.equal(quotePath({ account: 'AUTH_test' }), '/AUTH_test');
});
