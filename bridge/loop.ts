// One periodic task with exponential backoff on failure, stoppable at any point: the batcher, the L1
// submitter and the relayer each run one. A step never overlaps the next; stop() waits for the step
// in progress.
import type { Logger } from '../common/log.js';

export interface LoopOptions {
  name: string;
  intervalMs: number;
  maxBackoffMs?: number;
  log: Logger;
  step(): Promise<void>;
  /** How to log a failed step (default: warn with the message). */
  onError?(e: unknown, attempt: number, retryInMs: number): void;
}

/** A task driven by a Loop (the batcher, the L1 submitter, the relayer): it starts, stops and is poked through it. */
export abstract class LoopTask {
  protected abstract readonly loop: Loop;

  start(): void {
    this.loop.start();
  }
  stop(): Promise<void> {
    return this.loop.stop();
  }
  /** Runs the next step now (a block committed something this task acts on) instead of at its interval. */
  poke(): void {
    this.loop.poke();
  }
}

export const errorLine = (e: unknown): string => {
  const x = e as { shortMessage?: string; message?: string };
  return (x.shortMessage ?? x.message ?? String(e)).split('\n')[0]!;
};

export class Loop {
  private running = false;
  private done: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  failures = 0;
  lastError: string | undefined;

  constructor(private readonly o: LoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** Runs the next step now instead of after the interval. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.done;
  }

  get isRunning(): boolean {
    return this.running;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.o.intervalMs;
      try {
        await this.o.step();
        if (this.failures > 0) this.o.log.info({ task: this.o.name, after: this.failures }, `${this.o.name} recovered`);
        this.failures = 0;
        this.lastError = undefined;
      } catch (e) {
        if (!this.running) break;
        this.failures++;
        this.lastError = errorLine(e);
        delay = Math.min(this.o.intervalMs * 2 ** Math.min(this.failures, 12), this.o.maxBackoffMs ?? 60_000);
        if (this.o.onError) this.o.onError(e, this.failures, delay);
        else this.o.log.warn({ task: this.o.name, error: this.lastError, attempt: this.failures, retryInMs: delay }, `${this.o.name} step failed; retrying`);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => (clearTimeout(t), resolve());
      });
      this.wake = undefined;
    }
  }
}
