// The key-share boundary (issue 11 item 3): everything the sidecar does with a key share goes through
// a ShareVault, and no operation returns a secret share or a nonce, so the share can live in another
// process, an enclave or an HSM. The operations are what the protocols need: nonce commitments and
// signature shares (the nonce discipline of mpc/signing/share-signer.ts runs inside), a reshare
// dealing (lambda * s, dealt inside), a refresh (the vault adds the delta), storing the share a key
// session produced, and the public package, epochs and session material around them.
// LevelShareVault is the encrypted LevelDB implementation (the key store and nonce store of today,
// same files); test/sidecar/process-vault.ts is a second one that keeps shares in a child process.
// The interface lives here rather than in mpc/ because half of it is storage (epochs, confirm,
// session material); the arithmetic it runs on the share is pure and stays in mpc/.
import { MpcError } from '../../mpc/errors.js';
import { dealScaledShare, refreshedShare, type Dealing, type ReshareDealingRequest } from '../../mpc/keys/share-math.js';
import type { PublicKeyPackage, SecretShare } from '../../mpc/keys/types.js';
import type { SigningCommitment } from '../../mpc/signing/frost.js';
import { nonceStoreSigner, type NonceQuota } from '../../mpc/signing/share-signer.js';
import { LevelKeyStore, type KeyStore } from './key-store.js';
import { LevelNonceStore } from './nonce-store.js';
import type { ScryptParams } from './secret-box.js';

/** One sharing of a key: key id and epoch. */
export interface KeyRef {
  keyId: string;
  epoch: number;
}

/** What the vault tells about a share it holds: public data only. */
export interface HeldKey {
  public: PublicKeyPackage;
  index: number;
}

/** Besides the operations below, the key store's that hand out no share: confirm, epochs, delete, session material. */
export interface ShareVault extends Pick<KeyStore, 'confirm' | 'epochs' | 'delete' | 'putSession' | 'getSession' | 'deleteSession' | 'close'> {
  /** The public package and our index of a (key id, epoch) share we hold; undefined if none. */
  held(keyId: string, epoch: number): Promise<HeldKey | undefined>;

  /** Signing round 1 with the share of `ref` (ShareSigner.commit): the nonces stay inside, persisted
   * before the commitment is returned. */
  commitNonces(ref: KeyRef, session: Uint8Array, attempt: number, quota: NonceQuota): Promise<SigningCommitment>;
  /** Signing round 2 (ShareSigner.sign): z_i, the nonce tombstoned before it is returned. */
  signPackage(ref: KeyRef, session: Uint8Array, attempt: number, list: readonly SigningCommitment[], message: Uint8Array): Promise<Uint8Array>;
  /** Sessions (hex) with a stored nonce or tombstone. */
  nonceSessions(): Promise<Set<string>>;
  /** Deletes a settled session's nonces and tombstones (LevelNonceStore.forget). */
  forgetNonces(sessionHex: string): Promise<void>;

  /** A reshare dealer's dealing of weight * s (ReshareEngine.dealingRequest) from the share of `ref`. */
  dealReshare(ref: KeyRef, req: ReshareDealingRequest): Promise<Dealing>;
  /** Stores the share a DKG or reshare produced; CONFLICT if (key id, epoch) is stored. */
  storeShare(pub: PublicKeyPackage, secret: SecretShare): Promise<void>;
  /** Stores the refresh of the share of `from`: s + delta, checked against `pub`'s verifying share. */
  storeRefreshed(from: KeyRef, pub: PublicKeyPackage, delta: bigint): Promise<void>;
}

/** The encrypted LevelDB vault: shares in `keys`, nonces in `nonces` (two stores, one passphrase). */
export class LevelShareVault implements ShareVault {
  readonly #keys: LevelKeyStore;
  readonly #nonces: LevelNonceStore;
  private constructor(keys: LevelKeyStore, nonces: LevelNonceStore) {
    this.#keys = keys;
    this.#nonces = nonces;
  }

  /** Opens (creating if needed) both stores; WRONG_PASSPHRASE if the passphrase does not open them. */
  static async open(paths: { keys: string; nonces: string }, passphrase: string, params?: ScryptParams): Promise<LevelShareVault> {
    const keys = await LevelKeyStore.open(paths.keys, passphrase, params);
    try {
      return new LevelShareVault(keys, await LevelNonceStore.open(paths.nonces, passphrase, params));
    } catch (e) {
      await keys.close();
      throw e;
    }
  }

  async #share(ref: KeyRef) {
    const k = await this.#keys.get(ref.keyId, ref.epoch);
    if (!k) throw new MpcError('NOT_FOUND', `no share for ${ref.keyId} epoch ${ref.epoch}`);
    return k;
  }

  async held(keyId: string, epoch: number): Promise<HeldKey | undefined> {
    const k = await this.#keys.get(keyId, epoch);
    return k && { public: k.public, index: k.secret.index };
  }
  async commitNonces(ref: KeyRef, session: Uint8Array, attempt: number, quota: NonceQuota): Promise<SigningCommitment> {
    return nonceStoreSigner(await this.#share(ref), this.#nonces).commit(session, attempt, quota);
  }
  async signPackage(ref: KeyRef, session: Uint8Array, attempt: number, list: readonly SigningCommitment[], message: Uint8Array): Promise<Uint8Array> {
    return nonceStoreSigner(await this.#share(ref), this.#nonces).sign(session, attempt, list, message);
  }
  nonceSessions(): Promise<Set<string>> {
    return this.#nonces.sessions();
  }
  forgetNonces(sessionHex: string): Promise<void> {
    return this.#nonces.forget(sessionHex);
  }
  async dealReshare(ref: KeyRef, req: ReshareDealingRequest): Promise<Dealing> {
    return dealScaledShare((await this.#share(ref)).secret, req);
  }
  storeShare(pub: PublicKeyPackage, secret: SecretShare): Promise<void> {
    return this.#keys.put({ public: pub, secret });
  }
  async storeRefreshed(from: KeyRef, pub: PublicKeyPackage, delta: bigint): Promise<void> {
    const old = await this.#share(from);
    await this.#keys.put({ public: pub, secret: refreshedShare(old.secret, delta, pub) });
  }
  confirm(keyId: string, epoch: number): Promise<void> {
    return this.#keys.confirm(keyId, epoch);
  }
  epochs(keyId: string): Promise<number[]> {
    return this.#keys.epochs(keyId);
  }
  delete(keyId: string, epoch: number): Promise<void> {
    return this.#keys.delete(keyId, epoch);
  }
  putSession(sessionHex: string, material: Uint8Array): Promise<void> {
    return this.#keys.putSession(sessionHex, material);
  }
  getSession(sessionHex: string): Promise<Uint8Array | undefined> {
    return this.#keys.getSession(sessionHex);
  }
  deleteSession(sessionHex: string): Promise<void> {
    return this.#keys.deleteSession(sessionHex);
  }
  async close(): Promise<void> {
    await Promise.allSettled([this.#keys.close(), this.#nonces.close()]);
  }
}
