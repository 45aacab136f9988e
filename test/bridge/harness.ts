// Shared by the bridge tests: a real anvil child process, the test emitter deployed on it, a fake
// committed-state view that tests settle by hand, and bounded waits with readable failures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createTestClient, createWalletClient, http, type Hex, type PublicClient, type TestClient, type WalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { observationDigest } from '../../protocol/observations.js';
import type { StakingStateView } from '../../bridge/index.js';
import type { L1StakingEvent, Observation } from '../../proto/seqpool.js';
import { compileEmitter, emitterAbi } from './emitter.js';
import { anvilBinary } from '../../contracts/devnet.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';

// anvil's first default dev account (public test key, funded only on anvil).
const DEV_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface Chain {
  url: string;
  pub: PublicClient;
  wallet: WalletClient;
  test: TestClient;
  emitter: Hex;
  stop(): Promise<void>;
}

/** anvil on a port from the test allocator, with an event emitter deployed; stopped at the end of the
 * test file whatever happens (test/children.ts). */
export async function startChain(): Promise<Chain> {
  const port = await freePort();
  // The binary itself, not node_modules/.bin/anvil (a node wrapper whose death leaves anvil running).
  const child: ChildProcess = spawn(anvilBinary(), ['--port', String(port), '--silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  track({ stop });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const pub = createPublicClient({ chain: foundry, transport: http(url, { retryCount: 0 }) }) as PublicClient;
  try {
    await waitFor(`anvil on port ${port} answers`, async () => (await pub.getChainId().catch(() => undefined)) !== undefined, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}; anvil stderr: ${stderr.slice(0, 500)}`);
  }
  const account = privateKeyToAccount(DEV_KEY);
  const wallet = createWalletClient({ account, chain: foundry, transport: http(url) });
  const test = createTestClient({ mode: 'anvil', chain: foundry, transport: http(url) });
  const { abi, bytecode } = compileEmitter();
  const hash = await wallet.deployContract({ abi, bytecode, account, chain: foundry });
  const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (!receipt.contractAddress) throw new Error('emitter deployment produced no contract');
  return {
    url,
    pub,
    wallet,
    test,
    emitter: receipt.contractAddress,
    stop,
  };
}

/** Sends one emitter call (automine: one block each) and returns its block number and hash. */
export async function emit<F extends (typeof emitterAbi)[number]['name']>(
  c: Chain,
  functionName: F,
  args: readonly unknown[],
): Promise<{ block: bigint; blockHash: Hex; tx: Hex }> {
  const tx = await c.wallet.writeContract({ address: c.emitter, abi: emitterAbi, functionName, args, account: c.wallet.account!, chain: foundry } as never);
  const r = await c.pub.waitForTransactionReceipt({ hash: tx, pollingInterval: 50 });
  if (r.status !== 'success') throw new Error(`${functionName} reverted`);
  return { block: r.blockNumber, blockHash: r.blockHash, tx };
}

export async function mine(c: Chain, blocks: number): Promise<void> {
  await c.test.mine({ blocks });
}

/** anvil_reorg: replaces the last `depth` blocks with new ones (holding only `txs`, at block offsets). */
export async function reorg(c: Chain, depth: number, txs: [Record<string, unknown>, number][] = []): Promise<void> {
  await c.pub.request({ method: 'anvil_reorg', params: [depth, txs] } as never);
}

export const head = (c: Chain): Promise<bigint> => c.pub.getBlockNumber({ cacheTime: 0 });

/** The committed state a test controls: settle() is what FinalizeBlock would do. */
export class FakeState implements StakingStateView {
  private readonly nonces = new Map<bigint, bigint>();
  private readonly settled = new Set<string>();
  nextNonce(id: bigint): bigint {
    return this.nonces.get(id) ?? 1n;
  }
  isSettled(digest: Uint8Array): boolean {
    return this.settled.has(Buffer.from(digest).toString('hex'));
  }
  settle(obs: Observation): void {
    const ev = obs.l1Staking!;
    this.settled.add(Buffer.from(observationDigest(obs)).toString('hex'));
    this.nonces.set(ev.sequencerId, ev.nonce + 1n);
  }
}

export const events = (obs: Observation[]): L1StakingEvent[] => obs.map((o) => o.l1Staking!);
/** (sequencer, nonce) pairs, the compact shape tests compare. */
export const ids = (obs: Observation[]): string[] => events(obs).map((e) => `${e.sequencerId}/${e.nonce}`);

export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), 'seqpool-bridge-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A pino-compatible destination capturing log lines as objects, so tests can assert on what operators see. */
export function captureLogs(): { lines: Record<string, unknown>[]; write(s: string): void; messages(): string[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(s: string) {
      for (const l of s.split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
    messages: () => lines.map((l) => String(l.msg)),
  };
}

export const PUBKEY = ('0x' + '11'.repeat(64)) as Hex;
export const SIGNER = '0x00000000000000000000000000000000000000a1' as Hex;
export const SIGNER2 = '0x00000000000000000000000000000000000000a2' as Hex;
