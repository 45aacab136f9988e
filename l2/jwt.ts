// The Engine API's authentication (execution-apis src/engine/authentication.md): every request
// carries an HS256 JWT over the shared 32-byte secret, with an `iat` within a minute of the
// execution client's clock. The secret lives in a file of 64 hex characters, mode 0600, one per home.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/** Reads a JWT secret file (64 hex characters, an optional 0x and whitespace). */
export function readJwtSecret(file: string): Uint8Array {
  if (!existsSync(file)) throw new Error(`${file} not found: the Engine API's JWT secret (create it with \`seqpool localnet up\`, or 32 random bytes in hex)`);
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0) throw new Error(`${file} is readable by others (mode ${(statSync(file).mode & 0o777).toString(8)}): chmod 600 it; it authorises block building on the L2 node`);
  const hex = readFileSync(file, 'utf8').trim().replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file} must hold 32 bytes as 64 hex characters`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Creates a JWT secret file (mode 0600) unless one exists; returns the secret. */
export function ensureJwtSecret(file: string): Uint8Array {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return readJwtSecret(file);
}

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A fresh token for one request (iat = now, seconds). */
export function engineToken(secret: Uint8Array, nowMs: number = Date.now()): string {
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url({ iat: Math.floor(nowMs / 1000) });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
