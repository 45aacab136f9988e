// Shared setup for the sidecar tests: N sidecars on a FakeChain and a MemoryHub, real encrypted
// stores in temp dirs (cheap scrypt), a fake L2, and a captured log per sidecar.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak256 } from 'viem';
import { pino } from 'pino';
import { fromHex, concatBytes } from '../../common/bytes.js';
import { MemoryHub } from '../../sidecar/transport.js';
import { startSidecar, type RunningSidecar, type SidecarOptions } from '../../sidecar/sidecar.js';
import type { ForcedInclusionDeps } from '../../sidecar/approval.js';
import { ZERO_CHAIN } from '../../protocol/forced-queue.js';
import { FakeL2Chain } from '../batch-fixture.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { encodeBatchHeader } from '../../protocol/signed-payloads.js';
import { IdentityKey } from '../../mpc/identity.js';
import { byzantineTransport, type ByzantineMode } from '../entry/byzantine-transport.mjs';
import type { ScryptParams } from '../../sidecar/store/secret-box.js';
import { FakeChain } from './fake-chain.js';
import { verifySignature } from '../../mpc/signing/frost.js';

export const FAST: ScryptParams = { N: 1 << 10, r: 8, p: 1 };

/** An L2 of synthetic full blocks (test/batch-fixture.ts) and the batches a producer would request. */
export class FakeL2 extends FakeL2Chain {
  constructor(head: bigint) {
    super(head, 'sidecar-l2');
  }

  /** The header payload of a batch of [l2Start, l2End] and its data, encoded from `dataOf` (default: the same blocks). */
  async batch(batchIndex: bigint, l2Start: bigint, l2End: bigint, dataOf: [bigint, bigint] = [l2Start, l2End]): Promise<{ payload: Uint8Array; data: Uint8Array }> {
    const data = await this.data(dataOf[0], dataOf[1]);
    return { data, payload: batchPayload({ batchIndex, l2Start, l2End, dataHash: keccak_256(data) }) };
  }
}

/** A batch header payload consuming no forced-inclusion entry (cursor 0, zero chain hash). */
export function batchPayload(h: { batchIndex: bigint; l2Start: bigint; l2End: bigint; dataHash: Uint8Array }): Uint8Array {
  return encodeBatchHeader({ batchIndex: h.batchIndex, prevBatchHash: new Uint8Array(32), l2StartBlock: h.l2Start, l2EndBlock: h.l2End, dataHash: h.dataHash, producer: new Uint8Array(20).fill(0x11), forcedCursor: 0n, forcedChainHash: new Uint8Array(32) });
}

/** The sidecar's forced-inclusion view when L1's queue is empty (FakeL2's blocks carry no forced
 * marker): a batch with cursor 0 and a zero chain hash passes the check, without deriving any block. */
export const NO_FORCED_ENTRIES: ForcedInclusionDeps = {
  queue: { view: async () => ({ at: 0n, length: 0n, consumed: 0n, entries: [] }), chainAt: async () => ZERO_CHAIN },
  l2: {
    call: async (method) => {
      throw new Error(`no forced block to derive, yet the forced check called L2 ${method}`);
    },
  },
  l2ChainId: async () => 31338n,
  prevCursor: async () => 0n,
  dueSeconds: async () => 8n,
};

export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  logger(name: string) {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    return pino({ name, level: 'debug' }, stream);
  }
  find(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg);
  }
}

export interface Node {
  privKey: Uint8Array;
  pubKey: Uint8Array;
  dir: string;
  sidecar: RunningSidecar | undefined;
  log: LogCapture;
}

export class Cluster {
  readonly hub = new MemoryHub();
  readonly nodes: Node[];
  readonly chain: FakeChain;
  readonly l2 = new FakeL2(1000n);

  constructor(n: number) {
    this.nodes = Array.from({ length: n }, () => {
      const privKey = secp256k1.utils.randomSecretKey();
      return { privKey, pubKey: secp256k1.getPublicKey(privKey, true), dir: mkdtempSync(join(tmpdir(), 'seqpool-sidecar-')), sidecar: undefined, log: new LogCapture() };
    });
    this.chain = new FakeChain(this.nodes.map((x) => x.pubKey));
  }

  /** `extra` overrides options (a test's own ShareVault: process-vault.test.ts). */
  async start(i: number, byzantine?: ByzantineMode, extra: Partial<SidecarOptions> = {}): Promise<RunningSidecar> {
    const x = this.nodes[i]!;
    x.sidecar = await startSidecar({
      privKey: x.privKey,
      dataDir: x.dir,
      passphrase: 'test passphrase',
      scrypt: FAST,
      chain: this.chain,
      heights: this.chain.heightSource(),
      transport: this.hub.transport(x.pubKey),
      l2: this.l2,
      forced: NO_FORCED_ENTRIES,
      logger: x.log.logger(`sidecar-${i}`),
      config: { roundTimeoutMs: 3000 },
      // Byzantine behaviour lives in test code: the channel is wrapped (test/entry/byzantine-transport.mjs).
      ...(byzantine ? { wrapTransport: byzantineTransport(byzantine, IdentityKey.fromSecretKey(x.privKey)) } : {}),
      ...extra,
    });
    return x.sidecar;
  }

  async stop(i: number): Promise<void> {
    await this.nodes[i]!.sidecar?.stop();
    this.nodes[i]!.sidecar = undefined;
  }

  /** Commits one block and waits until every running sidecar processed it and the channel is quiet. */
  async block(settleMs = 30): Promise<bigint> {
    const h = this.chain.commit();
    await Promise.all(this.nodes.map((x) => x.sidecar?.waitForHeight(h)));
    await new Promise((r) => setTimeout(r, settleMs));
    return h;
  }

  /** Commits blocks until `done()` or `max` blocks. */
  async until(done: () => boolean, max = 30, settleMs = 30): Promise<void> {
    for (let i = 0; i < max && !done(); i++) await this.block(settleMs);
  }

  /** Adds a commitEpoch request and commits blocks until it is signed; throws unless it was, with a
   * signature that verifies against the group key. */
  async signsCommitEpoch(fill: number, max: number, settleMs: number): Promise<void> {
    const r = this.chain.addRequest('commitEpoch', new Uint8Array(128).fill(fill));
    await this.until(() => this.chain.requests.get(r.id)!.status === 'signed', max, settleMs);
    const req = this.chain.requests.get(r.id)!;
    if (req.status !== 'signed') throw new Error(`request ${r.id} still ${req.status} after ${max} blocks`);
    if (!verifySignature(req.signature!, req.digest, this.chain.key!.result.public.groupKey)) throw new Error(`request ${r.id}: the signature does not verify`);
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.stop(i);
    for (const x of this.nodes) rmSync(x.dir, { recursive: true, force: true });
  }
}
