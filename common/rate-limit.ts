// Brute-force brake shared by every place that checks a secret: Keystone passwords,
// tempauth keys, S3 signatures. Each attempt is counted *before* the secret is checked
// (and refunded when it proves right), and each key may have only a few checks in flight,
// so a burst of concurrent guesses cannot slip past the count while the first ones are
// still being hashed. Past the limit, attempts for that key are refused (429 with
// Retry-After) until its window ends, without checking anything, so guessing gets no
// faster by trying harder.

/** Entries kept at most per limiter; past it, expired windows are pruned, then the oldest dropped. */
const MAX_ENTRIES = 100_000;

export interface AttemptLimits {
  /** Failed (or still unresolved) attempts tolerated per key within the window. */
  maxFailures: number;
  windowMs: number;
  /** Checks of one key in flight at once; more are refused at once. */
  maxConcurrent: number;
}

interface Window {
  startMs: number;
  /** Failed attempts plus attempts still being checked. */
  count: number;
  inFlight: number;
}

/** An admitted attempt: say how it ended, exactly once. */
export interface Attempt {
  /** The secret was right: refund this attempt and forget the failures of `resetKeys`. */
  succeeded(resetKeys?: readonly string[]): void;
  /** The secret was wrong: the attempt stays counted. */
  failed(): void;
}

export type Admission = { admitted: true; attempt: Attempt } | { admitted: false; retryAfterS: number };

export class AttemptLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limits: AttemptLimits) {}

  /**
   * Admits one attempt that concerns every key in `keys` (a user and a source address, say),
   * or says how many seconds to wait when any of them is over its limit. Nothing is counted
   * for a refused attempt.
   */
  admit(keys: readonly string[], nowMs = Date.now()): Admission {
    const windows = keys.map((key) => this.window(key, nowMs));
    let retryAfterS = 0;
    for (const w of windows) {
      if (w.count >= this.limits.maxFailures) {
        retryAfterS = Math.max(retryAfterS, Math.ceil((w.startMs + this.limits.windowMs - nowMs) / 1000));
      } else if (w.inFlight >= this.limits.maxConcurrent) {
        retryAfterS = Math.max(retryAfterS, 1);
      }
    }
    if (retryAfterS > 0) return { admitted: false, retryAfterS };
    for (const w of windows) {
      w.count++;
      w.inFlight++;
    }
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('attempt settled twice');
      settled = true;
      for (const w of windows) w.inFlight--;
    };
    return {
      admitted: true,
      attempt: {
        succeeded: (resetKeys = []) => {
          settle();
          for (const w of windows) w.count = Math.max(0, w.count - 1);
          for (const key of resetKeys) {
            const w = this.windows.get(key);
            if (w && w.inFlight === 0) this.windows.delete(key);
            else if (w) w.count = 0;
          }
        },
        failed: settle,
      },
    };
  }

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string, nowMs = Date.now()): number {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.limits.windowMs || w.count < this.limits.maxFailures) return 0;
    return Math.ceil((w.startMs + this.limits.windowMs - nowMs) / 1000);
  }

  /** The live window of `key`; an ended window starts again (in place: in-flight attempts hold it). */
  private window(key: string, nowMs: number): Window {
    let w = this.windows.get(key);
    if (!w) {
      if (this.windows.size >= MAX_ENTRIES) this.prune(nowMs);
      w = { startMs: nowMs, count: 0, inFlight: 0 };
      this.windows.set(key, w);
    } else if (nowMs - w.startMs >= this.limits.windowMs) {
      // Checks still in flight stay counted until they settle.
      w.startMs = nowMs;
      w.count = w.inFlight;
    }
    return w;
  }

  private prune(nowMs: number): void {
    for (const [key, w] of this.windows) {
      if (w.inFlight === 0 && nowMs - w.startMs >= this.limits.windowMs) this.windows.delete(key);
    }
    while (this.windows.size >= MAX_ENTRIES) this.windows.delete(this.windows.keys().next().value!);
  }
}

/** Thrown when an attempt is refused; servers answer it 429 with Retry-After. */
export class AttemptsExceeded extends Error {
  readonly code = 'ERR_ATTEMPTS_EXCEEDED';
  constructor(readonly retryAfterS: number) {
    super('Too many failed authentication attempts; try again later.');
  }
}

/**
 * Runs `verify` (true when the secret was right) as one attempt counted by every
 * (limiter, key) pair — a user's budget and a source's, say, which differ. Throws
 * AttemptsExceeded, without verifying, when any of them is over its limit. A right secret
 * refunds the attempt everywhere and clears the count of `resetKey`.
 */
export async function guardAttempt(
  budgets: ReadonlyArray<readonly [AttemptLimiter, string]>,
  verify: () => Promise<boolean> | boolean,
  resetKey?: string,
): Promise<boolean> {
  const attempts: Attempt[] = [];
  for (const [limiter, key] of budgets) {
    const admission = limiter.admit([key]);
    if (!admission.admitted) {
      // Never checked, so no failure of the budgets that did admit it.
      for (const a of attempts) a.succeeded();
      throw new AttemptsExceeded(admission.retryAfterS);
    }
    attempts.push(admission.attempt);
  }
  let ok: boolean;
  try {
    ok = await verify();
  } catch (err) {
    for (const a of attempts) a.failed();
    throw err;
  }
  for (const a of attempts) {
    if (ok) a.succeeded(resetKey === undefined ? [] : [resetKey]);
    else a.failed();
  }
  return ok;
}
