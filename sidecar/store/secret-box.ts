// Encryption at rest: a passphrase stretched by scrypt into an AES-256-GCM key. Each record gets a
// fresh 12-byte IV and is bound (as GCM additional data) to its storage key, so swapping two records
// on disk is detected like any other corruption.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MpcError } from '../../mpc/errors.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const VERSION = 1;

export class SecretBox {
  readonly #key: Buffer;
  private constructor(key: Buffer) {
    this.#key = key;
  }
  static derive(passphrase: string | Uint8Array, salt: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT): SecretBox {
    if (passphrase.length === 0) throw new MpcError('INVALID_ARGUMENT', 'empty passphrase');
    return new SecretBox(scryptSync(passphrase, salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r }));
  }
  /** version(1) || iv(12) || tag(16) || ciphertext */
  seal(plaintext: Uint8Array, aad: string): Uint8Array {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), ct]);
  }
  open(sealed: Uint8Array, aad: string): Uint8Array {
    if (sealed.length < 29 || sealed[0] !== VERSION) throw new MpcError('CORRUPT_RECORD', `record ${aad}: bad header`);
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 13));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(sealed.subarray(13, 29));
      return new Uint8Array(Buffer.concat([d.update(sealed.subarray(29)), d.final()]));
    } catch {
      throw new MpcError('CORRUPT_RECORD', `record ${aad}: authentication failed (corrupted, moved or wrong key)`);
    }
  }
  toJSON(): unknown {
    return '[SecretBox]';
  }
}

/** Passphrase from an environment variable or a file (first line, trailing newline stripped). */
export function loadPassphrase(opts: { env?: string; file?: string }): string {
  if (opts.env !== undefined) {
    const v = process.env[opts.env];
    if (v) return v;
  }
  if (opts.file !== undefined) {
    const v = readFileSync(opts.file, 'utf8').replace(/\r?\n$/, '');
    if (v) return v;
  }
  throw new MpcError('INVALID_ARGUMENT', 'no passphrase: set the environment variable or the passphrase file');
}
