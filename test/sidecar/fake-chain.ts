// A scripted stand-in for the node: committed state as the app's abci_query JSON (docs/pool.md),
// a mempool with lane-1 nonce checks, and commit() that applies txs and finalises the open MPC
// session with an observer engine replaying the transcript (as the app does). Heights are pushed
// to subscribed sidecars like NewBlock events.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress, verify as secpVerify } from '../../common/secp.js';
import { txSignBytes } from '../../protocol/tx.js';
import { TxBodyCodec, TxCodec, type TxBody } from '../../proto/seqpool.js';
import { equalBytes, open } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { DkgEngine, type KeygenResult } from '../../mpc/keys/dkg.js';
import type { Member } from '../../mpc/keys/types.js';
import { l1Digest } from '../../mpc/l1.js';
import { verifySignature } from '../../mpc/signing/frost.js';
import { thresholdFor } from '../../mpc/threshold.js';
import type { BroadcastResult, QueryAnswer } from '../../protocol/comet-rpc.js';
import type { ChainClient, HeightSource } from '../../sidecar/chain.js';
import type { DecodedSignRequest } from '../../sidecar/chain-view.js';

interface Val {
  address: string;
  pubKey: Uint8Array;
  sidecarNonce: bigint;
  peer: { peerId: string; addrs: string[] } | null;
}

interface Session {
  id: Uint8Array;
  kind: 'dkg';
  attempt: number;
  keyEpoch: number;
  threshold: number;
  members: (Member & { address: string })[];
  openedHeight: bigint;
  dealDeadline: bigint;
  complaintDeadline: bigint;
  finalHeight: bigint;
  status: 'open' | 'done' | 'failed';
  transcript: Uint8Array[];
  ready: number[];
  dealt: Set<number>;
  observer: DkgEngine;
  result?: KeygenResult;
}

/** A sign request of the fake chain: the sidecar's decoded view of one, and its signature. */
export type Req = DecodedSignRequest & { signature: Uint8Array | null };

/** The MPC half of the chain: the scripted one below, or the real app code (app-mpc-backend.ts). */
export interface MpcBackend {
  /** Applies this block's MpcPublic txs (signer = CometBFT address, upper hex), ends the block (boundary: an epoch boundary), commits; returns each tx's rejection. */
  block(txs: { session: Uint8Array; envelope: Uint8Array; signer: string }[], boundary?: bigint): (string | undefined)[];
  /** JSON answer of an /mpc/ path, undefined for NOT_FOUND. */
  query(path: string): unknown;
  groupKey(): Uint8Array | undefined;
}

export class FakeChain implements ChainClient {
  readonly chainId = 'fake-chain';
  height = 0n;
  readonly vals = new Map<string, Val>();
  readonly sessions = new Map<string, Session>();
  current: string | undefined;
  key: { result: KeygenResult; session: Session; height: bigint } | undefined;
  readonly requests = new Map<bigint, Req>();
  readonly cheaterReports: { requestId: bigint; signer: number; from: string }[] = [];
  readonly rejected: { what: string; log: string }[] = [];
  mempool: { body: TxBody; address: string }[] = [];
  backend: MpcBackend | undefined;
  /** Set before commit() to make that block an epoch boundary (backend only). */
  boundary: bigint | undefined;
  readonly #listeners = new Set<(h: bigint) => void>();

  constructor(pubKeys: Uint8Array[]) {
    for (const pk of pubKeys) this.addValidator(pk);
  }

  addValidator(pk: Uint8Array): void {
    const address = toHex(pubKeyToAddress(pk)).toUpperCase();
    this.vals.set(address, { address, pubKey: pk, sidecarNonce: 0n, peer: null });
  }

  // ---- ChainClient ----
  async query(path: string): Promise<QueryAnswer | undefined> {
    const v = this.#answer(path);
    return v === undefined ? undefined : { value: JSON.parse(JSON.stringify(v)) as unknown, height: this.height };
  }

  /** Validators (upper-hex addresses) whose votes the next commits lack (a node that is down). */
  readonly absentFromCommits = new Set<string>();

  async commitSigners(_height: bigint): Promise<string[]> {
    return [...this.vals.keys()].filter((a) => !this.absentFromCommits.has(a));
  }

  async status(): Promise<{ height: bigint; chainId: string }> {
    return { height: this.height, chainId: this.chainId };
  }

  async broadcastTx(raw: Uint8Array): Promise<BroadcastResult> {
    const tx = TxCodec.decode(raw);
    const body = TxBodyCodec.decode(tx.body);
    const address = toHex(pubKeyToAddress(body.signer)).toUpperCase();
    const hash = bytesToHex(raw.slice(0, 16));
    const v = this.vals.get(address);
    if (!v) return { code: 5, log: 'unknown signer', hash };
    if (!secpVerify(body.signer, txSignBytes(tx.body), tx.signature)) return { code: 3, log: 'bad signature', hash };
    if ((body.lane ?? 0) !== 1) return { code: 8, log: 'sidecar txs must use lane 1', hash };
    const expected = v.sidecarNonce + 1n + BigInt(this.mempool.filter((m) => m.address === address).length);
    if (body.nonce !== expected) return { code: 6, log: `nonce ${body.nonce}: signer ${address} expects ${expected}`, hash };
    this.mempool.push({ body, address });
    return { code: 0, log: '', hash };
  }

