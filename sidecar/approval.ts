// Decision 8: sign only what consensus approved, and check the content. A signing session is
// approved when a PENDING request in committed state has that session id and that digest, the
// digest is the l1Digest of the request's own fields, and, for appendBatch, the batch data the pool
// recorded hashes to the header's dataHash and holds, byte for byte, the body protocol/batch-data.ts
// encodes from the L2 blocks l2Start..l2End as OUR OWN L2 RPC serves them (decision 43).
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../common/log.js';
import { equalBytes } from '../mpc/envelope.js';
import { l1Digest } from '../mpc/l1.js';
import { signingSessionId } from '../mpc/signing/session.js';
import type { PublicKeyPackage } from '../mpc/keys/types.js';
import { batchDataHash, BatchDataError, decodeBatchBody, decompressBatchData, encodeBatchBody, firstDifference, payloadOf, readBatchContent, type BatchContent, type L2PayloadSource } from '../protocol/batch-data.js';
import { forcedBatchProblem } from '../protocol/forced-check.js';
import type { ForcedBlockRpc } from '../protocol/forced-block.js';
import type { ForcedQueueLookup } from '../protocol/forced-check.js';
import { decodeBatchHeader, type BatchHeader } from '../protocol/signed-payloads.js';
import type { DecodedSignRequest } from './chain-view.js';

export type { L2PayloadSource };

/** What checking a batch's forced inclusion needs (decision 46): our view of L1's queue, our L2's
 * simulation, and from committed state the previous batch's cursor and forcedDueSeconds. */
export interface ForcedInclusionDeps {
  queue: ForcedQueueLookup;
  l2: ForcedBlockRpc;
  l2ChainId(): Promise<bigint>;
  prevCursor(batchIndex: bigint): Promise<bigint>;
  dueSeconds(): Promise<bigint>;
}

export interface ApproverDeps {
  /** Committed PENDING requests and the current key package (fresh reads from the chain). */
  readPending(): Promise<{ pkg: PublicKeyPackage; requests: DecodedSignRequest[] } | undefined>;
  /** Our own L2 (full blocks), which every batch is compared with. */
  l2: L2PayloadSource | undefined;
  /** The data the pool recorded with batch `index` (/batch/{index}/data); undefined if it has none. */
  batchData(index: bigint): Promise<Uint8Array | undefined>;
  /** Our view of the forced-inclusion queue; without it appendBatch is refused (it cannot be checked). */
  forced: ForcedInclusionDeps | undefined;
  logger: Logger;
  /** How long to wait for our node to commit a request the coordinator already saw (default
   * CATCH_UP_MS; keep it well inside the coordinator's round timeout). */
  catchUpMs?: number;
  /** Resolves when our node reports its next committed block: the catch-up re-reads then instead
   * of on the next poll (without it, only the CATCH_UP_POLL_MS poll). */
  nextCommit?: () => Promise<void>;
  /** Re-read interval of the catch-up when no commit is reported (default CATCH_UP_POLL_MS). */
  pollMs?: number;
}

export const CATCH_UP_MS = 1200;
const CATCH_UP_POLL_MS = 150;

export class Approver {
  readonly #d: ApproverDeps;
  #bySession = new Map<string, DecodedSignRequest>();
  readonly #verdicts = new Map<string, true>(); // `${id}:${digest}` already checked against L2
  readonly #checking = new Map<string, Promise<boolean>>(); // checks in flight, by the same key
  #refreshing: Promise<void> | undefined;

  constructor(deps: ApproverDeps) {
    this.#d = deps;
  }

