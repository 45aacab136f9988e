// Runs the real CometBFT `abci-cli` (v0.38, built into .bin/ by scripts/ensure-cometbft.sh) against an
// ABCI server: the Go client CometBFT itself uses, so a passing run means the wire format and the
// ordering rules hold for the real thing. Reusable by any test (the seqpool conformance test too).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of the pinned abci-cli; ABCI_CLI in the environment overrides it. */
export const ABCI_CLI = process.env.ABCI_CLI ?? fileURLToPath(new URL('../../.bin/abci-cli', import.meta.url));

export interface AbciCliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface AbciCliOptions {
  /** Text for stdin (the batch script). */
  stdin?: string;
  /** Kill abci-cli after this long. It retries a refused connection forever, so a bound is needed. */
  timeoutMs?: number;
}

/** Runs `abci-cli --log_level=error --address <address> <args...>` and collects its output. */
export function runAbciCli(address: string, args: string[], opts: AbciCliOptions = {}): Promise<AbciCliResult> {
  if (!existsSync(ABCI_CLI)) {
    return Promise.reject(new Error(`${ABCI_CLI} is missing: run scripts/ensure-cometbft.sh`));
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    // --log_level=error: the client logs to stdout, and at the default (debug) that would mix with results.
    const child = spawn(ABCI_CLI, ['--log_level=error', '--address', address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined); // abci-cli may exit before reading all of stdin
    child.stdin.end(opts.stdin ?? '');
  });
}

/**
 * Runs a batch script (one abci-cli command per line, e.g. `check_tx "abc"`) against `address` and
 * returns stdout, in the `--verbose` format of CometBFT's own tests/test_cli/*.abci.out golden files
 * unless `verbose: false`. Rejects when abci-cli fails (exit code, signal or timeout).
 */
export async function runAbciCliBatch(address: string, script: string, opts: { verbose?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const args = opts.verbose === false ? ['batch'] : ['--verbose', 'batch'];
  const r = await runAbciCli(address, args, { stdin: script, timeoutMs: opts.timeoutMs });
  if (r.code !== 0) {
    throw new Error(`abci-cli batch failed (code ${r.code}, signal ${r.signal}):\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}
