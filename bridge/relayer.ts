// Relays what the pool signed to the contracts that act on it (flows 2 and 4, docs/pool.md):
//   - commitEpoch / recommitEpoch to the L2 SequencerSet. The epoch's producer submits as soon as it is
//     signed; any other node submits if it has not landed `fallbackAfterMs` (10 s) after this node saw
//     it signed. currentEpochId() and epochs(id) on L2 say what landed, so duplicates are skipped.
//   - distributeRewards / slash to the L1 LockingPool, strictly in authNonce order (= sign request id
//     order, the app assigns nonces in creation order): authNonce() on L1 says which one is next. The
//     current epoch's producer submits at once, others after the same fallback delay.
// Both use the EvmTxSender (one job per sign request id), so a restart never resends a landed tx.
import type { Abi, Hex } from 'viem';
import { artifact } from '../contracts/artifacts.js';
import { fromHex, toHex } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { encodeL1Signature } from '../mpc/l1.js';
import { decodeCommitEpoch, decodeDistributeRewards, decodeRecommitEpoch, decodeSlash } from '../protocol/signed-payloads.js';
import { Loop, LoopTask } from './loop.js';
import type { PoolSignRequest, PoolView } from './pool-view.js';
import { submitterErrors, type ContractCall, type EvmTxSender } from './evm-tx-sender.js';

export interface RelayerOptions {
  pool: PoolView;
  /** L2 SequencerSet relaying (absent: this node relays no epochs). */
  l2?: { sender: EvmTxSender; sequencerSet: Hex };
  /** L1 LockingPool relaying (absent: no rewards/slashes). */
  l1?: { sender: EvmTxSender; lockingPool: Hex };
  /** This validator's Ethereum address (the L1/L2 signer). */
  address: Hex;
  fallbackAfterMs?: number;
  intervalMs?: number;
  /** Sign request ids read per step while catching up (default 200). */
  scanBatch?: number;
  logger?: Logger;
}

interface AuthRequest {
  id: bigint;
  authNonce: bigint;
  status: PoolSignRequest['status'];
  purpose: string;
  payload: Hex;
  signature: string | null;
}

/** Landed authorizations remembered, for relaying again after an L1 reorg. */
const AUTH_HISTORY = 256n;
/** Epoch txs relayed ahead of SequencerSet's latest in one step (a re-span over a pending commit is 2). */
const EPOCH_CHAIN = 4n;
/**
 * Gas limit of an epoch tx sent behind one not mined yet (it cannot be simulated): commitEpoch and
 * recommitEpoch cost about 80-100k (one FROST verification, one epoch record); twice that, with room.
 */
const EPOCH_TX_GAS = 300_000n;
/** Blocks after which a mined tx whose effect L1 does not show is taken as reorganised away. */
const REORG_DEPTH = 12n;

const sig96 = (sig: string): Hex => `0x${toHex(encodeL1Signature(fromHex(sig)))}`;
const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;

export class Relayer extends LoopTask {
  private readonly log: Logger;
  protected readonly loop: Loop;
  private readonly setAbi: Abi = artifact('SequencerSet').abi;
  private readonly poolAbi: Abi = artifact('LockingPool').abi;
  private readonly signedSeen = new Map<bigint, number>();
  private scanNext = 1n;
  private readonly unsettled = new Set<bigint>();
  private readonly auth = new Map<bigint, AuthRequest>(); // by authNonce
  private readonly reported = new Set<string>();

  constructor(private readonly o: RelayerOptions) {
    super();
    this.log = (o.logger ?? silentLogger()).child({ task: 'relayer' });
    this.loop = new Loop({
      name: 'relayer',
      intervalMs: o.intervalMs ?? 2_000,
      log: this.log,
      step: () => this.step(),
      onError: submitterErrors(this.log, 'relay tx not submitted', 'relayer step failed (RPC or pool query); retrying'),
    });
  }

  async step(): Promise<void> {
    let failure: unknown;
    // One side failing (an L2 RPC down) must not stall the other.
    if (this.o.l2) await this.epochs(this.o.l2).catch((e) => (failure = e));
    if (this.o.l1) await this.authorised(this.o.l1).catch((e) => (failure ??= e));
    if (failure) throw failure;
  }

