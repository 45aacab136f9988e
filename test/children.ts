// Child processes a test file starts are stopped when the file ends, whether its setup finished or
// threw half way: a test registers each process as soon as it exists (track), and the afterAll that
// test/setup-after-env.ts installs in every test file stops whatever is still registered. (A
// Promise.all of two anvil starts whose second one failed used to leave the first one running, and
// jest then never exited.)
export interface Stoppable {
  stop(): Promise<void>;
}

const running = new Set<Stoppable>();

/** Registers `proc` to be stopped at the end of the test file; returns it. */
export function track<T extends Stoppable>(proc: T): T {
  running.add(proc);
  return proc;
}

/** Stops `proc` now and forgets it. */
export async function untrack(proc: Stoppable): Promise<void> {
  running.delete(proc);
  await proc.stop();
}

/** Stops everything still registered (errors are reported, not thrown: every process gets its stop). */
export async function stopTracked(): Promise<void> {
  const all = [...running];
  running.clear();
  const results = await Promise.allSettled(all.map((p) => p.stop()));
  for (const r of results) if (r.status === 'rejected') process.stderr.write(`stopping a test process failed: ${String(r.reason)}\n`);
}
