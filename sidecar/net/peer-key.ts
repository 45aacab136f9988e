// The sidecar's libp2p key (Ed25519). It names the sidecar on the MPC channel (its peer id is what
// BindPeer puts on chain) and signs BindPeer's proof of possession (protocol/peer-proof.ts); MPC messages
// are signed with the validator identity key instead.
// Created on first start with mode 0600 and reused after, so the peer id survives restarts.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { ed25519PeerId } from '../../protocol/peer-proof.js';
import type { Logger } from '../../common/log.js';

/** Reads an existing key; undefined when the file does not exist. */
async function readPeerKey(file: string, logger?: Logger): Promise<Ed25519PrivateKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read MPC peer key file ${file}: ${(e as Error).message}`);
  }
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) logger?.warn({ file, mode: (st.mode & 0o777).toString(8) }, 'MPC peer key file is readable by group/others; chmod 600 it');
  let key;
  try {
    key = privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64'));
  } catch (e) {
    throw new Error(`MPC peer key file ${file} does not hold a libp2p private key (base64 protobuf): ${(e as Error).message}`);
  }
  // Ed25519 only: the app accepts only Ed25519 peer ids, whose id embeds the key (decision 29).
  if (key.type !== 'Ed25519') throw new Error(`MPC peer key file ${file} holds a ${key.type} key; expected Ed25519`);
  return key;
}

/** The sidecar's existing key, for `seqpool tx bind-peer` (which signs BindPeer's proof with it and
 * must never create one the sidecar does not use). */
async function loadPeerKey(file: string, logger?: Logger): Promise<Ed25519PrivateKey> {
  const key = await readPeerKey(file, logger);
  if (!key) throw new Error(`no MPC peer key at ${file}: the sidecar creates it on its first start (seqpool sidecar start --home HOME); or pass the key file with --peer-key FILE`);
  return key;
}

/** The key `seqpool tx bind-peer` signs BindPeer's proof with; `expectedPeerId` (the operator's
 * --peer-id) must be its id, so a typo fails here rather than as an unprovable binding. */
export async function bindingPeerKey(file: string, expectedPeerId?: string): Promise<{ key: Ed25519PrivateKey; peerId: string }> {
  const key = await loadPeerKey(file);
  const peerId = ed25519PeerId(key.publicKey.raw);
  if (expectedPeerId !== undefined && expectedPeerId !== peerId)
    throw new Error(`peer id ${expectedPeerId} is not the id of the peer key in ${file} (${peerId}): only the holder of a peer id's key can bind it`);
  return { key, peerId };
}

/** File format: one line, base64 of the libp2p protobuf private key encoding. */
export async function loadOrCreatePeerKey(file: string, logger?: Logger): Promise<{ key: Ed25519PrivateKey; created: boolean }> {
  const existing = await readPeerKey(file, logger);
  if (existing) return { key: existing, created: false };
  const key = await generateKeyPair('Ed25519');
  await mkdir(dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a key another process created in the meantime.
    await writeFile(file, Buffer.from(privateKeyToProtobuf(key)).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreatePeerKey(file, logger);
    throw new Error(`cannot write MPC peer key file ${file}: ${(e as Error).message}`);
  }
  return { key, created: true };
}
