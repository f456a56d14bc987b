// The image service's off-thread hashes give exactly what node:crypto gives for the same
// bytes, whatever the chunking (chunks smaller than, straddling and larger than a batch),
// for empty input, for uploads hashed at the same time, and after one was abandoned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ThreadedHashes } from '../../image-service/store/hash-threads.js';

const reference = (data: Buffer) => [createHash('md5').update(data).digest('hex'), createHash('sha512').update(data).digest('hex')];

async function hashInChunks(data: Buffer, chunkSize: number): Promise<string[]> {
  const hashes = new ThreadedHashes(['md5', 'sha512']);
  for (let offset = 0; offset < data.length; offset += chunkSize) await hashes.update(data.subarray(offset, offset + chunkSize));
  return hashes.digest();
}

test('digests match node:crypto for chunks smaller than, across and larger than a batch', async () => {
  const data = randomBytes(11 * 1024 * 1024 + 12345); // more batches than may wait at once
  for (const chunkSize of [65_536, 100_003, 3 * 1024 * 1024 + 7]) {
    assert.deepEqual(await hashInChunks(data, chunkSize), reference(data), `chunks of ${chunkSize} bytes`);
  }
});

test('empty input hashes as the empty string', async () => {
  assert.deepEqual(await new ThreadedHashes(['md5', 'sha512']).digest(), reference(Buffer.alloc(0)));
});

test('concurrent uploads do not mix their bytes', async () => {
  const inputs = [randomBytes(3_000_000), randomBytes(2_500_000), randomBytes(10)];
  const results = await Promise.all(inputs.map((data, i) => hashInChunks(data, 40_000 + i)));
  results.forEach((digests, i) => assert.deepEqual(digests, reference(inputs[i]!)));
});

test('an abandoned upload refuses more bytes and leaves the next one correct', async () => {
  const abandoned = new ThreadedHashes(['md5', 'sha512']);
  await abandoned.update(randomBytes(2_000_000));
  abandoned.drop();
  await assert.rejects(abandoned.update(Buffer.from('more')), /abandoned/);
  const data = randomBytes(1_500_000);
  assert.deepEqual(await hashInChunks(data, 65_536), reference(data));
});

test('an unknown algorithm fails the upload instead of hanging it', async () => {
  const hashes = new ThreadedHashes(['md5', 'no-such-hash']);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 40; i++) await hashes.update(randomBytes(1 << 20));
      await hashes.digest();
    })(),
    /hashing failed/,
  );
});
