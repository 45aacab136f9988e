// The submitter machinery shared by the L1 batch submitter and the relayer (docs/bridge.md): one
// account on one EVM chain, explicit nonces, a write-ahead LevelDB record of every signed tx per job,
// replacement with higher fees when a tx sits unmined for `bumpAfterBlocks`, and rebroadcast of the
// newest replacement after a restart. A job (e.g. "batch/7") holds one nonce for its whole life, so
// however often it is bumped or rebroadcast, at most one of its txs can land. Callers check the
// contract's own state before submitting, and a new attempt is only made once the previous one is
// known to have failed (reverted, or its nonce consumed by a tx that is not ours).
import { Level } from 'level';
import { createPublicClient, encodeFunctionData, formatEther, http, keccak256, type Abi, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { silentLogger, type Logger } from '../common/log.js';
import { errorLine } from './loop.js';

/**
 * How a task that submits through an EvmTxSender reports a failed step: a tx refused before it was
 * sent (no funds for gas, or it would revert) is an error the operator must see; anything else (an RPC
 * or pool query that failed) is retried.
 */
export function submitterErrors(log: Logger, refused: string, retrying: string): (e: unknown, attempt: number, retryInMs: number) => void {
  return (e, attempt, retryInMs) => {
    const fields = { error: errorLine(e), attempt, retryInMs };
    if (e instanceof FundsError || e instanceof WouldRevertError) log.error(fields, refused);
    else log.warn(fields, retrying);
  };
}

export interface ContractCall {
  address: Hex;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export type JobStatus = 'pending' | 'mined' | 'reverted' | 'superseded';

export interface SentTx {
  hash: Hex;
  raw: Hex;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

export interface JobRecord {
  id: string;
  attempt: number;
  what: string;
  nonce: number;
  to: Hex;
  data: Hex;
  gas: string;
  txs: SentTx[];
  /** Block number when the newest tx was sent (bump timer). */
  sentAtBlock: string;
  status: JobStatus;
  minedBlock?: string;
  minedHash?: Hex;
}

export interface EvmTxSenderOptions {
  /** "L1" or "L2": used in log lines and error messages. */
  label: string;
  rpcUrl?: string;
  client?: PublicClient;
  chainId: number;
  privateKey: Hex;
  dbPath: string;
  /** Replace a tx unmined after this many blocks with one paying more (default 3). */
  bumpAfterBlocks?: number;
  /** Fee increase per replacement, percent (default 25; nodes require >= 10). */
  bumpPercent?: number;
  /** Never pay more than this maxFeePerGas (wei; default 500 gwei). */
  maxFeeCapWei?: bigint;
  logger?: Logger;
  /** Told what happens to this sender's txs (node/metrics.ts); never required. */
  observe?: (e: TxSenderEvent) => void;
}

/** Why a job's tx did not land, or will not be sent, as metrics label it. */
export type TxFailure = 'would_revert' | 'funds' | 'rpc_refused' | 'reverted' | 'superseded' | 'reorged';

export type TxSenderEvent = { kind: 'sent'; nonce: number } | { kind: 'bumped'; nonce: number } | { kind: 'mined'; nonce: number } | { kind: 'failed'; reason: TxFailure };

/** The account cannot pay for gas: an operator must fund it. */
export class FundsError extends Error {
  override readonly name = 'FundsError';
}

/** The call reverts in simulation: sending it would waste gas. */
export class WouldRevertError extends Error {
  override readonly name = 'WouldRevertError';
}

const JOB = 'j/';

export class EvmTxSender {
  readonly client: PublicClient;
  readonly account: PrivateKeyAccount;
  private readonly db: Level<string, string>;
  private readonly log: Logger;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly bumpAfter: bigint;
  private readonly bumpPercent: bigint;
  private readonly feeCap: bigint;
  private chainChecked = false;
  /** The chain has no base fee (decided from the latest block, once). */
  private legacy: boolean | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: EvmTxSenderOptions) {
    if (!o.client && !o.rpcUrl) throw new Error(`${o.label} sender needs rpcUrl or client`);
    this.client = o.client ?? (createPublicClient({ transport: http(o.rpcUrl, { retryCount: 1, timeout: 15_000 }), pollingInterval: 500 }) as PublicClient);
    this.account = privateKeyToAccount(o.privateKey);
    this.db = new Level<string, string>(o.dbPath, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    this.log = (o.logger ?? silentLogger()).child({ chain: o.label });
    this.bumpAfter = BigInt(o.bumpAfterBlocks ?? 3);
    this.bumpPercent = BigInt(o.bumpPercent ?? 25);
    this.feeCap = o.maxFeeCapWei ?? 500n * 10n ** 9n;
  }

  private note(e: TxSenderEvent): void {
    try {
      this.o.observe?.(e);
    } catch {
      // metrics must never stop a tx
    }
  }

  get address(): Hex {
    return this.account.address;
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      throw new Error(`cannot open the ${this.o.label} submitter database at ${this.o.dbPath}: ${cause?.message ?? (e as Error).message} (is another seqpool node using this home?)`);
    }
    for await (const [, v] of this.db.iterator({ gte: JOB, lt: 'j0' })) {
      const r = JSON.parse(v) as JobRecord;
      this.jobs.set(r.id, r);
    }
    const pending = [...this.jobs.values()].filter((j) => j.status === 'pending');
    if (pending.length) this.log.info({ pending: pending.map((j) => `${j.id}@nonce${j.nonce}`) }, `${this.o.label} submitter resumes txs sent before the restart (same nonces: none can land twice)`);
  }

  async close(): Promise<void> {
    await this.lock.catch(() => undefined);
    await this.db.close();
  }

  job(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  pendingJobs(): JobRecord[] {
    return [...this.jobs.values()].filter((j) => j.status === 'pending');
  }

  /** Drops finished records whose id the caller no longer needs (e.g. batches far below the chain). */
  async forget(pred: (j: JobRecord) => boolean): Promise<void> {
    const gone = [...this.jobs.values()].filter((j) => j.status !== 'pending' && pred(j));
    if (!gone.length) return;
    const b = this.db.batch();
    for (const j of gone) (b.del(JOB + j.id), this.jobs.delete(j.id));
    await b.write();
  }

  /**
   * A job recorded as mined whose effect the chain no longer shows (its block was reorganised away):
   * marks it superseded so the caller's next submit() makes a new attempt. The caller has checked
   * the contract state first; the old tx can land again only at its old nonce, which the new attempt
   * does not reuse only if the old one is gone, so callers wait some blocks before declaring a loss.
   */
  async lost(id: string): Promise<void> {
    const j = this.jobs.get(id);
    if (!j || j.status !== 'mined') return;
    j.status = 'superseded';
    await this.save(j);
    this.note({ kind: 'failed', reason: 'reorged' });
    this.log.warn({ job: id, what: j.what, tx: j.minedHash, block: j.minedBlock }, `${this.o.label} tx was mined but the chain no longer shows its effect (reorg); submitting again`);
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async checkChain(): Promise<void> {
    if (this.chainChecked) return;
    const id = await this.client.getChainId();
    if (id !== this.o.chainId) throw new Error(`the ${this.o.label} RPC serves chain ${id}, node.json says ${this.o.chainId}: fix the rpcUrl or chainId`);
    this.chainChecked = true;
  }

  /**
   * Sends `call` as job `id` unless that job is pending or mined already (returns its record then).
   * A reverted or superseded job is retried as a new attempt with a new nonce. Simulates first:
   * a call that would revert throws WouldRevertError and sends nothing. With `after.gas` it is not
   * simulated: the call depends on a tx not mined yet (sent just before it, lower nonce), so only
   * the chain can tell; `gas` is then its gas limit.
   */
  submit(id: string, what: string, call: ContractCall, after?: { gas: bigint }): Promise<JobRecord> {
    return this.exclusive(async () => {
      const prev = this.jobs.get(id);
      if (prev && (prev.status === 'pending' || prev.status === 'mined')) return prev;
      await this.checkChain();
      let gas: bigint;
      if (after) gas = after.gas;
      else {
        try {
          gas = await this.client.estimateContractGas({ ...call, account: this.account } as never);
        } catch (e) {
          const msg = errorLine(e);
          if (/insufficient funds/i.test(msg)) throw await this.fundsError(0n);
          this.note({ kind: 'failed', reason: 'would_revert' });
          throw new WouldRevertError(`${what} would revert on ${this.o.label}: ${msg}`);
        }
        gas = (gas * 12n) / 10n + 10_000n;
      }
      const fees = await this.fees();
      const balance = await this.client.getBalance({ address: this.address });
      if (balance < gas * fees.maxFeePerGas) throw await this.fundsError(gas * fees.maxFeePerGas, balance);
      const nonce = await this.nextNonce();
      const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never);
      const head = await this.client.getBlockNumber({ cacheTime: 0 });
      const rec: JobRecord = {
        id,
        attempt: (prev?.attempt ?? 0) + 1,
        what,
        nonce,
        to: call.address,
        data,
        gas: gas.toString(),
        txs: [],
        sentAtBlock: head.toString(),
        status: 'pending',
      };
      await this.signAndSend(rec, fees);
      this.note({ kind: 'sent', nonce });
      this.log.info({ job: id, what, nonce, attempt: rec.attempt, tx: rec.txs[0]!.hash, maxFeeGwei: gwei(fees.maxFeePerGas) }, `${this.o.label} tx sent`);
      return rec;
    });
  }

  /** Follows every pending job: mined? nonce taken by another tx? stuck (bump)? dropped (rebroadcast)? */
  tick(): Promise<void> {
    return this.exclusive(async () => {
      const pending = this.pendingJobs();
      if (!pending.length) return;
      await this.checkChain();
      const head = await this.client.getBlockNumber({ cacheTime: 0 });
      const used = await this.client.getTransactionCount({ address: this.address, blockTag: 'latest' });
      for (const j of pending.sort((a, b) => a.nonce - b.nonce)) {
        const receipt = await this.receiptOf(j);
        if (receipt) {
          j.status = receipt.status === 'success' ? 'mined' : 'reverted';
          j.minedBlock = receipt.blockNumber.toString();
          j.minedHash = receipt.transactionHash;
          await this.save(j);
          this.note(j.status === 'mined' ? { kind: 'mined', nonce: j.nonce } : { kind: 'failed', reason: 'reverted' });
          if (j.status === 'mined') this.log.info({ job: j.id, what: j.what, tx: j.minedHash, block: j.minedBlock }, `${this.o.label} tx mined`);
          else this.log.error({ job: j.id, what: j.what, tx: j.minedHash, block: j.minedBlock }, `${this.o.label} tx reverted on chain (state changed after simulation?); it is retried as a new attempt if still needed`);
          continue;
        }
        if (used > j.nonce) {
          // The nonce was consumed, by none of this job's txs (checked above; re-check once more to
          // close the race with a block mined in between).
          if (await this.receiptOf(j)) continue;
          j.status = 'superseded';
          await this.save(j);
          this.note({ kind: 'failed', reason: 'superseded' });
          this.log.warn({ job: j.id, what: j.what, nonce: j.nonce }, `${this.o.label} nonce ${j.nonce} was used by a tx this node did not send for the job (another process signs with the validator key?); the job is retried if still needed`);
          continue;
        }
        if (head - BigInt(j.sentAtBlock) >= this.bumpAfter) await this.bump(j, head);
        else await this.rebroadcast(j);
      }
    });
  }

  private async receiptOf(j: JobRecord) {
    for (const t of [...j.txs].reverse()) {
      try {
        return await this.client.getTransactionReceipt({ hash: t.hash });
      } catch (e) {
        if ((e as { name?: string }).name !== 'TransactionReceiptNotFoundError') throw e;
      }
    }
    return undefined;
  }

  private async bump(j: JobRecord, head: bigint): Promise<void> {
    const last = j.txs[j.txs.length - 1]!;
    const now = await this.fees();
    const up = (v: string) => (BigInt(v) * (100n + this.bumpPercent) + 99n) / 100n;
    let maxPriorityFeePerGas = max(up(last.maxPriorityFeePerGas), now.maxPriorityFeePerGas);
    let maxFeePerGas = max(up(last.maxFeePerGas), now.maxFeePerGas);
    if (maxFeePerGas > this.feeCap) {
      if (BigInt(last.maxFeePerGas) >= this.feeCap) {
        this.log.warn({ job: j.id, nonce: j.nonce, maxFeeGwei: gwei(BigInt(last.maxFeePerGas)) }, `${this.o.label} tx still unmined at the fee cap; rebroadcasting it unchanged`);
        j.sentAtBlock = head.toString();
        await this.save(j);
        return this.rebroadcast(j);
      }
      maxFeePerGas = this.feeCap;
      if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    }
    const balance = await this.client.getBalance({ address: this.address });
    if (balance < BigInt(j.gas) * maxFeePerGas) throw await this.fundsError(BigInt(j.gas) * maxFeePerGas, balance);
    j.sentAtBlock = head.toString();
    await this.signAndSend(j, { maxFeePerGas, maxPriorityFeePerGas });
    this.note({ kind: 'bumped', nonce: j.nonce });
    this.log.warn(
      { job: j.id, what: j.what, nonce: j.nonce, replacement: j.txs.length - 1, tx: j.txs[j.txs.length - 1]!.hash, maxFeeGwei: gwei(maxFeePerGas), tipGwei: gwei(maxPriorityFeePerGas) },
      `${this.o.label} tx unmined for ${this.bumpAfter} blocks: replaced with higher fees (same nonce)`,
    );
  }

  private async rebroadcast(j: JobRecord): Promise<void> {
    const last = j.txs[j.txs.length - 1]!;
    try {
      await this.client.sendRawTransaction({ serializedTransaction: last.raw });
    } catch (e) {
      const msg = errorLine(e);
      // viem words geth's -32000 answers "Missing or invalid parameters"; the node's own words are in details.
      const detail = `${msg} ${(e as { details?: string }).details ?? ''}`;
      if (!/already known|known transaction|already imported|nonce too low|replacement transaction underpriced/i.test(detail)) {
        this.log.warn({ job: j.id, tx: last.hash, error: msg }, `${this.o.label} rebroadcast refused`);
      }
    }
  }

  /** Write-ahead: the signed tx is on disk before the RPC sees it, so a crash cannot forget a sent nonce. */
  private async signAndSend(rec: JobRecord, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<void> {
    const common = { chainId: this.o.chainId, nonce: rec.nonce, to: rec.to, data: rec.data, gas: BigInt(rec.gas) };
    // A chain without EIP-1559 (no base fee) takes legacy txs: gasPrice plays maxFeePerGas's part.
    const raw = this.legacy
      ? await this.account.signTransaction({ ...common, type: 'legacy', gasPrice: fees.maxFeePerGas })
      : await this.account.signTransaction({ ...common, type: 'eip1559', maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
    const sent: SentTx = { hash: keccak256(raw), raw, maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() };
    rec.txs.push(sent);
    this.jobs.set(rec.id, rec);
    await this.save(rec);
    try {
      await this.client.sendRawTransaction({ serializedTransaction: raw });
    } catch (e) {
      const msg = errorLine(e);
      if (/insufficient funds/i.test(msg)) throw await this.fundsError(BigInt(rec.gas) * fees.maxFeePerGas);
      // Recorded anyway: the next tick rebroadcasts or bumps it; the nonce stays reserved for this job.
      this.note({ kind: 'failed', reason: 'rpc_refused' });
      this.log.warn({ job: rec.id, nonce: rec.nonce, tx: sent.hash, error: msg }, `${this.o.label} RPC refused the tx; it is retried with the same nonce`);
    }
  }

  private async save(rec: JobRecord): Promise<void> {
    await this.db.batch().put(JOB + rec.id, JSON.stringify(rec)).write({ sync: true });
  }

  private async nextNonce(): Promise<number> {
    const chain = await this.client.getTransactionCount({ address: this.address, blockTag: 'pending' });
    let n = chain;
    for (const j of this.jobs.values()) if (j.status === 'pending' && j.nonce + 1 > n) n = j.nonce + 1;
    return n;
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    let maxFeePerGas: bigint;
    let maxPriorityFeePerGas: bigint;
    if (this.legacy === undefined) {
      const latest = await this.client.getBlock({ blockTag: 'latest' });
      this.legacy = latest.baseFeePerGas === null || latest.baseFeePerGas === undefined;
      if (this.legacy) this.log.info(`${this.o.label} has no EIP-1559 base fee: sending legacy (gasPrice) txs`);
    }
    if (this.legacy) {
      maxFeePerGas = await this.client.getGasPrice();
      maxPriorityFeePerGas = maxFeePerGas;
    } else {
      const f = await this.client.estimateFeesPerGas();
      maxFeePerGas = f.maxFeePerGas ?? 0n;
      maxPriorityFeePerGas = f.maxPriorityFeePerGas ?? 0n;
    }
    if (maxFeePerGas > this.feeCap) maxFeePerGas = this.feeCap;
    return { maxFeePerGas, maxPriorityFeePerGas: maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : maxPriorityFeePerGas };
  }

  private async fundsError(need: bigint, has?: bigint): Promise<FundsError> {
    this.note({ kind: 'failed', reason: 'funds' });
    const balance = has ?? (await this.client.getBalance({ address: this.address }).catch(() => undefined));
    return new FundsError(
      `validator ${this.address} has ${balance === undefined ? 'too little' : `${formatEther(balance)}`} ETH on ${this.o.label} (chain ${this.o.chainId}) for gas` +
        `${need > 0n ? `, needs about ${formatEther(need)}` : ''}: fund it`,
    );
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const gwei = (v: bigint): string => (Number(v) / 1e9).toFixed(3);