  // ---- HeightSource ----
  heightSource(): HeightSource {
    let fn: ((h: bigint) => void) | undefined;
    return {
      start: (onHeight) => {
        fn = onHeight;
        this.#listeners.add(onHeight);
        if (this.height > 0n) setImmediate(() => onHeight(this.height));
      },
      stop: async () => {
        if (fn) this.#listeners.delete(fn);
      },
    };
  }

  // ---- scripting ----
  openDkg(phaseBlocks = 3n, attempt = 0): Session {
    const members = [...this.vals.values()]
      .sort((a, b) => a.address.localeCompare(b.address))
      .map((v, i) => ({ index: i + 1, identity: v.pubKey, address: v.address }));
    const threshold = thresholdFor(members.length);
    const observer = new DkgEngine({ keyId: 'seqpool', epoch: 0, attempt, members, threshold, identity: IdentityKey.generate() });
    const opened = this.height + 1n; // opens in the next block
    const s: Session = {
      id: observer.session,
      kind: 'dkg',
      attempt,
      keyEpoch: 0,
      threshold,
      members,
      openedHeight: opened,
      dealDeadline: opened + phaseBlocks,
      complaintDeadline: opened + 2n * phaseBlocks,
      finalHeight: opened + 3n * phaseBlocks,
      status: 'open',
      transcript: [],
      ready: [],
      dealt: new Set(),
      observer,
    };
    this.sessions.set(bytesToHex(s.id), s);
    this.current = bytesToHex(s.id);
    return s;
  }

  addRequest(purpose: string, payload: Uint8Array, verifier = new Uint8Array(20).fill(7), chainId = 31337n, deadlineSeconds = 600n): Req {
    const id = BigInt(this.requests.size + 1);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const r: Req = { id, purpose, chainId, verifier, payload, digest: l1Digest({ chainId, verifier, purpose, payload }), status: 'pending', signature: null, createdHeight: this.height + 1n, createdTime: now, deadlineTime: now + deadlineSeconds };
    this.requests.set(id, r);
    return r;
  }

  /** Applies the mempool in order, ends the block, notifies subscribers. */
  commit(): bigint {
    this.height++;
    const txs = this.mempool;
    this.mempool = [];
    const mpc: { session: Uint8Array; envelope: Uint8Array; signer: string }[] = [];
    for (const { body, address } of txs) {
      const v = this.vals.get(address)!;
      v.sidecarNonce = body.nonce;
      if (this.backend && body.mpcPublic) {
        mpc.push({ ...body.mpcPublic, signer: address });
        continue;
      }
      const problem = this.#apply(body, v);
      if (problem) this.rejected.push({ what: Object.keys(body).find((k) => !['chainId', 'signer', 'nonce', 'lane'].includes(k)) ?? '?', log: problem });
    }
    if (this.backend) {
      const results = this.backend.block(mpc, this.boundary);
      this.boundary = undefined;
      results.forEach((r) => r && this.rejected.push({ what: 'mpcPublic', log: r }));
    } else this.#endBlock();
    const h = this.height;
    for (const l of this.#listeners) setImmediate(() => l(h));
    return h;
  }

  #apply(body: TxBody, v: Val): string | undefined {
    if (body.bindPeer) {
      v.peer = { peerId: body.bindPeer.peerId, addrs: body.bindPeer.addrs };
      return undefined;
    }
    if (body.mpcPublic) {
      const s = this.sessions.get(bytesToHex(body.mpcPublic.session));
      if (!s || s.status !== 'open') return 'no open session';
      let o;
      try {
        o = open(body.mpcPublic.envelope);
      } catch (e) {
        return (e as Error).message;
      }
      if (!equalBytes(o.body.sender, v.pubKey)) return 'envelope sender is not the tx signer';
      if (o.body.payload === 'ready') {
        const b = o.body as unknown as { ready: { recipient: number } };
        const m = s.members.find((x) => equalBytes(x.identity, v.pubKey));
        if (!m || m.index !== b.ready.recipient || s.ready.includes(m.index)) return 'bad ready';
        s.ready.push(m.index);
      } else {
        if (o.body.payload === 'dealing' && this.height > s.dealDeadline) return 'dealing after the deadline';
        try {
          s.observer.receive(body.mpcPublic.envelope);
        } catch (e) {
          return (e as Error).message;
        }
        if (o.body.payload === 'dealing') s.dealt.add((o.body as unknown as { dealing: { dealer: number } }).dealing.dealer);
      }
      s.transcript.push(body.mpcPublic.envelope);
      return undefined;
    }
    if (body.submitSignature) {
      const r = this.requests.get(body.submitSignature.requestId);
      if (!r || r.status !== 'pending') return 'request not pending';
      const gk = this.backend ? this.backend.groupKey() : this.key?.result.public.groupKey;
      if (!gk || !verifySignature(body.submitSignature.signature, r.digest, gk)) return 'signature does not verify';
      r.status = 'signed';
      r.signature = body.submitSignature.signature;
      return undefined;
    }
    if (body.reportCheater) {
      this.cheaterReports.push({ requestId: body.reportCheater.requestId, signer: body.reportCheater.signer, from: v.address });
      return undefined;
    }
    return 'unknown message';
  }

