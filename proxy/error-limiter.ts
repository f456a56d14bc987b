// Remembers which storage devices failed recently so requests skip them for a while
// (Swift's error_suppression_limit / error_suppression_interval).
import type { Device } from '../ring-builder/index.js';

interface NodeErrors {
  count: number;
  lastErrorMs: number;
}

export class ErrorLimiter {
  private readonly errors = new Map<string, NodeErrors>();

  constructor(
    private readonly limit: number,
    private readonly intervalMs: number,
  ) {}

  private static key(node: Device): string {
    return `${node.ip}:${node.port}/${node.device}`;
  }

  /** True while a node has had more than `limit` errors, each within `intervalMs` of the last. */
  isLimited(node: Device, nowMs = Date.now()): boolean {
    const state = this.errors.get(ErrorLimiter.key(node));
    if (!state) return false;
    if (nowMs - state.lastErrorMs > this.intervalMs) {
      this.errors.delete(ErrorLimiter.key(node));
      return false;
    }
    return state.count > this.limit;
  }

  /** One more error (a timeout, a 5xx, a reset connection). */
  recordError(node: Device, nowMs = Date.now()): void {
    const key = ErrorLimiter.key(node);
    const state = this.errors.get(key);
    if (state && nowMs - state.lastErrorMs <= this.intervalMs) {
      state.count++;
      state.lastErrorMs = nowMs;
    } else {
      this.errors.set(key, { count: 1, lastErrorMs: nowMs });
    }
  }

  /** Skip the node for the whole interval at once: it refused connections or its device is gone (507). */
  limitNow(node: Device, nowMs = Date.now()): void {
    this.errors.set(ErrorLimiter.key(node), { count: this.limit + 1, lastErrorMs: nowMs });
  }
}
