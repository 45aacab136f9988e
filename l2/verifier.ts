// The rollup's verifier (issue 13, decision 44): rebuilds the L2 from L1 alone. It reads the
// BatchAppended events of a BatchInbox up to a confirmed L1 block, takes each batch's data from the
// calldata of the transaction that emitted the event (BatchInbox accepts only top-level calls from
// plain EOAs, so the data is always there, and an ordinary L1 RPC serves it), decodes it
// (protocol/batch-data.ts) and feeds every block to a fresh geth started from the L2 genesis through
// engine_newPayload. geth re-executes each block: a wrong state root, receipt, bloom, gas figure or
// block hash is INVALID. Trusted: the L1 RPC and the genesis file, nothing of the pool's. With the
// pool's L2 RPC given, each rebuilt block's hash is also compared with the pool's.
//
// An escape-hatch batch (decision 46: zero producer, no calldata) has no data of its own: its blocks
// are derived from the forced-inclusion entries it consumes (protocol/forced-escape.ts), read from
// L1's ForcedInclusion events and checked against the queue's hash chain.
//
// The first problem ends the run (VerifyFailure names the batch or L2 block at fault): after it, the
// L2 as L1 describes it is not defined, so nothing later can be checked against it.
import { BlockNotFoundError, createPublicClient, decodeFunctionData, getAbiItem, hexToBytes, http, keccak256, type Abi, type AbiEvent, type Address, type Hex, type PublicClient } from 'viem';
import { abiOf } from '../contracts/artifacts.js';
import { BatchDataError, decodeBatchData, payloadOf, type BatchContent } from '../protocol/batch-data.js';
import { blobVersionedHashes, type L2Payload } from '../protocol/l2-block.js';
import { ForcedQueueReader, type ForcedQueueL1 } from '../protocol/forced-queue.js';
import { deriveEscapeBlocks } from '../protocol/forced-escape.js';
import type { EngineClient, ExecutionPayload } from './engine.js';

/** Blocks behind the L1 head read when the L1 has no 'finalized' tag: two Ethereum epochs. */
export const FALLBACK_CONFIRMATIONS = 64;
/** L1 blocks per eth_getLogs (public RPCs often cap a range at a few thousand). */
export const DEFAULT_LOG_CHUNK = 2_000n;

export interface VerifyOptions {
  l1Url: string;
  inbox: Address;
  /** A geth initialised from the L2 genesis with no block after it (l2/verifier-geth.ts starts one). */
  engine: EngineClient;
  /** The pool's L2 JSON-RPC: each rebuilt block's hash must equal its block at that height. */
  l2Url?: string;
  /** Read up to latest - N; default: the L1's finalized block (latest - 64 without that tag). */
  confirmations?: number;
  /** First L1 block to search for events (the inbox's deployment block; default 0). */
  fromL1Block?: bigint;
  logChunk?: bigint;
  /** One line per batch. */
  progress?: (line: string) => void;
}

export interface VerifyResult {
  /** L2 blocks rebuilt (the head's number: the L2 starts at genesis). */
  blocks: bigint;
  batches: bigint;
  /** The last rebuilt block's hash (the genesis hash when L1 holds no batch yet). */
  head: Hex;
  /** The L1 block events were read up to, and how it was chosen. */
  l1Block: bigint;
  l1BlockChoice: string;
}

/** The first thing L1's record gets wrong, in the verifier's words; `l2Block` or `batch` is the culprit. */
export class VerifyFailure extends Error {
  override readonly name = 'VerifyFailure';
  constructor(
    message: string,
    readonly where: { l2Block?: bigint; batch?: bigint } = {},
  ) {
    super(message);
  }
}

interface Header {
  batchIndex: bigint;
  prevBatchHash: Hex;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Address;
}

interface BatchEvent {
  batchIndex: bigint;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Address;
  l1Block: bigint;
  txHash: Hex;
}

