// The app-wide FIFO. CometBFT opens four connections (consensus, mempool, query, snapshot) and sends on
// all of them concurrently; the Go socket server serializes them with one mutex around the app, and the
// ABCI spec lets CometBFT rely on that (e.g. a CheckTx never observes half of a FinalizeBlock). Our app
// methods may be async, so a mutex is not enough by itself: a job must finish (its promise settle)
// before the next one starts, whichever connection it came from.

type Job = () => Promise<void>;

export class SerialQueue {
  // An array with a moving head instead of shift(): shift is O(n) on large queues.
  private jobs: Job[] = [];
  private head = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  /** Jobs waiting to start (not counting the one running). */
  get size(): number {
    return this.jobs.length - this.head;
  }

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.running || this.size > 0;
  }

  /**
   * Appends `fn`; it starts after every job enqueued before it has settled. The returned promise
   * settles with fn's outcome. A rejecting job does not stop the queue.
   */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(async () => {
        try {
          resolve(await fn());
        } catch (err) {
          reject(err);
        }
      });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once nothing runs or waits (immediately if idle). */
  onIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head]!;
      this.jobs[this.head] = undefined as unknown as Job; // let the closure be collected
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.jobs.length) {
        this.jobs = this.jobs.slice(this.head);
        this.head = 0;
      }
      await job(); // never rejects: run() wraps fn in try/catch
    }
    this.jobs = [];
    this.head = 0;
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
