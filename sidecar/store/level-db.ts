// Opening a level database with binary values, plus the salt/check records every encrypted store
// keeps so that a wrong passphrase is reported as such instead of as corruption.
import { randomBytes } from 'node:crypto';
import { Level } from 'level';
import { MpcError } from '../../mpc/errors.js';
import { SecretBox, type ScryptParams } from './secret-box.js';

export type BinaryLevel = Level<string, Uint8Array>;

/**
 * Write options of every key-store and nonce-store write: LevelDB's default write reaches the OS but
 * not the disk, so a power loss could undo a nonce's tombstone (and the nonce be used again) or a
 * share written before its Ready left. A synced write costs a few ms; these writes are rare.
 */
export const DURABLE = { sync: true } as const;

async function openLevel(path: string): Promise<BinaryLevel> {
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  await db.open();
  return db;
}

/** Opens the encrypted store at `path` (created on first use) and the box its passphrase opens;
 * WRONG_PASSPHRASE if it does not, and then nothing is left open. */
export async function openEncrypted(path: string, passphrase: string, params?: ScryptParams): Promise<{ db: BinaryLevel; box: SecretBox }> {
  const db = await openLevel(path);
  try {
    return { db, box: await unlock(db, passphrase, params) };
  } catch (e) {
    await db.close();
    throw e;
  }
}

const CHECK = new TextEncoder().encode('seqpool-keystore-check');

/** Loads (or on first use creates) the salt and derives the box; WRONG_PASSPHRASE if it does not open the check record. */
async function unlock(db: BinaryLevel, passphrase: string, params?: ScryptParams): Promise<SecretBox> {
  let salt = await db.get('meta/salt');
  if (!salt) {
    salt = randomBytes(16);
    const box = SecretBox.derive(passphrase, salt, params);
    await db.batch(
      [
        { type: 'put', key: 'meta/salt', value: salt },
        { type: 'put', key: 'meta/check', value: box.seal(CHECK, 'meta/check') },
      ],
      DURABLE,
    );
    return box;
  }
  const box = SecretBox.derive(passphrase, salt, params);
  const check = await db.get('meta/check');
  if (!check) throw new MpcError('CORRUPT_RECORD', 'store has a salt but no check record');
  try {
    box.open(check, 'meta/check');
  } catch {
    throw new MpcError('WRONG_PASSPHRASE', 'the passphrase does not open this store');
  }
  return box;
}