const INBOX_ABI: Abi = abiOf('BatchInbox');
const BATCH_APPENDED = getAbiItem({ abi: INBOX_ABI, name: 'BatchAppended' }) as AbiEvent;
const same = (a: string | null | undefined, b: string | null | undefined): boolean => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** The L1 block to read up to: latest - N when told, else the finalized block (latest - 64 without it). */
export async function confirmedL1Block(l1: PublicClient, confirmations?: number): Promise<{ block: bigint; choice: string }> {
  const latest = await l1.getBlockNumber();
  const behind = (n: number, why: string) => ({ block: latest > BigInt(n) ? latest - BigInt(n) : 0n, choice: `${why}: latest ${latest} - ${n}` });
  if (confirmations !== undefined) return behind(confirmations, `${confirmations} confirmations`);
  try {
    const f = await l1.getBlock({ blockTag: 'finalized' });
    if (f.number !== null) return { block: f.number, choice: 'finalized' };
  } catch {
    // An L1 without the tag (an old client, a dev chain): fall back to a depth.
  }
  return behind(FALLBACK_CONFIRMATIONS, 'no finalized tag on this L1');
}

/** A viem error in one line: its short message and details, without the request dump. */
export function viemReason(e: unknown): string {
  const v = e as { shortMessage?: string; details?: string; message?: string };
  if (!v.shortMessage) return String(v.message ?? e).split('\n')[0]!;
  return `${v.shortMessage}${v.details ? ` (${v.details})` : ''}`;
}


export async function verifyL2FromL1(o: VerifyOptions): Promise<VerifyResult> {
  const l1 = createPublicClient({ transport: http(o.l1Url, { retryCount: 3 }) }) as PublicClient;
  const pool = o.l2Url ? (createPublicClient({ transport: http(o.l2Url, { retryCount: 3 }) }) as PublicClient) : undefined;
  const say = o.progress ?? (() => undefined);
  const { block: l1Block, choice } = await confirmedL1Block(l1, o.confirmations).catch((e: unknown) => {
    throw new Error(`cannot read the L1 at ${o.l1Url}: ${viemReason(e)}`);
  });

  // A geth that already holds blocks answers VALID for them without re-executing anything.
  const genesis = await o.engine.block(0n);
  const latest = await o.engine.block('latest');
  if (!genesis || !latest) throw new Error(`the geth at ${o.engine.url} has no genesis block`);
  if (BigInt(latest.number) !== 0n) throw new Error(`the geth at ${o.engine.url} is not fresh: its head is L2 block ${BigInt(latest.number)}; verify needs one initialised from the L2 genesis and nothing else`);
  if (pool) {
    const theirs = await pool.getBlock({ blockNumber: 0n });
    if (!same(theirs.hash, genesis.hash)) throw new VerifyFailure(`block 0: genesis hash ${genesis.hash} differs from the pool's L2 (${theirs.hash}): the genesis file is not the pool's`, { l2Block: 0n });
  }

  let tip = { number: 0n, hash: genesis.hash };
  let batches = 0n;
  const chunk = o.logChunk ?? DEFAULT_LOG_CHUNK;
  say(`reading BatchAppended of ${o.inbox} from L1 blocks ${o.fromL1Block ?? 0n}-${l1Block} (${choice})`);
  for (let from = o.fromL1Block ?? 0n; from <= l1Block; from += chunk) {
    const to = from + chunk - 1n < l1Block ? from + chunk - 1n : l1Block;
    const logs = await l1.getLogs({ address: o.inbox, event: BATCH_APPENDED, fromBlock: from, toBlock: to, strict: true });
    const events = logs
      .map((l): BatchEvent & { logIndex: number } => {
        const a = l.args as unknown as BatchEvent;
        return { batchIndex: a.batchIndex, l2StartBlock: a.l2StartBlock, l2EndBlock: a.l2EndBlock, dataHash: a.dataHash, producer: a.producer, l1Block: l.blockNumber!, txHash: l.transactionHash!, logIndex: l.logIndex! };
      })
      .sort((a, b) => (a.l1Block === b.l1Block ? a.logIndex - b.logIndex : a.l1Block < b.l1Block ? -1 : 1));
    for (const ev of events) {
      if (ev.batchIndex !== batches) throw new VerifyFailure(`batch ${batches}: not found on L1 before batch ${ev.batchIndex} (L1 block ${ev.l1Block}): is ${o.inbox} a BatchInbox?`, { batch: batches });
      const escape = BigInt(ev.producer) === 0n;
      if (escape) tip = await escapeBatch(l1, o, pool, ev, tip, l1Block);
      else {
        const content = await batchContent(l1, o.inbox, ev, tip);
        for (let i = 0; i < content.blocks.length; i++) tip = await importPayload(o.engine, pool, payloadOf(content, i));
      }
      batches++;
      say(`batch ${ev.batchIndex} (L1 block ${ev.l1Block}${escape ? ', escape hatch: derived from forced entries' : ''}): L2 blocks ${ev.l2StartBlock}-${ev.l2EndBlock} VALID${pool ? ', same hashes as the pool\'s L2' : ''}`);
    }
  }
  return { blocks: tip.number, batches, head: tip.hash, l1Block, l1BlockChoice: choice };
}

