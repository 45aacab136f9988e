// A real 4-validator localnet: cometbft v0.38 binaries and seqpool node processes on loopback.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { observationDigest } from '../../protocol/observations.js';
import { TxCode, QueryCode } from '../../protocol/codes.js';
import { signTx } from '../../protocol/tx.js';
import { ed25519PeerId, peerProofMessage } from '../../protocol/peer-proof.js';
import { loadOrCreatePeerKey } from '../../sidecar/net/peer-key.js';
import { loadValidatorKey } from '../../cometbft-config/keys.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { launchApp, launchCometbft, launchValidator, isAlive } from '../../localnet/processes.js';
import { nodeStatus, waitForHeight } from '../../localnet/rpc.js';
import { assertAppHashesAgree, broadcastRaw, eventually, observationsFile, rpcQuery, runCli, startTestnet, writeObservations, type Testnet } from './testnet.js';

jest.setTimeout(240_000);
let net: Testnet;
const rpc = () => net.manifest.nodes.map((n) => n.rpcUrl);

beforeAll(async () => {
  net = await startTestnet({ validators: 4, nodeOptions: (_i, home) => ({ observationsFile: observationsFile(home) }) });
});
afterAll(async () => net?.stop());

test('every node passes height 10 and the nodes agree on the app hash', async () => {
  await Promise.all(rpc().map((u) => waitForHeight(u, 10n, 60_000)));
  expect(await assertAppHashesAgree(rpc())).toBeGreaterThan(0);
});

test('a signed tx sent with broadcast_tx_sync (seqpool tx bind-peer) is committed and visible on all four nodes', async () => {
  const node = net.manifest.nodes[2]!;
  const key = loadValidatorKey(node.home);
  // No sidecar runs here: create the peer key file one would have (the CLI signs the proof with it).
  const { key: peerKey } = await loadOrCreatePeerKey(join(node.home, 'sidecar', 'peer-key'));
  const peerId = ed25519PeerId(peerKey.publicKey.raw);
  const out = await runCli(['tx', 'bind-peer', '--home', node.home, '--peer-id', peerId, '--addr', '/ip4/127.0.0.1/tcp/26680', '--rpc', rpc()[0]!]);
  expect(out).toMatch(/^bound 12D3KooW.* in block \d+/);
  for (const url of rpc()) {
    const v = await eventually(`the binding on ${url}`, async () => {
      const r = await rpcQuery<{ nonce: string; peer: unknown }>(url, `/validator/${toHex(key.address)}`);
      return r.value?.peer ? r.value : undefined;
    });
    expect(v.peer).toMatchObject({ peerId, addrs: ['/ip4/127.0.0.1/tcp/26680'] });
    expect(v.nonce).toBe('1');
  }
  // Nonce 1 again (other content, so the mempool cache does not catch it first): a replay.
  const replay = signTx(key.privKey, { chainId: net.manifest.chainId, signer: key.pubKey, nonce: 1n, bindPeer: { peerId, addrs: ['/ip4/127.0.0.1/tcp/26681'], peerProof: await peerKey.sign(peerProofMessage(net.manifest.chainId, key.address)) } });
  expect((await broadcastRaw(rpc()[1]!, replay)).code).toBe(TxCode.BAD_NONCE);
});

