// The sidecar's libp2p key (Ed25519). It only names the sidecar on the MPC channel (its peer id is
// what BindPeer puts on chain); MPC messages are signed with the validator identity key instead.
// Created on first start with mode 0600 and reused after, so the peer id survives restarts.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { Logger } from '../../common/log.js';

/** File format: one line, base64 of the libp2p protobuf private key encoding. */
export async function loadOrCreatePeerKey(file: string, logger?: Logger): Promise<{ key: Ed25519PrivateKey; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read MPC peer key file ${file}: ${(e as Error).message}`);
  }
  if (text !== undefined) {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) logger?.warn({ file, mode: (st.mode & 0o777).toString(8) }, 'MPC peer key file is readable by group/others; chmod 600 it');
    let key;
    try {
      key = privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64'));
    } catch (e) {
      throw new Error(`MPC peer key file ${file} does not hold a libp2p private key (base64 protobuf): ${(e as Error).message}`);
    }
    if (key.type !== 'Ed25519') throw new Error(`MPC peer key file ${file} holds a ${key.type} key; expected Ed25519`);
    return { key, created: false };
  }
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