/** The batch an event announces, read from its tx's calldata and checked against the event and the L2 so far. */
async function batchContent(l1: PublicClient, inbox: Address, ev: BatchEvent, tip: { number: bigint; hash: Hex }): Promise<BatchContent> {
  const fail = (what: string): never => {
    throw new VerifyFailure(`batch ${ev.batchIndex}: ${what}`, { batch: ev.batchIndex });
  };
  if (ev.l2StartBlock !== tip.number + 1n) fail(`starts at L2 block ${ev.l2StartBlock}, but the L2 rebuilt so far ends at ${tip.number} (the verifier rebuilds from genesis: the inbox must start at L2 block 1)`);
  const tx = await l1.getTransaction({ hash: ev.txHash });
  if (!same(tx.to, inbox)) fail(`its L1 tx ${ev.txHash} is sent to ${tx.to ?? 'no address'}, not to the inbox, so the data is not its calldata`);
  let call: { functionName: string; args?: readonly unknown[] };
  try {
    call = decodeFunctionData({ abi: INBOX_ABI, data: tx.input });
  } catch (e) {
    return fail(`the calldata of L1 tx ${ev.txHash} is not a BatchInbox call (${(e as Error).message.split('\n')[0]})`);
  }
  if (call.functionName !== 'appendBatch') fail(`L1 tx ${ev.txHash} calls ${call.functionName}, not appendBatch`);
  const [header, data] = call.args as [Header, Hex, Hex];
  if (header.batchIndex !== ev.batchIndex || header.l2StartBlock !== ev.l2StartBlock || header.l2EndBlock !== ev.l2EndBlock || !same(header.dataHash, ev.dataHash)) fail(`the header in L1 tx ${ev.txHash} is not the one its BatchAppended event announces`);
  const got = keccak256(data);
  if (!same(got, ev.dataHash)) fail(`data in L1 tx ${ev.txHash} hashes to ${got}, not to the header's dataHash ${ev.dataHash}`);
  let content: BatchContent;
  try {
    content = decodeBatchData(hexToBytes(data));
  } catch (e) {
    if (!(e instanceof BatchDataError)) throw e;
    return fail(`data is not a valid batch (${e.message}${e.block !== undefined ? `, L2 block ${e.block}` : ''})`);
  }
  if (content.firstBlock !== ev.l2StartBlock) fail(`data starts at L2 block ${content.firstBlock}, the header at ${ev.l2StartBlock}`);
  const count = ev.l2EndBlock - ev.l2StartBlock + 1n;
  if (BigInt(content.blocks.length) !== count) fail(`data holds ${content.blocks.length} L2 blocks, the header ${count} (${ev.l2StartBlock}-${ev.l2EndBlock})`);
  if (!same(content.parentHash, tip.hash)) throw new VerifyFailure(`block ${ev.l2StartBlock}: parent hash ${content.parentHash} is not L2 block ${tip.number} (${tip.hash})`, { l2Block: ev.l2StartBlock, batch: ev.batchIndex });
  return content;
}