  #endBlock(): void {
    const s = this.current ? this.sessions.get(this.current) : undefined;
    if (!s || s.status !== 'open') return;
    const complete = s.dealt.size === s.members.length && s.ready.length === s.members.length;
    if (!complete && this.height < s.finalHeight) return;
    try {
      s.result = s.observer.finalise();
      s.status = 'done';
      this.key = { result: s.result, session: s, height: this.height };
    } catch {
      s.status = 'failed';
    }
  }

  /** Batch data the app recorded with each batch (/batch/{index}/data). */
  readonly batchData = new Map<bigint, Uint8Array>();

  #answer(path: string): unknown {
    if (path === '/validators') return [...this.vals.values()].map((v) => this.#valJson(v));
    const bd = /^\/batch\/([0-9]+)\/data$/.exec(path);
    if (bd) {
      const d = this.batchData.get(BigInt(bd[1]!));
      return d && { index: bd[1], dataHash: `0x${toHex(keccak_256(d))}`, data: `0x${toHex(d)}` };
    }
    let m = /^\/validator\/([0-9A-Fa-f]{40})$/.exec(path);
    if (m) {
      const v = this.vals.get(m[1]!.toUpperCase());
      return v ? this.#valJson(v) : undefined;
    }
    if (this.backend && path.startsWith('/mpc/')) return this.backend.query(path);
    if (path === '/mpc/session/current') return this.current ? this.#sessionJson(this.sessions.get(this.current)!) : undefined;
    m = /^\/mpc\/session\/([0-9a-f]{64})$/.exec(path);
    if (m) {
      const s = this.sessions.get(m[1]!);
      return s ? this.#sessionJson(s) : undefined;
    }
    if (path === '/mpc/key') {
      if (!this.key) return undefined;
      const p = this.key.result.public;
      return {
        keyId: p.keyId,
        groupKey: toHex(p.groupKey),
        threshold: p.threshold,
        keyEpoch: p.epoch,
        members: p.members.map((x) => ({ index: x.index, address: toHex(pubKeyToAddress(x.identity)).toUpperCase(), identity: toHex(x.identity), verifyingShare: toHex(p.verifyingShares[x.index]!) })),
        commitments: p.commitments.map((c) => toHex(c)),
        session: toHex(this.key.session.id),
        height: this.key.height.toString(),
      };
    }
    if (path === '/sign/pending') return { requests: [...this.requests.values()].filter((r) => r.status === 'pending').map((r) => this.#reqJson(r)) };
    m = /^\/sign\/(\d+)$/.exec(path);
    if (m) {
      const r = this.requests.get(BigInt(m[1]!));
      return r ? this.#reqJson(r) : undefined;
    }
    throw new Error(`fake chain: unknown path ${path}`);
  }

  #valJson(v: Val) {
    return { address: v.address, pubKey: toHex(v.pubKey), power: '10', nonce: '0', sidecarNonce: v.sidecarNonce.toString(), peer: v.peer ? { ...v.peer, height: '1' } : null };
  }

  #sessionJson(s: Session) {
    const members = s.members.map((m) => ({ index: m.index, address: m.address, identity: toHex(m.identity) }));
    return {
      id: toHex(s.id),
      kind: s.kind,
      attempt: s.attempt,
      keyEpoch: s.keyEpoch,
      threshold: s.threshold,
      dealers: members,
      receivers: members,
      openedHeight: s.openedHeight.toString(),
      dealDeadline: s.dealDeadline.toString(),
      complaintDeadline: s.complaintDeadline.toString(),
      finalHeight: s.finalHeight.toString(),
      status: s.status,
      transcript: s.transcript.map((t) => toHex(t)),
      ready: s.ready,
      faults: s.result?.faults.map((f) => ({ index: f.dealer, reason: f.reason })) ?? [],
    };
  }

  #reqJson(r: Req) {
    return {
      id: r.id.toString(),
      purpose: r.purpose,
      chainId: r.chainId.toString(),
      verifier: `0x${toHex(r.verifier)}`,
      payload: `0x${toHex(r.payload)}`,
      digest: `0x${toHex(r.digest)}`,
      status: r.status,
      signature: r.signature ? `0x${toHex(r.signature)}` : null,
      createdHeight: r.createdHeight.toString(),
      createdTime: r.createdTime.toString(),
      deadlineTime: r.deadlineTime.toString(),
    };
  }
}
