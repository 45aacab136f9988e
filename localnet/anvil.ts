// The localnet's L1 and L2 devnets: anvil processes that, like the validators, may outlive the
// command that started them (`up --detach`), so they are spawned detached with a pid recorded in
// localnet.json (contracts/devnet.ts' startAnvil keeps its child attached, for tests). Each keeps its
// chain in DIR/<name>-state.json (`--state`, dumped every second and on exit) so that `up` after
// `down` resumes the same chain: same blocks, same contracts, same locks.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { anvilBinary, chainIdAt } from '../contracts/devnet.js';

export interface AnvilRecord {
  name: 'l1' | 'l2';
  url: string;
  port: number;
  chainId: number;
  pid?: number;
  stateFile: string;
  logFile: string;
}

export const L1_CHAIN_ID = 31337;
export const L2_CHAIN_ID = 31338;
/** anvil's `finalized` block trails its head by two epochs of this many slots (its default, 32,
 * would make the bridge wait 64 blocks): the localnet's L1 finalizes two blocks behind its head, so
 * the bridge follows finality (decision 38) as fast as it used to follow K = 2 confirmations. */
export const L1_SLOTS_PER_EPOCH = 1;


export function anvilRecord(dir: string, name: 'l1' | 'l2', port: number): AnvilRecord {
  return { name, port, url: `http://127.0.0.1:${port}`, chainId: name === 'l1' ? L1_CHAIN_ID : L2_CHAIN_ID, stateFile: join(dir, `${name}-state.json`), logFile: join(dir, `${name}-anvil.log`) };
}

/**
 * Starts anvil for `rec` and resolves with its pid once the RPC answers. `blockTime` undefined means
 * automine (fast deployment); the localnet switches to interval mining afterwards.
 */
export async function launchAnvil(rec: AnvilRecord, opts: { blockTime?: number; detach?: boolean; timeoutMs?: number } = {}): Promise<number> {
  if ((await chainIdAt(rec.url)) !== undefined) throw new Error(`${rec.name}: something already answers on ${rec.url}; stop it or run \`seqpool localnet down\``);
  const args = ['--port', String(rec.port), '--host', '127.0.0.1', '--chain-id', String(rec.chainId), '--state', rec.stateFile, '--state-interval', '1'];
  if (rec.name === 'l1') args.push('--slots-in-an-epoch', String(L1_SLOTS_PER_EPOCH));
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  mkdirSync(dirname(rec.logFile), { recursive: true });
  const fd = openSync(rec.logFile, 'a');
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  if (opts.detach) child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${code ?? signal}`));
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const id = await chainIdAt(rec.url);
    if (id === rec.chainId) break;
    if (id !== undefined) throw new Error(`${rec.name}: ${rec.url} answers with chain id ${id}, expected ${rec.chainId}`);
    if (exited) throw new Error(`${rec.name}: anvil exited (${exited}) before answering on ${rec.url}; see ${rec.logFile}`);
    if (Date.now() > deadline) throw new Error(`${rec.name}: anvil did not answer on ${rec.url}; see ${rec.logFile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid === undefined) throw new Error(`${rec.name}: anvil has no pid`);
  return child.pid;
}

/** Switches a running anvil to one block every `seconds` (after an automined deployment). */
export async function setIntervalMining(url: string, seconds: number): Promise<void> {
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_setIntervalMining', params: [seconds] }) });
}

export async function blockNumber(url: string): Promise<bigint | undefined> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }), signal: AbortSignal.timeout(1_000) });
    const r = (await res.json()) as { result?: string };
    return r.result ? BigInt(r.result) : undefined;
  } catch {
    return undefined;
  }
}