  private dueFor(req: PoolSignRequest, mine: boolean): boolean {
    const seen = this.signedSeen.get(req.id) ?? Date.now();
    if (!this.signedSeen.has(req.id)) {
      this.signedSeen.set(req.id, seen);
      // Bounded: only the newest requests can still be waiting for their fallback.
      if (this.signedSeen.size > 1_000) this.signedSeen.delete(this.signedSeen.keys().next().value!);
    }
    return mine || Date.now() - seen >= (this.o.fallbackAfterMs ?? 10_000);
  }

  private once(key: string, f: () => void): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    f();
  }

  // ---------- epochs -> L2 SequencerSet ----------

  private async epochs(l2: { sender: EvmTxSender; sequencerSet: Hex }): Promise<void> {
    const s = l2.sender;
    await s.tick();
    const read = (functionName: string, args: unknown[] = []) => s.client.readContract({ address: l2.sequencerSet, abi: this.setAbi, functionName, args });
    const latest = (await read('currentEpochId')) as bigint;
    // The epoch txs L2 lacks, in the order SequencerSet takes them: from its latest epoch (a re-span
    // that replaces the committed-but-not-started next epoch) up. A re-span can depend on a
    // commitEpoch that has not landed either (the producer of that epoch never built its first
    // block, so nothing mined it): both must reach the re-span producer's geth, the commit first,
    // for its first block to record the re-span (l2/epoch-tx.ts). So the chain is sent together
    // from one account (nonce order is execution order), the later txs unsimulated.
    const chain: { id: bigint; req: PoolSignRequest; call: ContractCall; signer: string; start: bigint }[] = [];
    let expect = latest; // SequencerSet's latest epoch once the chain so far has landed
    for (let id = latest; id <= latest + EPOCH_CHAIN; id++) {
      if (id === 0n) continue;
      const e = await this.o.pool.epoch(id);
      if (e && e.signRequest === 0n && id === latest) continue; // the genesis epoch: deployed with SequencerSet
      if (!e || e.signRequest === 0n) break;
      const req = await this.o.pool.signRequest(e.signRequest);
      if (!req || req.status !== 'signed' || !req.signature) break;
      if (req.purpose === 'commitEpoch') {
        const { epochId, startBlock: start, endBlock: end, signer } = decodeCommitEpoch(fromHex(req.payload));
        if (epochId <= expect) continue; // landed already
        if (epochId !== expect + 1n) break;
        chain.push({ id, req, signer: hex(signer), start, call: { address: l2.sequencerSet, abi: this.setAbi, functionName: 'commitEpoch', args: [epochId, start, end, hex(signer), sig96(req.signature)] } });
        expect = epochId;
      } else if (req.purpose === 'recommitEpoch') {
        const { oldEpochId: oldId, newEpochId: newId, startBlock: start, endBlock: end, signer } = decodeRecommitEpoch(fromHex(req.payload));
        if (newId <= latest) {
          const onChain = (await read('epochs', [newId])) as { signer: Hex; startBlock: bigint };
          if (onChain.signer.toLowerCase() === hex(signer) && onChain.startBlock === start) continue; // landed
        }
        const append = oldId === expect && newId === expect + 1n;
        const replace = oldId + 1n === expect && newId === expect;
        if (!append && !replace) break;
        chain.push({ id, req, signer: hex(signer), start, call: { address: l2.sequencerSet, abi: this.setAbi, functionName: 'recommitEpoch', args: [oldId, newId, start, end, hex(signer), sig96(req.signature)] } });
        expect = newId;
      } else {
        this.once(`purpose/${req.id}`, () => this.log.error({ epoch: id.toString(), request: req.id.toString(), purpose: req.purpose }, 'epoch sign request has an unknown purpose; not relayed'));
        break;
      }
    }
    // Due when its last step is ours (we produce that epoch: at once) or has waited for its producer.
    const last = chain.at(-1);
    if (!last || !this.dueFor(last.req, last.signer === s.address.toLowerCase())) return;
    let unmined = false;
    for (const c of chain) {
      const job = `epoch/${c.req.id}`;
      const prev = s.job(job);
      if (prev?.status === 'mined') continue;
      if (prev?.status !== 'pending') {
        const sent = await s.submit(job, `${c.req.purpose}(epoch ${c.id})`, c.call, unmined ? { gas: EPOCH_TX_GAS } : undefined);
        this.log.info({ epoch: c.id.toString(), request: c.req.id.toString(), purpose: c.req.purpose, start: c.start.toString(), asProducer: c.signer === s.address.toLowerCase(), tx: sent.txs.at(-1)!.hash }, `${c.req.purpose} submitted to L2`);
      }
      unmined = true;
    }
  }

  // ---------- distributeRewards / slash -> L1 LockingPool ----------

  private async authorised(l1: { sender: EvmTxSender; lockingPool: Hex }): Promise<void> {
    const s = l1.sender;
    await s.tick();
    const onChain = (await s.client.readContract({ address: l1.lockingPool, abi: this.poolAbi, functionName: 'authNonce' })) as bigint;
    await this.scanRequests(l1.lockingPool);
    // Landed nonces are kept a while: an L1 reorg can take them back (authNonce goes down), and the
    // signed authorization is then relayed again (decision 38). Bounded: the newest AUTH_HISTORY.
    for (const n of this.auth.keys()) if (n + AUTH_HISTORY < onChain) this.auth.delete(n);
    // Finished jobs of long-landed nonces are history: keep the database small (one reward per batch).
    const oldest = [...this.auth.values()].reduce((m, a) => (a.id < m ? a.id : m), this.scanNext);
    await s.forget((j) => j.id.startsWith('auth/') && BigInt(j.id.slice(5)) < oldest - 256n);
    const r = this.auth.get(onChain);
    if (!r) return;
    if (r.status === 'expired') {
      this.once(`expired/${r.id}`, () =>
        this.log.error({ request: r.id.toString(), purpose: r.purpose, authNonce: onChain.toString() }, 'the sign request for the next LockingPool authNonce expired: later rewards/slashes cannot land until the app issues this nonce again'),
      );
      return;
    }
    if (r.status !== 'signed' || !r.signature) return;
    const current = await this.o.pool.currentEpoch();
    const mine = current?.signer.toLowerCase() === s.address.toLowerCase();
    if (!this.dueFor({ id: r.id } as PoolSignRequest, mine)) return;
    const job = `auth/${r.id}`;
    const prev = s.job(job);
    if (prev?.status === 'pending') return;
    if (prev?.status === 'mined') {
      // Mined, yet L1's authNonce says it has not landed: a reorg took it (once the receipt is old
      // enough that the RPC cannot merely be lagging), so it is submitted again.
      const head = await s.client.getBlockNumber({ cacheTime: 0 });
      if (head - BigInt(prev.minedBlock!) < REORG_DEPTH) return;
      await s.lost(job);
    }
    let call: ContractCall;
    if (r.purpose === 'distributeRewards') {
      const { sequencerIds, amounts } = decodeDistributeRewards(fromHex(r.payload));
      call = { address: l1.lockingPool, abi: this.poolAbi, functionName: 'distributeRewards', args: [sequencerIds, amounts, sig96(r.signature)] };
    } else {
      const { sequencerId, amount } = decodeSlash(fromHex(r.payload));
      call = { address: l1.lockingPool, abi: this.poolAbi, functionName: 'slash', args: [sequencerId, amount, sig96(r.signature)] };
    }
    const sent = await s.submit(job, `${r.purpose}(authNonce ${onChain})`, call);
    this.log.info({ request: r.id.toString(), purpose: r.purpose, authNonce: onChain.toString(), tx: sent.txs.at(-1)!.hash }, `${r.purpose} submitted to L1`);
  }

  /** Reads new sign requests (and re-reads pending ones) and keeps the LockingPool ones by authNonce. */
  private async scanRequests(lockingPool: Hex): Promise<void> {
    const take = (req: PoolSignRequest): void => {
      if (req.verifier !== lockingPool.toLowerCase() || (req.purpose !== 'distributeRewards' && req.purpose !== 'slash')) return;
      const payload = req.payload as Hex;
      const authNonce = req.purpose === 'distributeRewards' ? decodeDistributeRewards(fromHex(payload)).authNonce : decodeSlash(fromHex(payload)).authNonce;
      // An expired request is re-issued with the same payload under a new id: the newest id wins.
      const known = this.auth.get(authNonce);
      if (known && known.id > req.id) return;
      this.auth.set(authNonce, { id: req.id, authNonce, status: req.status, purpose: req.purpose, payload, signature: req.signature });
      if (req.status === 'pending') this.unsettled.add(req.id);
      else this.unsettled.delete(req.id);
    };
    for (const id of [...this.unsettled]) {
      const req = await this.o.pool.signRequest(id);
      if (req) take(req);
    }
    for (let i = 0; i < (this.o.scanBatch ?? 200); i++) {
      const req = await this.o.pool.signRequest(this.scanNext);
      if (!req) break;
      take(req);
      this.scanNext++;
    }
  }
}