  /** Installs the pending set read at a committed height, and starts checking new appendBatch
   * requests against our L2 at once: the coordinator's SignRequest then finds the verdict ready
   * instead of waiting for a dozen L2 RPC reads (the bulk of a participant's reply time). */
  update(pkg: PublicKeyPackage, requests: DecodedSignRequest[]): void {
    const m = new Map<string, DecodedSignRequest>();
    for (const r of requests) if (r.status === 'pending') m.set(bytesToHex(signingSessionId(pkg, String(r.id))), r);
    this.#bySession = m;
    const live = new Set(requests.map((r) => `${r.id}:${bytesToHex(r.digest)}`));
    for (const k of this.#verdicts.keys()) if (!live.has(k)) this.#verdicts.delete(k);
    for (const k of this.#checking.keys()) if (!live.has(k)) this.#checking.delete(k);
    for (const r of requests) if (r.status === 'pending' && r.purpose === 'appendBatch') void this.#checkBatch(r, true);
  }

  /**
   * The pending request behind a signing session, if any. When unknown, the coordinator has likely
   * seen the block before our node committed it: re-read committed state as soon as our node commits
   * its next block (or every CATCH_UP_POLL_MS) for up to `catchUpMs` rather than refuse at once and
   * be excluded as unresponsive (on a loaded 7-validator localnet nodes commit the same block up to
   * 250 ms apart, 140 ms at the median).
   */
  async request(session: Uint8Array): Promise<DecodedSignRequest | undefined> {
    const key = bytesToHex(session);
    const deadline = Date.now() + (this.#d.catchUpMs ?? CATCH_UP_MS);
    let r = this.#bySession.get(key);
    while (!r) {
      this.#refreshing ??= this.#d
        .readPending()
        .then((p) => {
          if (p) this.update(p.pkg, p.requests);
        })
        .catch((e: unknown) => this.#d.logger.warn({ err: (e as Error).message }, 'cannot read pending sign requests'))
        .finally(() => (this.#refreshing = undefined));
      await this.#refreshing;
      r = this.#bySession.get(key);
      const pollMs = this.#d.pollMs ?? CATCH_UP_POLL_MS;
      if (r || Date.now() + pollMs > deadline) break;
      let timer: NodeJS.Timeout | undefined;
      const poll = new Promise<void>((resolve) => (timer = setTimeout(resolve, pollMs)));
      await Promise.race([poll, ...(this.#d.nextCommit ? [this.#d.nextCommit()] : [])]);
      clearTimeout(timer);
    }
    return r;
  }

  /**
   * The `approve` callback of a SigningParticipant holding a share of `share` (its public package):
   * the session must also be one of that sharing. At a reshare or refresh the committed key moves on
   * before the participant switches shares (or the other way round); a share of one epoch in a
   * session of another is invalid there, and the coordinator would report us as a cheater.
   */
  approveFor = (share: PublicKeyPackage) => (session: Uint8Array, message: Uint8Array) => this.approve(session, message, share);

  /** Approval of `message` in `session` (and, given `share`, for a signer holding that sharing). */
  approve = async (session: Uint8Array, message: Uint8Array, share?: PublicKeyPackage): Promise<boolean> => {
    const r = await this.request(session);
    const log = this.#d.logger;
    if (!r) {
      log.warn({ session: bytesToHex(session).slice(0, 16) }, 'refusing to sign: no PENDING request with this session in committed state');
      return false;
    }
    if (share && !equalBytes(signingSessionId(share, String(r.id)), session)) {
      log.info({ requestId: r.id.toString(), ourKeyEpoch: share.epoch }, 'not signing: the session is of another sharing than our share (key epoch switching)');
      return false;
    }
    if (!equalBytes(r.digest, message)) {
      log.warn({ requestId: r.id.toString() }, 'refusing to sign: message differs from the committed request digest');
      return false;
    }
    let digest: Uint8Array;
    try {
      digest = l1Digest({ chainId: r.chainId, verifier: r.verifier, purpose: r.purpose, payload: r.payload });
    } catch (e) {
      log.warn({ requestId: r.id.toString(), err: (e as Error).message }, 'refusing to sign: request fields do not form an L1 digest');
      return false;
    }
    if (!equalBytes(digest, r.digest)) {
      log.warn({ requestId: r.id.toString() }, 'refusing to sign: committed digest is not l1Digest of the request fields');
      return false;
    }
    if (r.purpose === 'appendBatch') return this.#checkBatch(r);
    return true;
  };

  /** One check per request at a time; a failed prefetch is simply redone when the signer asks. */
  #checkBatch(r: DecodedSignRequest, prefetch = false): Promise<boolean> {
    const vk = `${r.id}:${bytesToHex(r.digest)}`;
    if (this.#verdicts.has(vk)) return Promise.resolve(true);
    let p = this.#checking.get(vk);
    if (!p) {
      p = this.#deriveAndCompare(r, vk).finally(() => this.#checking.delete(vk));
      this.#checking.set(vk, p);
    }
    return prefetch ? p.catch(() => false) : p;
  }

  async #deriveAndCompare(r: DecodedSignRequest, vk: string): Promise<boolean> {
    const log = this.#d.logger;
    if (!this.#d.l2) {
      log.warn({ requestId: r.id.toString() }, 'refusing to sign appendBatch: no l2RpcUrl configured, so the batch cannot be checked');
      return false;
    }
    let header: BatchHeader;
    try {
      header = decodeBatchHeader(r.payload);
    } catch (e) {
      log.warn({ requestId: r.id.toString(), err: (e as Error).message }, 'refusing to sign appendBatch: payload is not an ABI-encoded BatchHeader');
      return false;
    }
    const at = { requestId: r.id.toString(), batchIndex: header.batchIndex.toString(), l2Start: header.l2StartBlock.toString(), l2End: header.l2EndBlock.toString() };
    const data = await this.#d.batchData(header.batchIndex).catch((e: Error) => {
      log.warn({ ...at, err: e.message }, 'refusing to sign appendBatch for now: cannot read the batch data from our node');
      return null;
    });
    if (data === null) return false;
    if (!data || !equalBytes(batchDataHash(data), header.dataHash)) {
      log.error({ ...at, dataHash: `0x${bytesToHex(header.dataHash)}` }, data ? 'refusing to sign appendBatch: the recorded batch data does not hash to the header\'s dataHash' : 'refusing to sign appendBatch: the pool holds no data for this batch');
      return false;
    }
    let theirs: BatchContent;
    let theirBody: Uint8Array;
    try {
      theirBody = decompressBatchData(data);
      theirs = decodeBatchBody(theirBody);
    } catch (e) {
      log.error({ ...at, err: (e as Error).message }, 'refusing to sign appendBatch: the batch data is not a valid encoding');
      return false;
    }
    const count = header.l2EndBlock - header.l2StartBlock + 1n;
    if (theirs.firstBlock !== header.l2StartBlock || BigInt(theirs.blocks.length) !== count) {
      log.error({ ...at, dataFirst: theirs.firstBlock.toString(), dataBlocks: theirs.blocks.length }, 'refusing to sign appendBatch: the batch data covers other L2 blocks than its header');
      return false;
    }
    let ours: BatchContent;
    try {
      ours = await readBatchContent(this.#d.l2, header.l2StartBlock, header.l2EndBlock);
    } catch (e) {
      const level = e instanceof BatchDataError ? 'error' : 'warn';
      log[level]({ ...at, err: (e as Error).message }, 'refusing to sign appendBatch for now: cannot read the L2 blocks from our L2 RPC');
      return false;
    }
    if (!equalBytes(encodeBatchBody(ours), theirBody)) {
      const diff = firstDifference(ours, theirs);
      log.error(
        { ...at, firstDifferingBlock: diff?.block.toString() ?? null, field: diff?.field ?? 'encoding' },
        'refusing to sign appendBatch: the batch data differs from the L2 blocks our own L2 RPC serves',
      );
      return false;
    }
    const forced = this.#d.forced;
    if (!forced) {
      log.warn(at, 'refusing to sign appendBatch: no l1 section in sidecar.json, so its forced inclusion cannot be checked');
      return false;
    }
    let problem: string | undefined;
    try {
      const payloads = ours.blocks.map((_, i) => payloadOf(ours, i));
      const [chainId, prevCursor, dueSeconds] = await Promise.all([forced.l2ChainId(), forced.prevCursor(header.batchIndex), forced.dueSeconds()]);
      problem = await forcedBatchProblem({ l2: forced.l2, chainId, queue: forced.queue, payloads, prevCursor, dueSeconds, header: { forcedCursor: header.forcedCursor, forcedChainHash: `0x${bytesToHex(header.forcedChainHash)}` } });
    } catch (e) {
      log.warn({ ...at, err: (e as Error).message }, 'refusing to sign appendBatch for now: cannot check its forced inclusion (L1 or L2 RPC)');
      return false;
    }
    if (problem) {
      log.error({ ...at, forcedCursor: header.forcedCursor.toString(), problem }, 'refusing to sign appendBatch: its forced inclusion is wrong');
      return false;
    }
    this.#verdicts.set(vk, true);
    return true;
  }
}
