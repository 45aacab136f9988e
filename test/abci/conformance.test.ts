// Conformance: CometBFT's own abci-cli (v0.38) drives the real seqpool app through our socket server;
// the output must match the golden file byte for byte. Regenerate it deliberately with
// UPDATE_GOLDEN=1 after a change that is meant to alter it, and review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AbciServer } from '../../abci/server.js';
import { silentLogger } from '../../common/log.js';
import { signTx } from '../../protocol/tx.js';
import { toHex } from '../../common/bytes.js';
import { CHAIN_ID, initChainRequest, makeValidators, openApp } from '../app/harness.js';
import { bindPeerMsg } from '../app/peer-helper.js';
import { runAbciCliBatch } from './abci-cli.js';
import { freePort } from '../ports.js';

const GOLDEN = fileURLToPath(new URL('./golden/seqpool.abci.out', import.meta.url));
const vals = makeValidators(4);

test('abci-cli batch against the seqpool app matches the golden output', async () => {
  const app = await openApp();
  await app.initChain(initChainRequest(vals)); // abci-cli has no init_chain command
  const server = new AbciServer({ app, logger: silentLogger() });
  const address = await server.listen(`tcp://127.0.0.1:${await freePort()}`);
  const v = vals[0]!;
  const bind = toHex(signTx(v.privKey, { chainId: CHAIN_ID, signer: v.pubKey, nonce: 1n, bindPeer: bindPeerMsg(v.address, 'A', ['/ip4/127.0.0.1/tcp/4000']) }));
  const script = [
    'echo hello',
    'info',
    'check_tx "garbage"', // nothing committed yet: the node says to retry
    'finalize_block "garbage"',
    'commit',
    'info',
    'check_tx "garbage"',
    `check_tx 0x${bind}`,
    `check_tx 0x${bind}`,
    `finalize_block 0x${bind}`,
    'commit',
    'query "/status"', // abci-cli sends path /store with this as data
    `query "/validator/${toHex(v.address)}"`,
    'query "/nope"',
    '',
  ].join('\n');
  try {
    const out = await runAbciCliBatch(address, script);
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, out);
    if (!existsSync(GOLDEN)) throw new Error(`${GOLDEN} is missing: run with UPDATE_GOLDEN=1 and review it`);
    expect(out).toBe(readFileSync(GOLDEN, 'utf8'));
  } finally {
    await server.close();
  }
});
