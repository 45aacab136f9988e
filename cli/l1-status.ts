// `seqpool l1 status`: every LockingPool sequencer as L1 has it at its finalized block (or the head,
// on a chain without finality, or --block), next to the pool's record, with every disagreement flagged
// by the rule the app corrects by (decision 38): a sequencer the pool holds differently from L1 (not
// merely behind it: events L1 has and the pool has not attested yet), and batches the pool counts
// final that L1 lacks.
import { createPublicClient, formatUnits, http, type Address, type Hex } from 'viem';
import { L1Status, readL1State, sequencerDisagrees } from '../protocol/l1-state.js';
import { fromHex } from '../common/bytes.js';
import { SequencerStatus, type L1SequencerState, type Sequencer } from '../proto/seqpool.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import { AbciPath, parseBatch, parseBatchMeta, parseValidator, type ValidatorView } from '../protocol/views/index.js';

const L1_NAMES = ['none', 'active', 'unlocking', 'unlocked'];
const POOL_STATUS: Record<string, SequencerStatus> = { active: SequencerStatus.ACTIVE, unlocking: SequencerStatus.UNLOCKING, exited: SequencerStatus.EXITED };

/** The pool's record as the fields the app judges by. */
function asSequencer(v: ValidatorView): Sequencer {
  return {
    address: new Uint8Array(0),
    pubKey: new Uint8Array(0),
    power: v.power,
    nonce: 0n,
    status: POOL_STATUS[v.status ?? 'active'] ?? SequencerStatus.ACTIVE,
    l1Nonce: v.l1Nonce ?? 0n,
    l1Block: v.l1Block ?? 0n,
    locked: (v.locked ?? 0n).toString(),
    signer: v.signer ? fromHex(v.signer) : new Uint8Array(0),
    deactivationTime: v.deactivationTime ?? 0n,
  };
}

export interface StatusTarget {
  rpcUrl: string;
  pool: Address;
  inbox?: Address;
  nodeRpc?: string;
  block?: bigint;
}

/** Prints the comparison; returns the number of disagreements (behind-L1 rows do not count). */
export async function printL1Status(t: StatusTarget, say: (line: string) => void): Promise<number> {
  const pub = createPublicClient({ transport: http(t.rpcUrl, { retryCount: 1, timeout: 15_000 }) });
  const head = await pub.getBlockNumber();
  let block = t.block;
  let which = '--block';
  if (block === undefined) {
    const finalized = await pub.getBlock({ blockTag: 'finalized' }).then((b) => b.number, () => null);
    block = finalized ?? head;
    which = finalized === null ? 'head (no finalized block)' : 'finalized';
  }
  const chainId = BigInt(await pub.getChainId());
  const l1Count = (await pub.readContract({ address: t.pool, abi: [{ type: 'function', name: 'sequencerCount', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint256' }] }], functionName: 'sequencerCount', blockNumber: block })) as bigint;
  const node = t.nodeRpc ? new CometRpc(t.nodeRpc, { timeoutMs: 5_000 }) : undefined;
  const poolMax = node ? await maxPoolId(node, l1Count) : 0n;
  const l1 = await readL1State(pub as never, { chainId, lockingPool: t.pool as Hex, ...(t.inbox ? { batchInbox: t.inbox as Hex } : {}) }, block, poolMax);
  say(`L1 ${t.rpcUrl} head ${head}, compared at block ${block} (${which}); LockingPool ${t.pool}; seqpool node ${t.nodeRpc ?? '(none: pass --node)'}`);
  say('id  L1: status     tokens   nonce signer                                      | seqpool: status     power  l1Nonce | agrees');
  let disagreements = 0;
  for (const r of l1.sequencers) {
    let pool = 'not queried';
    let mark = '';
    if (node) {
      const q = await node.query(AbciPath.sequencer(r.id)).catch(() => undefined);
      const view = q ? parseValidator(q.value) : undefined;
      const rec = view ? asSequencer(view) : undefined;
      pool = view ? `${(view.status ?? 'active').padEnd(10)} ${String(view.power).padStart(6)}  ${String(view.l1Nonce ?? 0n).padStart(7)}` : 'not in state'.padEnd(26);
      mark = verdict(rec, r, block);
      if (mark.startsWith('DISAGREES')) disagreements++;
    }
    if (r.status === L1Status.NONE && !t.nodeRpc) continue;
    const tokens = formatUnits(BigInt(r.amount), 18).padStart(8);
    const signer = r.signer.length ? `0x${Buffer.from(r.signer).toString('hex')}` : '-'.padEnd(42);
    say(`${String(r.id).padEnd(3)} ${(L1_NAMES[r.status] ?? '?').padEnd(12)} ${tokens} ${String(r.nonce).padStart(5)} ${signer} | ${pool} | ${mark}`);
  }
  if (l1.sequencers.length === 0) say('(no sequencers on L1)');
  if (t.inbox && node) disagreements += await printBatches(node, l1.nextBatchIndex, block, say);
  say(disagreements === 0 ? 'L1 and the pool agree.' : `${disagreements} disagreement(s) between L1 and the pool: the bridges offer an L1 state correction (docs/bridge.md "Reorgs deeper than finality").`);
  return disagreements;
}

function verdict(rec: Sequencer | undefined, r: L1SequencerState, block: bigint): string {
  if (!sequencerDisagrees(rec, r, block)) return rec || r.status !== L1Status.NONE ? 'yes' : '';
  if (rec && (rec.l1Nonce ?? 0n) < r.nonce) return `behind L1 (nonce ${rec.l1Nonce} < ${r.nonce}: not attested yet)`;
  if (!rec) return 'behind L1 (not attested yet)';
  return r.status === L1Status.NONE ? 'DISAGREES: L1 has no such sequencer' : 'DISAGREES';
}

/** The highest id the pool holds above L1's count (a reorg may have taken ids back on L1): probed
 * upward until four in a row are unknown. */
async function maxPoolId(node: CometRpc, from: bigint): Promise<bigint> {
  let max = from;
  for (let id = from + 1n, misses = 0; misses < 4; id++) {
    if ((await node.abciQuery(AbciPath.sequencer(id)).catch(() => ({ code: -1 }))).code === 0) {
      max = id;
      misses = 0;
    } else misses++;
  }
  return max;
}

async function printBatches(node: CometRpc, l1Next: bigint, block: bigint, say: (line: string) => void): Promise<number> {
  const meta = await node.query(AbciPath.batchMeta).catch(() => undefined);
  if (!meta) return 0;
  const finalized = parseBatchMeta(meta.value).finalized;
  say(`batches: BatchInbox.nextBatchIndex ${l1Next} at block ${block}; the pool counts ${finalized} final`);
  if (l1Next >= finalized) return 0;
  const first = await node.query(AbciPath.batch(l1Next)).catch(() => undefined);
  const at = first ? parseBatch(first.value).l1Block : 0n;
  if (at === 0n || at > block) return 0; // finalized from a later block: judged at a later block
  say(`DISAGREES: batches ${l1Next}-${finalized - 1n} are final in the pool but not on L1`);
  return 1;
}
