#!/usr/bin/env node
// A share vault in its own process, for test/sidecar/process-vault.test.ts: a LevelShareVault
// (dist/sidecar/store/share-vault.js) in DIR, driven over stdin/stdout by ProcessVault
// (test/sidecar/process-vault.ts) one JSON line per call (vault-wire.mjs). Only ShareVault
// operations are served, so what leaves this process is what the interface returns.
//   node vault-process.mjs DIR   (passphrase in VAULT_PASSPHRASE)
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { LevelShareVault } from '../../dist/sidecar/store/share-vault.js';
import { SecretShare } from '../../dist/mpc/keys/types.js';
import { decode, encode } from './vault-wire.mjs';

const OPS = new Set(['held', 'commitNonces', 'signPackage', 'nonceSessions', 'forgetNonces', 'dealReshare', 'storeShare', 'storeRefreshed', 'confirm', 'epochs', 'delete', 'putSession', 'getSession', 'deleteSession']);
const dir = process.argv[2];
if (!dir || !process.env.VAULT_PASSPHRASE) throw new Error('usage: VAULT_PASSPHRASE=... vault-process.mjs DIR');
const vault = await LevelShareVault.open({ keys: join(dir, 'keys'), nonces: join(dir, 'nonces') }, process.env.VAULT_PASSPHRASE, { N: 1 << 10, r: 8, p: 1 });
const send = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let id;
  void (async () => {
    const req = JSON.parse(line);
    id = req.id;
    if (!OPS.has(req.op)) throw new Error(`not a vault operation: ${req.op}`);
    const args = decode(req.args);
    // The one secret that comes in: a new share from a key session (ShareVault.storeShare).
    if (req.op === 'storeShare') args[1] = new SecretShare(args[1].index, args[1].value);
    send({ id, result: encode(await vault[req.op](...args)) });
  })().catch((e) => send({ id, error: { code: e.code, message: e.code ? e.message.replace(`${e.code}: `, '') : e.message, details: encode(e.details) } }));
});
lines.on('close', () => void vault.close().finally(() => process.exit(0)));
send({ ready: true });
