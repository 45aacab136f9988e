// Key shares at rest. `KeyStore` is the interface an HSM-backed store could implement; the level
// implementation encrypts every record (share and public package together) with the SecretBox.
// Records are keyed by (key id, epoch) and never overwritten: a reshare or refresh writes the new
// epoch beside the old one, and only confirm() moves the active pointer, so the share in use stays
// until the new one is confirmed on chain.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { MpcError } from '../../mpc/errors.js';
import { Fn, scalarBytes } from '../../mpc/suite.js';
import { SecretShare, type KeyShare, type PublicKeyPackage } from '../../mpc/keys/types.js';
import { DURABLE, openEncrypted, type BinaryLevel } from './level-db.js';
import type { SecretBox, ScryptParams } from './secret-box.js';

export interface KeyStore {
  /** Stores a new (key id, epoch) record; CONFLICT if one exists. */
  put(share: KeyShare): Promise<void>;
  get(keyId: string, epoch: number): Promise<KeyShare | undefined>;
  /** Makes `epoch` the active sharing of `keyId` (after the chain confirmed it). */
  confirm(keyId: string, epoch: number): Promise<void>;
  active(keyId: string): Promise<KeyShare | undefined>;
  epochs(keyId: string): Promise<number[]>;
  /** Deletes a superseded epoch; CONFLICT for the active one. */
  delete(keyId: string, epoch: number): Promise<void>;
  /** Secret material of a key session we take part in (the shares dealt to us), replaced as it
   * grows and deleted once the session's share is stored: a crash mid-session, or between the
   * session closing on chain and our share being stored, then loses nothing. */
  putSession(sessionHex: string, material: Uint8Array): Promise<void>;
  getSession(sessionHex: string): Promise<Uint8Array | undefined>;
  deleteSession(sessionHex: string): Promise<void>;
  close(): Promise<void>;
}

const recKey = (keyId: string, epoch: number) => {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(keyId) || !Number.isSafeInteger(epoch) || epoch < 0) throw new MpcError('INVALID_ARGUMENT', 'bad key id or epoch');
  return `share/${keyId}/${epoch.toString().padStart(12, '0')}`;
};

const sessionKey = (sessionHex: string) => {
  if (!/^[0-9a-f]{64}$/.test(sessionHex)) throw new MpcError('INVALID_ARGUMENT', 'a session id is 32 bytes in lower-case hex');
  return `session/${sessionHex}`;
};

export type PublicKeyPackageJson = Record<string, unknown> & { members: { index: number; identity: string }[]; groupKey: string; commitments: string[]; verifyingShares: Record<string, string> };

export function publicKeyPackageToJson(p: PublicKeyPackage): PublicKeyPackageJson {
  return { ...p, members: p.members.map((m) => ({ index: m.index, identity: bytesToHex(m.identity) })), groupKey: bytesToHex(p.groupKey), commitments: p.commitments.map(bytesToHex), verifyingShares: Object.fromEntries(Object.entries(p.verifyingShares).map(([k, v]) => [k, bytesToHex(v)])) };
}

export function publicKeyPackageFromJson(p: PublicKeyPackageJson): PublicKeyPackage {
  return {
    keyId: p.keyId as string,
    epoch: p.epoch as number,
    threshold: p.threshold as number,
    members: p.members.map((m) => ({ index: m.index, identity: hexToBytes(m.identity) })),
    groupKey: hexToBytes(p.groupKey),
    commitments: p.commitments.map(hexToBytes),
    verifyingShares: Object.fromEntries(Object.entries(p.verifyingShares).map(([k, v]) => [Number(k), hexToBytes(v)])),
  };
}

function encode(s: KeyShare): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ index: s.secret.index, share: bytesToHex(scalarBytes(s.secret.reveal())), public: publicKeyPackageToJson(s.public) }));
}

function decode(b: Uint8Array): KeyShare {
  const o = JSON.parse(new TextDecoder().decode(b)) as { index: number; share: string; public: PublicKeyPackageJson };
  return { public: publicKeyPackageFromJson(o.public), secret: new SecretShare(o.index, Fn.fromBytes(hexToBytes(o.share))) };
}

export class LevelKeyStore implements KeyStore {
  readonly #db: BinaryLevel;
  readonly #box: SecretBox;
  private constructor(db: BinaryLevel, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }
  /** Opens (creating if needed) the store at `path`; WRONG_PASSPHRASE if the passphrase differs. */
  static async open(path: string, passphrase: string, params?: ScryptParams): Promise<LevelKeyStore> {
    const { db, box } = await openEncrypted(path, passphrase, params);
    return new LevelKeyStore(db, box);
  }
  async put(share: KeyShare): Promise<void> {
    const k = recKey(share.public.keyId, share.public.epoch);
    if (await this.#db.get(k)) throw new MpcError('CONFLICT', `share for ${k} already stored`);
    await this.#db.put(k, this.#box.seal(encode(share), k), DURABLE);
  }
  async get(keyId: string, epoch: number): Promise<KeyShare | undefined> {
    const k = recKey(keyId, epoch);
    const v = await this.#db.get(k);
    if (!v) return undefined;
    const plain = this.#box.open(v, k);
    try {
      return decode(plain);
    } catch {
      throw new MpcError('CORRUPT_RECORD', `record ${k} does not decode`);
    } finally {
      plain.fill(0);
    }
  }
  async confirm(keyId: string, epoch: number): Promise<void> {
    if (!(await this.get(keyId, epoch))) throw new MpcError('NOT_FOUND', `no share for ${keyId} epoch ${epoch}`);
    await this.#db.put(`active/${keyId}`, new TextEncoder().encode(String(epoch)), DURABLE);
  }
  async #activeEpoch(keyId: string): Promise<number | undefined> {
    const v = await this.#db.get(`active/${keyId}`);
    return v ? Number(new TextDecoder().decode(v)) : undefined;
  }
  async active(keyId: string): Promise<KeyShare | undefined> {
    const e = await this.#activeEpoch(keyId);
    return e === undefined ? undefined : this.get(keyId, e);
  }
  async epochs(keyId: string): Promise<number[]> {
    recKey(keyId, 0);
    const out: number[] = [];
    for await (const k of this.#db.keys({ gt: `share/${keyId}/`, lt: `share/${keyId}/~` })) out.push(Number(k.slice(k.lastIndexOf('/') + 1)));
    return out;
  }
  async delete(keyId: string, epoch: number): Promise<void> {
    if ((await this.#activeEpoch(keyId)) === epoch) throw new MpcError('CONFLICT', 'refusing to delete the active share');
    await this.#db.del(recKey(keyId, epoch), DURABLE);
  }
  async putSession(sessionHex: string, material: Uint8Array): Promise<void> {
    const k = sessionKey(sessionHex);
    await this.#db.put(k, this.#box.seal(material, k), DURABLE);
  }
  async getSession(sessionHex: string): Promise<Uint8Array | undefined> {
    const k = sessionKey(sessionHex);
    const v = await this.#db.get(k);
    return v ? this.#box.open(v, k) : undefined;
  }
  async deleteSession(sessionHex: string): Promise<void> {
    await this.#db.del(sessionKey(sessionHex), DURABLE);
  }
  async close(): Promise<void> {
    await this.#db.close();
  }
}
