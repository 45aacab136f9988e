// Byzantine parties against the real pool (epochs, signing, batches): node3's sidecar deals invalid DKG shares, and
// every node's batcher asks to sign batches whose dataHash is not what L2 holds. The honest sidecars
// prove the bad dealer with its own signed share, the app excludes and jails it, and the key comes
// from the other three; the sidecars re-derive every batch from their own L2 RPC and sign none of the
// forged ones, while other signing (commitEpoch for the L2 SequencerSet) goes on. At the next epoch
// boundary the jailed validator leaves CometBFT's set. Ports 29000-29099 (nodes), 29100-29101 (anvils), below the ephemeral range.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { PoolClient } from '../../client/pool-client.js';
import { gatewayUrl } from '../../localnet/l1-chains.js';
import { cometValidators } from '../../localnet/rpc.js';
import { appendedBatches, sidecarLog } from '../../localnet/pool-observe.js';
import { assertAppHashesAgree, byzantineNode, byzantineSidecar, eventually, rpcQuery, startTestnet, type Testnet } from './testnet.js';

let net: Testnet;
let client: PoolClient;
const BYZANTINE = 3;

beforeAll(async () => {
  net = await startTestnet({
    validators: 4,
    l1: true,
    // Every node asks for batches over a wrong dataHash; one sidecar deals bad shares.
    nodeOptions: (i) => ({ ...byzantineNode({ batchMismatch: true }), ...(i === BYZANTINE ? byzantineSidecar('bad-shares') : {}) }),
  });
  client = new PoolClient(gatewayUrl(net.manifest.nodes[0]!));
}, 240_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

test('a sidecar dealing invalid shares is proven faulty with its own signed share, excluded from the key and jailed', async () => {
  const bad = net.manifest.nodes[BYZANTINE]!.validatorAddress;
  const key = await client.mpcKey();
  expect(key.members.map((m) => m.address)).not.toContain(bad);
  expect(key.members).toHaveLength(3);
  const session = await client.mpcSession(key.session);
  expect(session.status).toBe('done');
  const fault = session.faults.find((f) => f.address === bad);
  expect(fault?.reason).toBe('bad-share');
  const seq = await rpcQuery<{ jailed: boolean; jailReason: string }>(net.manifest.nodes[1]!.rpcUrl, `/validator/${bad}`);
  expect(seq.value).toMatchObject({ jailed: true });
  expect(seq.value!.jailReason).toMatch(/bad-share/);
  // The complaints on chain carry the evidence: every honest receiver accused the byzantine dealer.
  const honest = net.manifest.nodes.filter((_, i) => i !== BYZANTINE);
  for (const n of honest) expect(sidecarLog(n.home, 'mpc session opened').length).toBeGreaterThan(0);
}, 60_000);

test('batches that differ from L2 are refused by every sidecar: nothing signed, nothing on L1, while commitEpoch signing goes on', async () => {
  const homes = net.manifest.nodes.filter((_, i) => i !== BYZANTINE).map((n) => n.home);
  await eventually('sidecars refusing a forged batch', async () => {
    const refusals = homes.flatMap((h) => sidecarLog(h, 'refusing to sign appendBatch: the batch data differs from the L2 blocks our own L2 RPC serves'));
    return refusals.length >= 2 ? refusals : undefined;
  }, 90_000).then((refusals) => {
    // Each names the first block whose data differs from its own L2, and what differs.
    for (const r of refusals) expect(r).toMatchObject({ field: 'stateRoot', firstDifferingBlock: r.l2Start });
  });
  const epoch1 = await eventually('epoch 1 committed by the pool', async () => {
    const e = await client.epoch(1);
    return e.status === 'committed' ? e : undefined;
  }, 90_000);
  expect((await client.signRequest(epoch1.signRequest)).status).toBe('signed');
  const meta = await client.batchMeta();
  expect(meta.finalized).toBe(0n);
  for (let i = 0n; i < meta.nextIndex; i++) expect((await client.batch(i)).status).not.toMatch(/signed|finalized/);
  expect(await appendedBatches(net.dir)).toEqual([]);
}, 200_000);

test('at the next epoch boundary the jailed validator leaves the CometBFT set; it is slashed on L1 by a threshold-signed message; the chain agrees on every app hash', async () => {
  const bad = net.manifest.nodes[BYZANTINE]!.validatorAddress;
  // Jailing created a slash request; the pool signed it, a relayer sent it to the LockingPool, and
  // the Slashed event came back attested, lowering the stake in state.
  const seqId = BYZANTINE + 1;
  const slashed = await eventually('the slash applied from L1', async () => {
    const s = await rpcQuery<{ locked: string }>(net.manifest.nodes[0]!.rpcUrl, `/sequencer/${seqId}`);
    return s.value && BigInt(s.value.locked) < 20_000n * 10n ** 18n ? s.value : undefined;
  }, 90_000);
  expect(BigInt(slashed.locked)).toBe(19_000n * 10n ** 18n);
  await eventually('the jailed validator out of the set', async () => {
    const v = await cometValidators(net.manifest.nodes[0]!.rpcUrl);
    return v.validators.some((x) => x.address === bad) ? undefined : v;
  }, 90_000);
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
}, 200_000);
