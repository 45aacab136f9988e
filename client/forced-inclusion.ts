// Forcing an L2 transaction through L1 (issue 16, decision 46), as a user does it: check that the
// signed transaction is one the pool's rule can include (protocol/forced-block.ts), or sign a small
// transfer, then pay BatchInbox.forceInclude and read the entry back from the receipt. Used by
// `seqpool l2 force-include` (cli/force-include-command.ts); waiting for the L2 block and the batch
// is client/forced-wait.ts.
//
// The pool consumes an entry whatever it holds; one that is not a valid transaction when the
// producer reaches it is consumed *as invalid*, without executing (the fee is gone). So the checks
// here refuse what the rule would refuse, the static half exactly (parseForcedTx) and the dynamic
// half (nonce, balance, fee cap against the L2's state now) by the same eth_simulateV1 validation
// the producer runs, at the L2's latest block: a hint, since the state may change before inclusion.
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  getAddress,
  http,
  keccak256,
  parseEventLogs,
  parseTransaction,
  recoverTransactionAddress,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionSerialized,
} from 'viem';
import { artifact } from '../contracts/artifacts.js';
import { accountClients } from '../contracts/clients.js';
import { INVALID_TX_CODES, parseForcedTx } from '../protocol/forced-block.js';
import { FORCED_QUEUE_ABI, ForcedQueueReader, MAX_FORCED_TX_BYTES, type ForcedQueueL1, type ForcedQueueSettings } from '../protocol/forced-queue.js';

/** A failure the user can act on; the message says what to do. */
export class ForceIncludeError extends Error {
  override readonly name = 'ForceIncludeError';
}

/** viem's errors span a dozen lines with the request dump; one line with the reason. */
export function viemLine(e: unknown): string {
  const v = e as { shortMessage?: string; details?: string; message?: string };
  if (!v.shortMessage) return String(v.message ?? e).split('\n')[0]!;
  return `${v.shortMessage.split('\n')[0]}${v.details ? ` (${v.details})` : ''}`;
}

/** A viem client of an L1 or L2 JSON-RPC (short timeouts: the CLI reports a dead node, it does not hang). */
export const rpcClient = (url: string): PublicClient => createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }), pollingInterval: 500 }) as PublicClient;

export interface ForcedTxCheck {
  /** keccak256 of the raw transaction: its hash on L2. */
  hash: Hex;
  /** The signer (undefined when the signature does not recover). */
  from?: Address;
  nonce: number;
  chainId: number;
  /** Why the pool would consume it as invalid (undefined: nothing found). */
  problem?: string;
  /** What could not be checked, and why. */
  notes: string[];
}

/**
 * Checks a signed L2 transaction against the forced-block rule. `chainId` is the L2's (undefined: not
 * known, the transaction's own is taken and a note says so); with `l2`, also against the L2's state now.
 */
