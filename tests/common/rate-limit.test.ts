import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttemptLimiter, type Admission, type Attempt } from '../../common/rate-limit.js';

const attemptOf = (a: Admission): Attempt => {
  assert.ok(a.admitted, 'attempt refused');
  return a.attempt;
};

test('attempts are counted before they are checked: a burst of concurrent guesses gets only the limit', () => {
  const limiter = new AttemptLimiter({ maxFailures: 5, windowMs: 60_000, maxConcurrent: 100 });
  const admissions = Array.from({ length: 40 }, () => limiter.admit(['user:alice', 'source:1.2.3.4'], 1000));
  assert.equal(admissions.filter((a) => a.admitted).length, 5);
  const refused = admissions.find((a) => !a.admitted);
  assert.ok(refused && !refused.admitted && refused.retryAfterS === 60);
});

test('concurrent checks of one key are capped, and a settled check frees its slot', () => {
  const limiter = new AttemptLimiter({ maxFailures: 100, windowMs: 60_000, maxConcurrent: 2 });
  const a = attemptOf(limiter.admit(['k'], 0));
  attemptOf(limiter.admit(['k'], 0));
  const third = limiter.admit(['k'], 0);
  assert.deepEqual(third, { admitted: false, retryAfterS: 1 });
  a.failed();
  attemptOf(limiter.admit(['k'], 0));
  assert.throws(() => a.failed(), /settled twice/);
});

test('a success refunds its attempt and resets the keys it names, not the others', () => {
  const limiter = new AttemptLimiter({ maxFailures: 3, windowMs: 60_000, maxConcurrent: 10 });
  for (let i = 0; i < 2; i++) attemptOf(limiter.admit(['user', 'source'], 0)).failed();
  attemptOf(limiter.admit(['user', 'source'], 0)).succeeded(['user']);
  // The user starts over; the source still carries its two failures.
  attemptOf(limiter.admit(['user'], 0)).failed();
  attemptOf(limiter.admit(['source'], 0)).failed();
  assert.equal(limiter.admit(['source'], 0).admitted, false);
  assert.equal(limiter.retryAfterS('source', 30_000), 30);
  assert.equal(limiter.retryAfterS('user', 30_000), 0);
});

test('a window ends: the key may try again, and checks still in flight keep their slot', () => {
  const limiter = new AttemptLimiter({ maxFailures: 2, windowMs: 10_000, maxConcurrent: 5 });
  const pending = attemptOf(limiter.admit(['k'], 0));
  attemptOf(limiter.admit(['k'], 0)).failed();
  assert.equal(limiter.admit(['k'], 5_000).admitted, false);
  // A new window still counts the check in flight, so one more attempt fits, not two.
  attemptOf(limiter.admit(['k'], 10_000)).failed();
  assert.equal(limiter.admit(['k'], 10_000).admitted, false);
  pending.failed();
  assert.equal(limiter.retryAfterS('k', 15_000), 5);
});
