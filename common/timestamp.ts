// Swift's timestamps: seconds with 5 decimals ("1700000000.12345"), plus an optional
// offset that orders writes sharing one wall-clock instant ("…12345_000000000000000a").
// Kept as integer ticks of 10 µs so comparisons are exact.

const TICKS_PER_SECOND = 100_000;
const OFFSET_HEX_DIGITS = 16;
const MAX_TICKS = 9_999_999_999_99999; // "9999999999.99999", the widest normal form
const TIMESTAMP_RE = /^(\d{1,10})(?:\.(\d{1,5})\d*)?(?:_([0-9a-fA-F]{1,16}))?$/;

/** The last tick now() returned, so that it never returns one twice. */
let lastNow = 0;

export class InvalidTimestampError extends Error {
  readonly code = 'ERR_INVALID_TIMESTAMP';
}

export class Timestamp {
  /** Units of 10 microseconds since the epoch. */
  readonly ticks: number;
  /** Orders several writes made at the same tick; 0 for an ordinary write. */
  readonly offset: number;

  constructor(ticks: number, offset = 0) {
    if (!Number.isSafeInteger(ticks) || ticks < 0 || ticks > MAX_TICKS) {
      throw new InvalidTimestampError(`timestamp out of range: ${ticks} ticks`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidTimestampError(`timestamp offset out of range: ${offset}`);
    }
    this.ticks = ticks;
    this.offset = offset;
  }

  /**
   * The current time to the tick, as Swift's time.time(): Date.now() gives milliseconds
   * only, so the monotonic clock supplies the tenths and hundredths of the millisecond.
   * Two writers of one object then rarely share a timestamp (with equal timestamps,
   * replicas could keep different bodies), and this process never hands out one twice.
   */
  static now(): Timestamp {
    let ticks = Date.now() * (TICKS_PER_SECOND / 1000) + Math.floor((performance.now() * 100) % 100);
    if (ticks <= lastNow) ticks = lastNow + 1;
    lastNow = ticks;
    return new Timestamp(ticks);
  }

  static fromSeconds(seconds: number, offset = 0): Timestamp {
    return new Timestamp(Math.round(seconds * TICKS_PER_SECOND), offset);
  }

  /** Parses the normal or internal form ("1700000000.12345[_<hex offset>]"). */
  static parse(text: string): Timestamp {
    const m = TIMESTAMP_RE.exec(text.trim());
    if (!m) throw new InvalidTimestampError(`invalid timestamp: ${JSON.stringify(text)}`);
    const whole = Number(m[1]);
    const frac = Number((m[2] ?? '').padEnd(5, '0'));
    const offset = m[3] ? Number.parseInt(m[3], 16) : 0;
    return new Timestamp(whole * TICKS_PER_SECOND + frac, offset);
  }

  get seconds(): number {
    return this.ticks / TICKS_PER_SECOND;
  }

  /** "1700000000.12345": what clients see in X-Timestamp and listings. */
  get normal(): string {
    const whole = Math.floor(this.ticks / TICKS_PER_SECOND);
    const frac = this.ticks % TICKS_PER_SECOND;
    return `${String(whole).padStart(10, '0')}.${String(frac).padStart(5, '0')}`;
  }

  /** The normal form, with "_<16 hex digits>" when there is an offset: used on disk. */
  get internal(): string {
    if (this.offset === 0) return this.normal;
    return `${this.normal}_${this.offset.toString(16).padStart(OFFSET_HEX_DIGITS, '0')}`;
  }

  /** The same instant with a larger offset: a write that must win over this one. */
  withOffset(offset: number): Timestamp {
    return new Timestamp(this.ticks, offset);
  }

  compare(other: Timestamp): number {
    return this.ticks - other.ticks || this.offset - other.offset;
  }

  isNewerThan(other: Timestamp): boolean {
    return this.compare(other) > 0;
  }

  toString(): string {
    return this.internal;
  }

  toJSON(): string {
    return this.internal;
  }
}
