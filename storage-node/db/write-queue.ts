// Serialized, batched writes per database: a database applies one batch of operations
// at a time (each reads what the previous one committed), and the operations that queue
// up while a batch is being synced to disk form the next batch — group commit, one fsync
// for many updates of a busy container.

/** Applies `ops` in order and commits them durably; one result (or error) per op. */
export type CommitBatch<Op, Result> = (key: string, ops: Op[]) => Promise<Array<Result | Error>>;

interface Pending<Op, Result> {
  op: Op;
  resolve: (result: Result) => void;
  reject: (err: Error) => void;
}

export class WriteQueue<Op, Result> {
  private readonly queues = new Map<string, Array<Pending<Op, Result>>>();

  constructor(
    private readonly commit: CommitBatch<Op, Result>,
    private readonly maxBatch = 512,
  ) {}

  submit(key: string, op: Op): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue !== undefined) {
        queue.push({ op, resolve, reject });
        return;
      }
      this.queues.set(key, [{ op, resolve, reject }]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(key)!;
      if (queue.length === 0) {
        this.queues.delete(key);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
      try {
        const results = await this.commit(
          key,
          batch.map((p) => p.op),
        );
        batch.forEach((p, i) => {
          const result = results[i];
          if (result instanceof Error) p.reject(result);
          else p.resolve(result as Result);
        });
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
  }
}
