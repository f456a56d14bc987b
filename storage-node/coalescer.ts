// At most one run of a task per key at a time. A call made while a run is in flight
// does not start another: it waits for the single run queued behind the current one,
// which every such call shares. With tasks that read the latest state when they start,
// each call is covered by a run that began after it, and a burst of N changes costs at
// most two runs.

interface Slot<T> {
  queued: Promise<T> | null;
  startQueued: (() => void) | null;
}

export class Coalescer<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  run(key: string, task: () => Promise<T>): Promise<T> {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      const fresh: Slot<T> = { queued: null, startQueued: null };
      this.slots.set(key, fresh);
      return this.track(this.execute(key, fresh, task));
    }
    slot.queued ??= new Promise<T>((resolve, reject) => {
      slot.startQueued = () => {
        slot.queued = null;
        this.track(this.execute(key, slot, task)).then(resolve, reject);
      };
    });
    return slot.queued;
  }

  /** Resolves when no run is in flight, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now())));
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
      clearTimeout(timer);
    }
  }

  private async execute(key: string, slot: Slot<T>, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      const next = slot.startQueued;
      slot.startQueued = null;
      if (next) next();
      else this.slots.delete(key);
    }
  }

  private track(run: Promise<T>): Promise<T> {
    this.inFlight.add(run);
    const forget = () => this.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }
}