/** An escape-hatch batch's blocks, derived from the forced entries it consumes on the L2 rebuilt so far. */
async function escapeBatch(l1: PublicClient, o: VerifyOptions, pool: PublicClient | undefined, ev: BatchEvent, tip: { number: bigint; hash: Hex }, readTo: bigint): Promise<{ number: bigint; hash: Hex }> {
  const fail = (what: string): never => {
    throw new VerifyFailure(`batch ${ev.batchIndex} (escape hatch): ${what}`, { batch: ev.batchIndex });
  };
  if (ev.l2StartBlock !== tip.number + 1n) fail(`starts at L2 block ${ev.l2StartBlock}, but the L2 rebuilt so far ends at ${tip.number}`);
  const queue = new ForcedQueueReader(l1 as unknown as ForcedQueueL1, o.inbox, () => Promise.resolve(readTo));
  const found = (await queue.escapes(ev.l1Block)).find((e) => e.batchIndex === ev.batchIndex && e.l1Block === ev.l1Block);
  if (!found) return fail(`no ForcedBatchAppended event for it in L1 block ${ev.l1Block}`);
  if (found.count !== ev.l2EndBlock - ev.l2StartBlock + 1n || found.l2StartBlock !== ev.l2StartBlock) fail(`ForcedBatchAppended (${found.count} entries from L2 block ${found.l2StartBlock}) disagrees with BatchAppended`);
  const view = await queue.view(found.firstEntry, Number(found.count));
  if (BigInt(view.entries.length) !== found.count) fail(`consumes forced entries ${found.firstEntry}..${found.firstEntry + found.count - 1n}, L1 holds ${view.length}`);
  const parent = await o.engine.block(tip.number);
  if (!parent) return fail(`the verifier's geth lacks L2 block ${tip.number}`);
  const chainId = BigInt(await o.engine.call<string>('eth_chainId', []));
  let at = tip;
  await deriveEscapeBlocks(o.engine, chainId, { hash: tip.hash, timestamp: BigInt(parent.timestamp) }, view.entries, found.l1Timestamp, async (p) => {
    at = await importPayload(o.engine, pool, p);
  });
  return at;
}

/** newPayload then forkchoiceUpdated for one block; compared with the pool's L2 when given. */
async function importPayload(engine: EngineClient, pool: PublicClient | undefined, payload: L2Payload): Promise<{ number: bigint; hash: Hex }> {
  const n = BigInt(payload.blockNumber);
  const p = payload as ExecutionPayload; // every field is 0x hex
  const fail = (what: string): never => {
    throw new VerifyFailure(`block ${n}: ${what}`, { l2Block: n });
  };
  const st = await engine.newPayload(p, blobVersionedHashes(p.transactions));
  if (st.status === 'INVALID') fail(`INVALID (${st.validationError ?? 'geth gave no reason'})`);
  if (st.status === 'INVALID_BLOCK_HASH') fail(`INVALID (block hash ${p.blockHash} is not the hash of its contents${st.validationError ? `: ${st.validationError}` : ''})`);
  if (st.status !== 'VALID') fail(`geth answered ${st.status} to newPayload (it lacks the parent ${p.parentHash}: was it started from this L2's genesis?)`);
  // All of it comes from confirmed L1 blocks: final as far as this verifier is concerned.
  const fcu = await engine.forkchoiceUpdated({ headBlockHash: p.blockHash, safeBlockHash: p.blockHash, finalizedBlockHash: p.blockHash });
  if (fcu.payloadStatus.status !== 'VALID') fail(`forkchoiceUpdated to it answered ${fcu.payloadStatus.status} (${fcu.payloadStatus.validationError ?? 'no reason given'})`);
  if (pool) {
    const theirs = await pool.getBlock({ blockNumber: n }).then(
      (b) => b.hash,
      (e: unknown) => {
        if (e instanceof BlockNotFoundError) return null;
        throw e; // the pool's RPC failing says nothing about the block
      },
    );
    if (!same(theirs, p.blockHash)) fail(`hash ${p.blockHash} differs from the pool's L2 (${theirs ?? 'it has no such block'})`);
  }
  return { number: n, hash: p.blockHash };
}
