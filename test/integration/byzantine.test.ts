// Byzantine vote extensions on a real localnet: two low-power validators send garbage and oversize
// extensions (test/entry/byzantine-node.mjs wraps their production node). The honest 80% of power keeps the chain going, and what the
// byzantine ones "attest" is never counted.
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { observationDigest } from '../../protocol/observations.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { appLogFile } from '../../localnet/processes.js';
import { waitForHeight } from '../../localnet/rpc.js';
import { assertAppHashesAgree, byzantineNode, eventually, observationsFile, rpcQuery, startTestnet, writeObservations, type Testnet } from './testnet.js';

jest.setTimeout(180_000);
let net: Testnet;
const BYZANTINE: Record<number, 'garbage' | 'oversize'> = { 2: 'garbage', 3: 'oversize' };

beforeAll(async () => {
  net = await startTestnet({
    validators: 4,
    power: [40n, 40n, 10n, 10n],
    // Peers may drop the byzantine validators' connections for their invalid votes: only the honest
    // ones must be at height 2 for the test to start.
    readyNodes: [0, 1],
    nodeOptions: (i, home) => ({ observationsFile: observationsFile(home), ...(BYZANTINE[i] ? byzantineNode({ voteExtension: BYZANTINE[i] }) : {}) }),
  });
});
afterAll(async () => net?.stop());

test('garbage and oversize extensions from two validators neither halt the chain nor count', async () => {
  for (const n of net.manifest.nodes) writeObservations(n.home, ['gamma']);
  const gamma = toHex(observationDigest({ synthetic: { topic: 'gamma', payload: utf8('it') } }));
  const honest = net.manifest.nodes.slice(0, 2).map((n) => n.rpcUrl);
  const applied = await eventually('gamma applied', async () => (await rpcQuery<{ power: string; totalPower: string }>(honest[0]!, `/observation/${gamma}`)).value, 60_000);
  // Only the honest 80 of 100 power is behind it: the byzantine extensions were not counted.
  expect(applied).toMatchObject({ power: '80', totalPower: '100' });
  await Promise.all(honest.map((u) => waitForHeight(u, 12n, 90_000)));
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
  const log = readFileSync(appLogFile(net.manifest.nodes[0]!.home), 'utf8');
  expect(log).toMatch(/rejecting vote extension/);
});
