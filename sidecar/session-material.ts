// What a sidecar keeps of a key session it takes part in, so that a crash loses nothing: the signed
// share envelopes dealt to it (its own to itself included), those it dealt (a dealing cannot be made
// twice, so after a restart they are delivered late and justify it), and, for a reshare or refresh, the public
// package of the key being reshared (the chain serves only the current key, and after the session
// closes that is the new one). Stored encrypted in the key store (KeyStore.putSession); the public
// transcript comes back from the chain.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { PublicKeyPackage } from '../mpc/keys/types.js';
import type { Logger } from '../common/log.js';
import { publicKeyPackageFromJson, publicKeyPackageToJson, type PublicKeyPackageJson } from './store/key-store.js';
import type { ShareVault } from './store/share-vault.js';

type KeyStore = Pick<ShareVault, 'putSession' | 'getSession' | 'deleteSession'>;
import type { SessionState } from './key-session.js';

export interface SessionMaterial {
  old?: PublicKeyPackage | undefined;
  /** Signed shares dealt to us (our own to ourselves included). */
  shares: Uint8Array[];
  /** Signed shares we dealt, to deliver late and to justify with after a restart. */
  sent: Uint8Array[];
}

interface MaterialJson {
  v: 1;
  old: PublicKeyPackageJson | null;
  shares: string[];
  sent: string[];
}

function encodeMaterial(m: SessionMaterial): Uint8Array {
  const j: MaterialJson = { v: 1, old: m.old ? publicKeyPackageToJson(m.old) : null, shares: m.shares.map(bytesToHex), sent: m.sent.map(bytesToHex) };
  return new TextEncoder().encode(JSON.stringify(j));
}

/** Decodes saved material; throws on anything this version did not write. */
function decodeMaterial(bytes: Uint8Array): SessionMaterial {
  const j = JSON.parse(new TextDecoder().decode(bytes)) as MaterialJson;
  if (j.v !== 1 || !Array.isArray(j.shares) || !Array.isArray(j.sent)) throw new Error('session material of an unknown format');
  return { old: j.old ? publicKeyPackageFromJson(j.old) : undefined, shares: j.shares.map(hexToBytes), sent: j.sent.map(hexToBytes) };
}

/** Saves what the session's engine holds (shares dealt to us and by us) when it grew; saves run one
 * at a time, in order, on `st.saving`. */
export function saveMaterial(keyStore: KeyStore, st: SessionState, log: Logger): Promise<void> {
  const engine = st.engine;
  if (!engine) return st.saving;
  const shares = [...engine.receivedShares().values()];
  const sent = [...engine.sentShares().values()];
  if (shares.length + sent.length === st.savedShares) return st.saving;
  st.savedShares = shares.length + sent.length;
  const bytes = encodeMaterial({ old: st.old, shares, sent });
  st.saving = st.saving
    .then(() => keyStore.putSession(st.view.idHex, bytes))
    .catch((e: unknown) => log.error({ session: st.view.idHex.slice(0, 16), err: (e as Error).message }, "cannot save this session's shares; a crash before it finishes would lose our share of the new key epoch"));
  return st.saving;
}

export async function loadMaterial(keyStore: KeyStore, sessionHex: string, log: Logger): Promise<SessionMaterial | undefined> {
  try {
    const raw = await keyStore.getSession(sessionHex);
    return raw ? decodeMaterial(raw) : undefined;
  } catch (e) {
    log.error({ err: (e as Error).message }, 'saved session material does not open or decode; ignoring it');
    return undefined;
  }
}

/** The session is over: its saved shares go (once stored, our new share is in the key store). */
export async function forgetMaterial(keyStore: KeyStore, st: SessionState, log: Logger): Promise<void> {
  await st.saving;
  await keyStore.deleteSession(st.view.idHex).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'cannot delete saved session shares'));
}
