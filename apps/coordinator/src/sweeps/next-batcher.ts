/** Most requests one batch decides in one transaction. */
export const MAX_BATCH = 256;

interface Waiting<Req, Res> {
  req: Req;
  resolve(res: Res): void;
  reject(err: unknown): void;
}

/**
 * Runs the requests for one key a batch at a time: while a batch is being
 * decided, requests for the same key wait here, in memory, and go together
 * in the next batch. So 1,000 agents asking one sweep at once hold one
 * database connection of this coordinator (waiting on the sweep's lock),
 * not 1,000, and the trials are read once per batch instead of once per agent.
 * Keys with nothing waiting are forgotten.
 */
export class KeyedBatcher<Req, Res> {
  readonly #queues = new Map<string, Waiting<Req, Res>[]>();
  readonly #run: (key: string, reqs: Req[]) => Promise<Res[]>;

  /** `run` answers a batch: one result per request, in order. */
  constructor(run: (key: string, reqs: Req[]) => Promise<Res[]>) {
    this.#run = run;
  }

  /** Queues a request for `key`; resolves with its own result. */
  submit(key: string, req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const queue = this.#queues.get(key);
      if (queue) {
        queue.push({ req, resolve, reject });
        return;
      }
      this.#queues.set(key, [{ req, resolve, reject }]);
      void this.#drain(key);
    });
  }

  async #drain(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const results = await this.#run(
          key,
          batch.map((w) => w.req),
        );
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.#queues.delete(key);
  }
}
