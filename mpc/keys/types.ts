// Key material shapes shared by the DKG, reshare, refresh, signing and storage modules.
import { inspect } from 'node:util';
import { Fn, identifierOf, scalarBytes } from '../suite.js';
import { MpcError } from '../errors.js';

/** A committee member: its FROST position (1-based) and its 33-byte secp256k1 identity key. */
export interface Member {
  index: number;
  identity: Uint8Array;
}

/** Everything public about one sharing of a group key (one key id at one epoch). */
export interface PublicKeyPackage {
  keyId: string;
  epoch: number;
  threshold: number;
  /** Share holders, sorted by index. */
  members: Member[];
  /** 33-byte compressed group key (never changes across reshares and refreshes). */
  groupKey: Uint8Array;
  /** Feldman commitments to the group polynomial; [0] is the group key. */
  commitments: Uint8Array[];
  /** Verifying share Y_i = s_i*G of each holder, by index. */
  verifyingShares: Record<number, Uint8Array>;
}

/**
 * A holder's secret share. The scalar lives in a private field and every serialisation path
 * (JSON, util.inspect, template strings) prints a redaction, so a stray log line cannot leak it.
 */
export class SecretShare {
  readonly #value: bigint;
  constructor(
    readonly index: number,
    value: bigint,
  ) {
    if (!Number.isSafeInteger(index) || index < 1) throw new MpcError('INVALID_ARGUMENT', 'bad share index');
    this.#value = Fn.create(value);
  }
  /** The scalar. Only for protocol code; never log or persist it unencrypted. */
  reveal(): bigint {
    return this.#value;
  }
  /** The noble FrostSecret form (identifier hex + 32-byte share). */
  toFrostSecret(): { identifier: string; signingShare: Uint8Array } {
    return { identifier: identifierOf(this.index), signingShare: scalarBytes(this.#value) };
  }
  toJSON(): unknown {
    return { index: this.index, share: '[redacted]' };
  }
  toString(): string {
    return `SecretShare(${this.index}, [redacted])`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export interface KeyShare {
  public: PublicKeyPackage;
  secret: SecretShare;
}

