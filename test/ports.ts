// The one port allocator of the test suite. Every port a test listens on, or hands to a process it
// starts (anvil, cometbft, a node, a sidecar), comes from here.
//
// Why not port 0 or a fixed number: Linux hands out ports 32768-60999 to outgoing connections, so a
// port in that range that was free when checked can be taken before the process binds it (a fresh
// clone's `make test` once failed because anvil could not bind 36006). The allocator therefore only
// hands out ports in 20000-32767, splits that range between jest workers (JEST_WORKER_ID) so parallel
// test files never collide, and never hands the same port out twice in one jest run: the cursor of
// each worker lives in a small file keyed by the run (SEQPOOL_JEST_RUN, set by test/global-setup.ts),
// because jest re-evaluates this module for every test file. Each port is checked free by a bind.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortFree } from '../cometbft-config/ports.js';

/** Lowest and highest port handed out: below Linux's ephemeral range (32768-60999). */
export const TEST_PORT_MIN = 20_000;
export const TEST_PORT_MAX = 32_767;
const WORKER_SLOTS = 8;
const PER_WORKER = Math.floor((TEST_PORT_MAX + 1 - TEST_PORT_MIN) / WORKER_SLOTS); // 1595

function workerRange(): { lo: number; hi: number } {
  const slot = (Math.max(1, Number(process.env.JEST_WORKER_ID ?? '1')) - 1) % WORKER_SLOTS;
  const lo = TEST_PORT_MIN + slot * PER_WORKER;
  return { lo, hi: lo + PER_WORKER - 1 };
}

function cursorFile(): string {
  const dir = join(tmpdir(), 'seqpool-test-ports');
  mkdirSync(dir, { recursive: true });
  const run = process.env.SEQPOOL_JEST_RUN ?? `pid${process.pid}`;
  return join(dir, `${run}-w${process.env.JEST_WORKER_ID ?? '1'}`);
}

/** Reserves `count` consecutive port numbers (not yet checked) and moves the cursor past them. */
function reserve(count: number): number {
  const { lo, hi } = workerRange();
  if (count > hi - lo + 1) throw new Error(`test ports: ${count} consecutive ports do not fit in a worker's range of ${hi - lo + 1}`);
  const file = cursorFile();
  let next = lo;
  try {
    next = Number(readFileSync(file, 'utf8')) || lo;
  } catch {
    // first allocation of this worker in this run
  }
  if (next < lo || next + count - 1 > hi) next = lo; // wrapped: ports from the start of the run are long free
  writeFileSync(file, String(next + count));
  return next;
}

/** One free loopback port. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const p = reserve(1);
    if (await isPortFree(p)) return p;
  }
  throw new Error('test ports: no free port found in 200 tries');
}

/**
 * The first of `count` consecutive free loopback ports (a localnet's nodes take contiguous blocks;
 * processes started later, such as a joining validator, search upward from the block's end, so
 * callers ask for some spare room).
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const first = reserve(count);
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = await isPortFree(p);
    if (ok) return first;
  }
  throw new Error(`test ports: no ${count} consecutive free ports found in 50 tries`);
}

/** A libp2p TCP listen address on loopback with a port from the allocator. */
export async function loopbackMultiaddr(): Promise<string> {
  return `/ip4/127.0.0.1/tcp/${await freePort()}`;
}