export async function checkForcedTx(tx: Hex, chainId: bigint | undefined, l2?: PublicClient): Promise<ForcedTxCheck> {
  const notes: string[] = [];
  if ((tx.length - 2) / 2 > MAX_FORCED_TX_BYTES) throw new ForceIncludeError(`the transaction is ${(tx.length - 2) / 2} bytes; BatchInbox takes at most ${MAX_FORCED_TX_BYTES} (MAX_FORCED_TX_BYTES)`);
  let own: ReturnType<typeof parseTransaction>;
  try {
    own = parseTransaction(tx);
  } catch (e) {
    throw new ForceIncludeError(`--tx is not a signed transaction (${viemLine(e)}): pass the raw signed bytes, as eth_sendRawTransaction takes them`);
  }
  if (chainId === undefined) notes.push('the L2 chain id is not known (no --l2 or --dir): not checked');
  const parsed = await parseForcedTx(tx, chainId ?? BigInt(own.chainId ?? 0));
  const base = { hash: keccak256(tx), nonce: own.nonce ?? 0, chainId: own.chainId ?? 0, notes };
  if (typeof parsed === 'string') {
    // Still name the sender where the signature recovers (a wrong chain id, a legacy type).
    const from = await recoverTransactionAddress({ serializedTransaction: tx as TransactionSerialized }).catch(() => undefined);
    return { ...base, ...(from ? { from } : {}), problem: parsed };
  }
  const from = getAddress(parsed.from);
  const check: ForcedTxCheck = { ...base, from };
  if (!l2) {
    notes.push('no L2 RPC: nonce, balance and fee cap not checked');
    return check;
  }
  const block = await l2.getBlock({ blockTag: 'latest' });
  if (parsed.gas > block.gasLimit) return { ...check, problem: `gas ${parsed.gas} above the L2 block gas limit ${block.gasLimit}` };
  const code = await l2.getCode({ address: from });
  if (code && code !== '0x') return { ...check, problem: `sender ${from} has code (a contract or an EIP-7702 delegation): forced transactions come from plain accounts` };
  try {
    await l2.request({ method: 'eth_simulateV1' as never, params: [{ blockStateCalls: [{ calls: [parsed.call] }], validation: true }, 'latest'] as never });
  } catch (e) {
    const code = (e as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (e as { code?: unknown }).code;
    if (typeof code === 'number' && INVALID_TX_CODES.has(code)) return { ...check, problem: `the L2 refuses it now: ${viemLine(e)}` };
    notes.push(`the L2 could not simulate it (${viemLine(e)}): nonce, balance and fee cap not checked`);
  }
  return check;
}

/** How much above the current base fee a built transfer's fee cap goes (see buildForcedTransfer). */
export const FEE_CAP_BASE_FEE_MULTIPLE = 4n;

/** A signed EIP-1559 transfer from `account` on the L2 at `l2` (nonce: its pending one). */
export async function buildForcedTransfer(l2: PublicClient, account: Account, to: Address, value: bigint): Promise<Hex> {
  if (!account.signTransaction) throw new ForceIncludeError('the L2 key cannot sign transactions');
  const [chainId, nonce, block, tip] = await Promise.all([
    l2.getChainId(),
    l2.getTransactionCount({ address: account.address, blockTag: 'pending' }),
    l2.getBlock({ blockTag: 'latest' }),
    l2.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
  ]);
  if (block.baseFeePerGas === null) throw new ForceIncludeError(`the L2 block ${block.number} has no base fee: forced transactions are EIP-1559 and need a London chain`);
  const gas = await l2.estimateGas({ account: account.address, to, value });
  // The entry waits on L1 up to forceWindow (and escapeDelay more if the pool stops) before a block
  // executes it; a fee cap below that block's base fee makes the pool consume it as invalid. The base
  // fee moves at most 12.5% a block, so 4x the current one survives ~12 full blocks in a row, and the
  // cap costs nothing unless used: the sender pays the base fee of the block plus the tip.
  const maxFeePerGas = FEE_CAP_BASE_FEE_MULTIPLE * block.baseFeePerGas + tip;
  return account.signTransaction({ type: 'eip1559', chainId, nonce, to, value, gas, maxFeePerGas, maxPriorityFeePerGas: tip });
}

export interface ForcedEntryReceipt {
  index: bigint;
  chainHash: Hex;
  l1Block: bigint;
  /** L1 block timestamp (unix s). */
  timestamp: bigint;
  l1TxHash: Hex;
  fee: bigint;
  payer: Address;
  settings: ForcedQueueSettings;
}

export interface SubmitOptions {
  l1Url: string;
  inbox: Address;
  /** The paying L1 account's private key. */
  key: Hex;
  tx: Hex;
  /** Wei to pay (default: BatchInbox.forceFee). */
  fee?: bigint;
  /** Longest wait for the L1 receipt; default 120 s. */
  receiptTimeoutMs?: number;
}

const INBOX_ABI = artifact('BatchInbox').abi;

/** The contract's refusal in words that say what to do. */
function refusal(e: unknown, payer: Address): string {
  const reverted = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : undefined;
  const data = (reverted as ContractFunctionRevertedError | undefined)?.data;
  const args = (data?.args ?? []) as readonly bigint[];
  if (data?.errorName === 'ForceFeeTooLow') return `BatchInbox refuses a fee of ${args[1]} wei: forceFee is ${args[0]} wei (leave --fee out to pay it)`;
  if (data?.errorName === 'ForcedTxTooLarge') return `the transaction is ${args[1]} bytes; BatchInbox takes at most ${args[0]} (MAX_FORCED_TX_BYTES)`;
  if (data?.errorName === 'EmptyForcedTx') return 'the transaction is empty';
  if (data?.errorName) return `BatchInbox.forceInclude reverts with ${data.errorName}(${args.join(', ')})`;
  const line = viemLine(e);
  if (/insufficient funds|exceeds the balance/i.test(line)) return `the payer ${payer} cannot pay the fee and the gas on L1 (${line}): fund it or pass another --key`;
  return `BatchInbox.forceInclude would fail: ${line}`;
}

/** Pays forceInclude(tx) and waits for its receipt; the entry as the ForcedInclusion event has it. */
export async function submitForcedTx(o: SubmitOptions): Promise<ForcedEntryReceipt> {
  const { pub, wallet, account, chain } = await accountClients(o.l1Url, o.key).catch((e: unknown) => {
    throw new ForceIncludeError(`cannot reach the L1 at ${o.l1Url}: ${viemLine(e)}`);
  });
  const code = await pub.getCode({ address: o.inbox }).catch((e: unknown) => {
    throw new ForceIncludeError(`cannot read the L1 at ${o.l1Url}: ${viemLine(e)}`);
  });
  if (!code || code === '0x') throw new ForceIncludeError(`no contract at ${o.inbox} on the L1 at ${o.l1Url} (chain ${chain.id}): is that the BatchInbox address, and this L1 the one it was deployed on?`);
  const reader = new ForcedQueueReader(pub as unknown as ForcedQueueL1, o.inbox, async () => pub.getBlockNumber());
  const settings = await reader.settings().catch((e: unknown) => {
    throw new ForceIncludeError(`${o.inbox} has no forced-inclusion queue (forceFee() fails: ${viemLine(e)}): is it a BatchInbox of this version?`);
  });
  const fee = o.fee ?? settings.forceFee;
  const { request } = await pub.simulateContract({ abi: INBOX_ABI, address: o.inbox, functionName: 'forceInclude', args: [o.tx], value: fee, account, chain }).catch((e: unknown) => {
    throw new ForceIncludeError(refusal(e, account.address));
  });
  const l1TxHash = await wallet.writeContract(request).catch((e: unknown) => {
    throw new ForceIncludeError(refusal(e, account.address));
  });
  const timeout = o.receiptTimeoutMs ?? 120_000;
  const receipt = await pub.waitForTransactionReceipt({ hash: l1TxHash, timeout }).catch((e: unknown) => {
    throw new ForceIncludeError(`L1 tx ${l1TxHash} has no receipt after ${timeout / 1000} s (${viemLine(e)}): it may still be mined; see BatchInbox.forcedQueueLength on ${o.l1Url}`);
  });
  if (receipt.status !== 'success') throw new ForceIncludeError(`L1 tx ${l1TxHash} reverted in L1 block ${receipt.blockNumber}`);
  const [ev] = parseEventLogs({ abi: FORCED_QUEUE_ABI, logs: receipt.logs, eventName: 'ForcedInclusion' }).filter((l) => l.address.toLowerCase() === o.inbox.toLowerCase());
  if (!ev) throw new ForceIncludeError(`L1 tx ${l1TxHash} emitted no ForcedInclusion event from ${o.inbox}`);
  return { index: ev.args.index, chainHash: ev.args.chainHash, l1Block: ev.args.l1Block, timestamp: ev.args.timestamp, l1TxHash, fee, payer: account.address, settings };
}
