// Brute-force brake: failed password authentications are counted per user and per source
// address in a fixed window; past the limit, further attempts for that user or from that
// source are refused (429 with Retry-After) until the window ends, without checking the
// password, so guessing gets no faster by trying harder.

/** Entries kept at most; past it, expired windows are pruned and then the oldest dropped. */
const MAX_ENTRIES = 100_000;

interface Window {
  startMs: number;
  failures: number;
}

export class FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string, nowMs = Date.now()): number {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.windowMs) return 0;
    return w.failures >= this.limit ? Math.ceil((w.startMs + this.windowMs - nowMs) / 1000) : 0;
  }

  recordFailure(key: string, nowMs = Date.now()): void {
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.windowMs) {
      this.windows.delete(key);
      w = { startMs: nowMs, failures: 0 };
      if (this.windows.size >= MAX_ENTRIES) this.prune(nowMs);
      this.windows.set(key, w);
    }
    w.failures++;
  }

  /** A success forgets the user's failures (not the source's: one valid account must not unlock guessing others). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  private prune(nowMs: number): void {
    for (const [key, w] of this.windows) if (nowMs - w.startMs >= this.windowMs) this.windows.delete(key);
    while (this.windows.size >= MAX_ENTRIES) this.windows.delete(this.windows.keys().next().value!);
  }
}
