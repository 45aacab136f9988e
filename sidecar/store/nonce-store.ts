// Signing nonces survive crashes and are used at most once: a nonce pair is written (encrypted)
// before its commitment leaves the process, and replaced by a tombstone in one atomic batch before
// the signature share leaves. A restarted signer therefore either finds the same pending nonce (and
// may answer the same attempt) or finds the tombstone and refuses.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { MpcError } from '../../mpc/errors.js';
import type { SigningCommitment, SigningNonces } from '../../mpc/signing/frost.js';
import type { NonceRecord, NonceStore } from '../../mpc/signing/participant.js';
import { DURABLE, openEncrypted, type BinaryLevel } from './level-db.js';
import type { ScryptParams, SecretBox } from './secret-box.js';

export type { NonceRecord };

const key = (session: Uint8Array, attempt: number, prefix: 'n' | 'u') => `${prefix}/${bytesToHex(session)}/${attempt}`;

export class LevelNonceStore implements NonceStore {
  readonly #db: BinaryLevel;
  readonly #box: SecretBox;
  private constructor(db: BinaryLevel, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }
  static async open(path: string, passphrase: string, params?: ScryptParams): Promise<LevelNonceStore> {
    const { db, box } = await openEncrypted(path, passphrase, params);
    return new LevelNonceStore(db, box);
  }
  async get(session: Uint8Array, attempt: number): Promise<NonceRecord | undefined> {
    if (await this.#db.get(key(session, attempt, 'u'))) return { state: 'used' };
    const k = key(session, attempt, 'n');
    const v = await this.#db.get(k);
    if (!v) return undefined;
    const plain = this.#box.open(v, k);
    const o = JSON.parse(new TextDecoder().decode(plain)) as Record<string, string | number>;
    plain.fill(0);
    return {
      state: 'pending',
      nonces: { hiding: hexToBytes(o.h as string), binding: hexToBytes(o.b as string) },
      commitment: { index: o.i as number, hiding: hexToBytes(o.H as string), binding: hexToBytes(o.B as string) },
    };
  }
  /** Persists a fresh nonce pair; refuses if this attempt already has one (pending or used). */
  async put(session: Uint8Array, attempt: number, nonces: SigningNonces, c: SigningCommitment): Promise<void> {
    if (await this.get(session, attempt)) throw new MpcError('NONCE_REUSE', 'a nonce for this attempt already exists');
    const k = key(session, attempt, 'n');
    const plain = new TextEncoder().encode(JSON.stringify({ h: bytesToHex(nonces.hiding), b: bytesToHex(nonces.binding), i: c.index, H: bytesToHex(c.hiding), B: bytesToHex(c.binding) }));
    await this.#db.put(k, this.#box.seal(plain, k), DURABLE);
    plain.fill(0);
  }
  /** Atomically deletes the nonce and writes the tombstone. */
  async consume(session: Uint8Array, attempt: number): Promise<void> {
    await this.#db.batch([
      { type: 'del', key: key(session, attempt, 'n') },
      { type: 'put', key: key(session, attempt, 'u'), value: new Uint8Array([1]) },
    ], DURABLE);
  }
  /** Nonce records (pending or used) of `session` whose attempt lies in [from, to]. */
  async count(session: Uint8Array, from: number, to: number): Promise<number> {
    const hex = bytesToHex(session);
    let n = 0;
    for (const prefix of ['n', 'u']) {
      for await (const k of this.#db.keys({ gt: `${prefix}/${hex}/`, lt: `${prefix}/${hex}/~` })) {
        const attempt = Number(k.slice(k.lastIndexOf('/') + 1));
        if (attempt >= from && attempt <= to) n++;
      }
    }
    return n;
  }
  /** Sessions (hex) with a stored nonce or tombstone. */
  async sessions(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const prefix of ['n/', 'u/']) for await (const k of this.#db.keys({ gt: prefix, lt: `${prefix}~` })) out.add(k.split('/')[1]!);
    return out;
  }
  /**
   * Deletes every nonce and tombstone of a session whose request is settled (signed or expired):
   * no honest coordinator asks for it again, and approval refuses it. Safe for nonce reuse: the
   * nonce is deleted with its tombstone, so an attempt asked again gets a fresh one or nothing.
   */
  async forget(sessionHex: string): Promise<void> {
    const ops: { type: 'del'; key: string }[] = [];
    for (const prefix of ['n', 'u']) for await (const k of this.#db.keys({ gt: `${prefix}/${sessionHex}/`, lt: `${prefix}/${sessionHex}/~` })) ops.push({ type: 'del', key: k });
    if (ops.length) await this.#db.batch(ops, DURABLE);
  }
  async close(): Promise<void> {
    await this.#db.close();
  }
}
