// A second ShareVault: the shares live in a child process (test/entry/vault-process.mjs, a
// LevelShareVault) and this side only forwards calls over stdio, one JSON line each way
// (test/entry/vault-wire.mjs). It proves the sidecar runs against a vault it cannot read: every
// line the child sent is kept in `received`, so a test can check no share ever came back.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { MpcError, type MpcErrorCode } from '../../mpc/errors.js';
import type { Dealing, ReshareDealingRequest } from '../../mpc/keys/share-math.js';
import type { PublicKeyPackage, SecretShare } from '../../mpc/keys/types.js';
import type { SigningCommitment } from '../../mpc/signing/frost.js';
import type { NonceQuota } from '../../mpc/signing/share-signer.js';
import type { HeldKey, KeyRef, ShareVault } from '../../sidecar/store/share-vault.js';
import { decode, encode } from '../entry/vault-wire.mjs';

const ENTRY = fileURLToPath(new URL('../entry/vault-process.mjs', import.meta.url));

export class ProcessVault implements ShareVault {
  /** Every line the child wrote, as received. */
  readonly received: string[] = [];
  readonly #child: ChildProcess;
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 0;
  #exited = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts the child on `dir` and waits for its ready line. */
  static async start(dir: string, passphrase: string): Promise<ProcessVault> {
    const child = spawn(process.execPath, [ENTRY, dir], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VAULT_PASSPHRASE: passphrase } });
    const v = new ProcessVault(child);
    let ready!: () => void;
    const isReady = new Promise<void>((resolve, reject) => {
      ready = resolve;
      child.once('exit', (code) => reject(new Error(`vault process exited (${code}) before it was ready`)));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      v.received.push(line);
      const o = JSON.parse(line) as { ready?: true; id?: number; result?: unknown; error?: { code?: string; message: string; details?: unknown } };
      if (o.ready) return ready();
      const call = v.#calls.get(o.id!);
      v.#calls.delete(o.id!);
      if (!o.error) call?.resolve(decode(o.result));
      else if (o.error.code) call?.reject(new MpcError(o.error.code as MpcErrorCode, o.error.message, decode(o.error.details) as Record<string, unknown> | undefined));
      else call?.reject(new Error(o.error.message));
    });
    child.once('exit', () => {
      v.#exited = true;
      for (const c of v.#calls.values()) c.reject(new Error('vault process exited'));
      v.#calls.clear();
    });
    try {
      await isReady;
    } catch (e) {
      await v.stop();
      throw e;
    }
    return v;
  }

  #call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.#exited) return Promise.reject(new Error('vault process exited'));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.stdin!.write(`${JSON.stringify({ id, op, args: encode(args) })}\n`);
    });
  }

  held(keyId: string, epoch: number): Promise<HeldKey | undefined> {
    return this.#call('held', keyId, epoch);
  }
  commitNonces(ref: KeyRef, session: Uint8Array, attempt: number, quota: NonceQuota): Promise<SigningCommitment> {
    return this.#call('commitNonces', ref, session, attempt, quota);
  }
  signPackage(ref: KeyRef, session: Uint8Array, attempt: number, list: readonly SigningCommitment[], message: Uint8Array): Promise<Uint8Array> {
    return this.#call('signPackage', ref, session, attempt, list, message);
  }
  nonceSessions(): Promise<Set<string>> {
    return this.#call('nonceSessions');
  }
  forgetNonces(sessionHex: string): Promise<void> {
    return this.#call('forgetNonces', sessionHex);
  }
  dealReshare(ref: KeyRef, req: ReshareDealingRequest): Promise<Dealing> {
    return this.#call('dealReshare', ref, req);
  }
  storeShare(pub: PublicKeyPackage, secret: SecretShare): Promise<void> {
    // The one secret that crosses, inward: the share a key session just produced.
    return this.#call('storeShare', pub, { index: secret.index, value: secret.reveal() });
  }
  storeRefreshed(from: KeyRef, pub: PublicKeyPackage, delta: bigint): Promise<void> {
    return this.#call('storeRefreshed', from, pub, delta);
  }
  confirm(keyId: string, epoch: number): Promise<void> {
    return this.#call('confirm', keyId, epoch);
  }
  epochs(keyId: string): Promise<number[]> {
    return this.#call('epochs', keyId);
  }
  delete(keyId: string, epoch: number): Promise<void> {
    return this.#call('delete', keyId, epoch);
  }
  putSession(sessionHex: string, material: Uint8Array): Promise<void> {
    return this.#call('putSession', sessionHex, material);
  }
  getSession(sessionHex: string): Promise<Uint8Array | undefined> {
    return this.#call('getSession', sessionHex);
  }
  deleteSession(sessionHex: string): Promise<void> {
    return this.#call('deleteSession', sessionHex);
  }
  /** The sidecar does not close an injected vault; stop() ends the child (closing its stores). */
  async close(): Promise<void> {}

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin!.end(); // the child closes its stores and exits
    const t = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