test('bad txs are rejected in CheckTx with their codes; bad queries get theirs', async () => {
  const url = rpc()[3]!;
  const garbage = await broadcastRaw(url, utf8('definitely not a tx'));
  expect(garbage.code).toBe(TxCode.MALFORMED);
  expect(garbage.log).toMatch(/not a seqpool tx/);
  const key = loadValidatorKey(net.manifest.nodes[0]!.home);
  const tx = signTx(key.privKey, { chainId: 'another-chain', signer: key.pubKey, nonce: 1n, bindPeer: { peerId: `12D3KooW${'Y'.repeat(44)}`, addrs: ['/ip4/1.1.1.1/tcp/1'], peerProof: new Uint8Array(64) } });
  expect((await broadcastRaw(url, tx)).code).toBe(TxCode.WRONG_CHAIN);
  const forged = signTx(key.privKey, { chainId: net.manifest.chainId, signer: key.pubKey, nonce: 1n, bindPeer: { peerId: `12D3KooW${'Y'.repeat(44)}`, addrs: ['/ip4/1.1.1.1/tcp/1'], peerProof: new Uint8Array(64) } });
  forged[forged.length - 3]! ^= 0xff; // inside the signature
  expect((await broadcastRaw(url, forged)).code).toBe(TxCode.BAD_SIGNATURE);
  expect((await rpcQuery(url, '/nope')).code).toBe(QueryCode.UNKNOWN_PATH);
  expect((await rpcQuery(url, '/validator/xyz')).code).toBe(QueryCode.BAD_REQUEST);
});

test('an observation attested by 3 of 4 validators is applied everywhere; one seen by 2 of 4 is not', async () => {
  const homes = net.manifest.nodes.map((n) => n.home);
  writeObservations(homes[0]!, ['alpha', 'beta']);
  writeObservations(homes[1]!, ['alpha', 'beta']);
  writeObservations(homes[2]!, ['alpha']);
  const alpha = toHex(observationDigest({ synthetic: { topic: 'alpha', payload: utf8('it') } }));
  const beta = toHex(observationDigest({ synthetic: { topic: 'beta', payload: utf8('it') } }));
  for (const url of rpc()) {
    const applied = await eventually(`alpha applied on ${url}`, async () => (await rpcQuery<{ power: string; totalPower: string }>(url, `/observation/${alpha}`)).value);
    expect(applied).toMatchObject({ power: '30', totalPower: '40' });
  }
  const h = (await nodeStatus(rpc()[0]!)).height;
  await waitForHeight(rpc()[0]!, h + 4n, 30_000);
  expect((await rpcQuery(rpc()[0]!, `/observation/${beta}`)).code).toBe(QueryCode.NOT_FOUND);
});

test('kill -9 of one validator (app and cometbft) mid-run: it restarts, catches up and agrees', async () => {
  const victim = net.processes[3]!;
  process.kill(victim.node.pid!, 'SIGKILL');
  process.kill(victim.cometbft.pid!, 'SIGKILL');
  const before = (await nodeStatus(rpc()[0]!)).height;
  await waitForHeight(rpc()[0]!, before + 3n, 30_000); // the other three go on without it
  net.processes[3] = await launchValidator(net.manifest.nodes[3]!, { observationsFile: observationsFile(net.manifest.nodes[3]!.home) });
  const target = (await nodeStatus(rpc()[0]!)).height + 2n;
  await waitForHeight(rpc()[3]!, target, 60_000);
  await assertAppHashesAgree(rpc());
});

test('kill -9 of only the app: cometbft stops with it, and the restarted pair recovers through the handshake', async () => {
  const victim = net.processes[2]!;
  const node = net.manifest.nodes[2]!;
  process.kill(victim.node.pid!, 'SIGKILL');
  // CometBFT v0.38 shuts itself down when its app connection breaks.
  await eventually('cometbft to exit after losing its app', async () => (isAlive(victim.cometbft.pid) ? undefined : true), 30_000).catch(() => {
    process.kill(victim.cometbft.pid!, 'SIGKILL');
  });
  const app = await launchApp(node, { observationsFile: observationsFile(node.home) });
  net.processes[2] = { name: node.name, node: app, cometbft: launchCometbft(node) };
  const target = (await nodeStatus(rpc()[0]!)).height + 2n;
  await waitForHeight(node.rpcUrl, target, 60_000);
  await assertAppHashesAgree(rpc());
  const log = execFileSync('grep', ['-c', 'state loaded', `${node.home}/seqpool/node.log`]).toString().trim();
  expect(Number(log)).toBeGreaterThanOrEqual(2); // started twice, the second time from disk
});
