// The sidecar against a second ShareVault whose shares live in another process (process-vault.ts):
// the app's genesis DKG, a reshare 4 -> 5, a refresh and signing with every key epoch, as in
// app-sessions.test.ts, but no sidecar opens a key or nonce store of its own. Afterwards every share
// the children hold is read from their stores and looked for in every line they sent: a vault
// operation that handed a share (or anything printing it) to the sidecar fails the test.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress } from '../../common/secp.js';
import { verifySignature } from '../../mpc/signing/frost.js';
import { LevelKeyStore } from '../../sidecar/store/key-store.js';
import { track, untrack } from '../children.js';
import { encode } from '../entry/vault-wire.mjs';
import { AppMpcBackend } from './app-mpc-backend.js';
import { Cluster, FAST, LogCapture } from './helpers.js';
import { ProcessVault } from './process-vault.js';

const PASS = 'vault passphrase';

/** Every share a vault directory holds, in each form it could take on the wire or in a log line. */
async function shareForms(dir: string): Promise<string[]> {
  const ks = await LevelKeyStore.open(join(dir, 'keys'), PASS, FAST);
  try {
    const out: string[] = [];
    for (const e of await ks.epochs('seqpool')) {
      const s = (await ks.get('seqpool', e))!.secret.reveal();
      out.push(s.toString(16).padStart(64, '0'), s.toString(16), s.toString(10));
    }
    return out;
  } finally {
    await ks.close();
  }
}

const leaks = (lines: string[], forms: string[]) => lines.some((l) => forms.some((f) => l.includes(f)));

test('DKG, reshare, refresh and signing with every share in a vault process; no share ever comes back', async () => {
  const c = new Cluster(4);
  const backend = new AppMpcBackend([...c.chain.vals.values()], { mpcPhaseBlocks: 4, refreshEveryEpochs: 1 });
  c.chain.backend = backend;
  const vaults: ProcessVault[] = [];
  const start = async (i: number) => {
    const v = track(await ProcessVault.start(join(c.nodes[i]!.dir, 'vault'), PASS));
    vaults[i] = v;
    await c.start(i, undefined, { vault: v });
  };
  const key = () => backend.query('/mpc/key') as { keyEpoch: number; groupKey: string } | undefined;
  const signs = async (purpose: string, fill: number) => {
    const r = c.chain.addRequest(purpose, new Uint8Array(160).fill(fill));
    await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 10);
    const req = c.chain.requests.get(r.id)!;
    expect(req.status).toBe('signed');
    expect(verifySignature(req.signature!, req.digest, Buffer.from(key()!.groupKey, 'hex'))).toBe(true);
  };
  try {
    for (let i = 0; i < 4; i++) await start(i);
    await c.until(() => key() !== undefined, 20);
    const groupKey = key()!.groupKey;
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored')).toHaveLength(1);
    await signs('commitEpoch', 1);

    // A fifth validator, its own vault process; a reshare to the five at the next epoch boundary.
    const priv = secp256k1.utils.randomSecretKey();
    const pub = secp256k1.getPublicKey(priv, true);
    c.nodes.push({ privKey: priv, pubKey: pub, dir: mkdtempSync(join(tmpdir(), 'seqpool-sidecar-')), sidecar: undefined, log: new LogCapture() });
    c.chain.addValidator(pub);
    backend.addSequencer({ address: toHex(pubKeyToAddress(pub)).toUpperCase(), pubKey: pub });
    await start(4);
    await c.block();
    c.chain.boundary = 1n;
    await c.block();
    await c.until(() => key()!.keyEpoch === 1, 20);
    await c.block();
    expect(c.nodes[4]!.log.find('finalised: key share stored')[0]).toMatchObject({ keyEpoch: 1 });
    await signs('distributeRewards', 2);

    // A refresh: the vault adds the delta to the share it holds.
    c.chain.boundary = 2n;
    await c.block();
    await c.until(() => key()!.keyEpoch === 2, 20);
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored').at(-1)).toMatchObject({ keyEpoch: 2 });
    await signs('slash', 3);
    expect(c.chain.rejected).toEqual([]);
    expect(key()!.groupKey).toBe(groupKey);

    for (let i = 0; i < c.nodes.length; i++) await c.stop(i);
    for (const v of vaults) await untrack(v);
    for (const [i, x] of c.nodes.entries()) {
      // The sidecar opened no store of its own: its shares and nonces are all in the vault's.
      expect(existsSync(join(x.dir, 'keys')) || existsSync(join(x.dir, 'nonces'))).toBe(false);
      const forms = await shareForms(join(x.dir, 'vault'));
      expect(forms.length).toBe(3 * (i === 4 ? 2 : 3)); // epochs 0, 1, 2 (the newcomer: 1, 2)
      expect(vaults[i]!.received.length).toBeGreaterThan(20);
      expect(leaks(vaults[i]!.received, forms)).toBe(false);
      // The check can fail: a share in the wire encoding is found.
      expect(leaks([JSON.stringify(encode({ z: BigInt(`0x${forms[0]}`) }))], forms)).toBe(true);
    }
  } finally {
    await c.close();
  }
}, 120_000);
