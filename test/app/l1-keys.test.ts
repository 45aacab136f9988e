// Keys outlive what L1 does with them (decision 31): a key's tx nonces in both lanes never go
// backwards across exits, re-locks and signer changes (its old txs stay replays), an exited id keeps
// its own record and cursor when its key locks again, and an exit removes the peer binding.
// Nonces and bindings are written into state directly: the rules under test are the L1 ones.
import { TxCode } from '../../protocol/codes.js';
import { signTx } from '../../protocol/tx.js';
import { toHex } from '../../common/bytes.js';
import { CHAIN_ID, makeValidators, type TestValidator } from './harness.js';
import { badSignerChange, eth, l1Chain, locked, signerChange, unlockInit, unlocked, type L1Chain } from './l1-harness.js';

const vals = makeValidators(4);
const [other, third] = makeValidators(7).slice(4);
const chain = () => l1Chain({ genesis: vals.map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) })), known: [other!, third!] });
const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';

/** Give `v`'s record these last-used nonces (as if it had sent that many txs), committed by a block. */
async function used(c: L1Chain, v: TestValidator, lane0: bigint, lane1: bigint): Promise<void> {
  c.app.state.setSequencer({ ...c.app.state.sequencer(v.address)!, nonce: lane0, sidecarNonce: lane1 });
  await c.step();
}
const lanes = (c: L1Chain, v: TestValidator) => {
  const s = c.app.state.sequencer(v.address, 'committed')!;
  return [s.nonce, s.sidecarNonce ?? 0n];
};
/** CheckTx of a tx from `v` in `lane` with `nonce` (a SubmitSignature: its nonce is checked first). */
const check = async (c: L1Chain, v: TestValidator, lane: number, nonce: bigint) =>
  (await c.app.checkTx({ tx: signTx(v.privKey, { chainId: CHAIN_ID, signer: v.pubKey, nonce, lane, submitSignature: { requestId: 1n, signature: new Uint8Array(65) } }), type: 0 })).code;

test('a key that exits and locks again under a new id keeps both lanes\' nonces; the old id keeps its record and cursor', async () => {
  const c = await chain();
  await used(c, vals[0]!, 5n, 7n);
  await c.step(unlockInit(1n, 2n, vals[0]!));
  await c.step(unlocked(1n, 3n, vals[0]!));
  await c.step(locked(5n, vals[0]!, 20_000n));
  await c.step();
  expect((await c.query('/sequencer/5')).value).toMatchObject({ address: toHex(vals[0]!.address).toUpperCase(), status: 'active', power: '20000' });
  expect(lanes(c, vals[0]!)).toEqual([5n, 7n]);
  for (const lane of [0, 1]) expect(await check(c, vals[0]!, lane, 1n)).toBe(TxCode.BAD_NONCE); // an old tx: a replay
  expect(await check(c, vals[0]!, 1, 8n)).toBe(TxCode.INVALID_MESSAGE); // the next nonce passes the nonce check
  // Sequencer 1 is still sequencer 1 (exited), and the bridge's next nonce for it did not restart.
  expect((await c.query('/sequencer/1')).value).toMatchObject({ sequencerId: '1', status: 'exited', l1Nonce: '3', address: '' });
  expect(c.app.stakingView().nextNonce(1n)).toBe(4n);
  expect(c.app.stakingView().nextNonce(5n)).toBe(2n);
});

test('signer changes away and back never lower a key\'s nonces, and a new key keeps its own', async () => {
  const c = await chain();
  const [a, b] = [vals[1]!, other!];
  // b was sequencer 5 once and left: its record holds its nonces.
  await c.step(locked(5n, b, 20_000n));
  await c.step(unlockInit(5n, 2n, b));
  await c.step(unlocked(5n, 3n, b));
  await c.step();
  await used(c, b, 9n, 9n);
  await used(c, a, 5n, 7n);
  await c.step(signerChange(2n, 2n, eth(a), b));
  await c.step();
  expect(lanes(c, b)).toEqual([9n, 9n]); // b's own, not a's
  expect(lanes(c, a)).toEqual([5n, 7n]); // a's record is retired, not deleted
  expect((await c.query(`/validator/${toHex(a.address)}`)).value).toMatchObject({ status: 'exited', sequencerId: '2' });
  // Retired keys are stored apart (exited/): a key rotated away costs the committee scan nothing.
  expect(c.app.state.sequencers('committed').map((s) => toHex(s.address))).not.toContain(toHex(a.address));
  const proof = await c.app.query({ path: `/validator/${toHex(a.address)}`, data: new Uint8Array(), height: 0n, prove: true });
  expect(new TextDecoder().decode(proof.key as Uint8Array)).toBe(`exited/${toHex(a.address)}`);
  await c.step(signerChange(2n, 3n, eth(b), a));
  await c.step();
  expect((await c.query('/sequencer/2')).value).toMatchObject({ address: toHex(a.address).toUpperCase(), status: 'active', power: '20000', l1Nonce: '3' });
  expect(lanes(c, a)).toEqual([5n, 7n]);
  for (const lane of [0, 1]) expect(await check(c, a, lane, 1n)).toBe(TxCode.BAD_NONCE);
  expect((await c.query('/sequencer/5')).value).toMatchObject({ status: 'exited', l1Nonce: '3' });
});

test('the peer binding follows a signer change to a usable key, and is removed on exit or with an unusable key', async () => {
  const c = await chain();
  const bind = async (v: TestValidator, peerId: string) => {
    c.app.state.setSequencer({ ...c.app.state.sequencer(v.address)!, peer: { peerId, addrs: ['/ip4/127.0.0.1/tcp/26680'], height: 1n } });
    c.app.state.setPeerOwner(peerId, toHex(v.address));
    await c.step();
  };
  const owner = (peerId: string) => c.app.state.peerOwner(peerId, 'committed');
  await bind(vals[0]!, PEER);
  await bind(vals[1]!, `${PEER.slice(0, -1)}M`);
  await bind(vals[2]!, `${PEER.slice(0, -1)}P`);

  await c.step(signerChange(1n, 2n, eth(vals[0]!), third!));
  await c.step(unlockInit(2n, 2n, vals[1]!), badSignerChange(3n, 2n, eth(vals[2]!)));
  await c.step(unlocked(2n, 3n, vals[1]!));
  await c.step();
  expect(owner(PEER)).toBe(toHex(third!.address));
  expect((await c.query('/sequencer/1')).value.peer).toMatchObject({ peerId: PEER });
  expect((await c.query(`/validator/${toHex(vals[0]!.address)}`)).value.peer).toBeNull();
  expect(owner(`${PEER.slice(0, -1)}M`)).toBeUndefined(); // exited
  expect((await c.query('/sequencer/2')).value).toMatchObject({ status: 'exited', peer: null });
  expect(owner(`${PEER.slice(0, -1)}P`)).toBeUndefined(); // keyless: nothing to bind it to
  expect((await c.query('/sequencer/3')).value).toMatchObject({ address: '', peer: null });
  expect((await c.query(`/validator/${toHex(vals[2]!.address)}`)).value).toMatchObject({ status: 'exited', peer: null });
});

test('a key that handed its id to a new key and is then jailed (its share still signs until the reshare) jails and slashes the id\'s new holder', async () => {
  const { jailSequencer } = await import('../../app/jail.js');
  const { blockContext } = await import('../../app/block-lifecycle.js');
  const c = await l1Chain({ genesis: vals.map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) })), known: [other!, third!], params: { slashAmount: (1_000n * 10n ** 18n).toString() } });
  await c.step(signerChange(1n, 2n, eth(vals[0]!), third!));
  await c.step();
  const st = c.app.state;
  expect(toHex(st.sequencerById(1n)!.address)).toBe(toHex(third!.address));
  const ctx = blockContext(st, { height: 99n, time: 1_700_000_099n, hash: new Uint8Array(32), params: st.params(), log: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never, events: [] });
  expect(jailSequencer(st, vals[0]!.address, 'signing-cheater', ctx)).toBe(true);
  expect(st.sequencer(vals[0]!.address)!.jailed).toBe(true); // the old key
  expect(st.sequencerById(1n)).toMatchObject({ jailed: true, jailReason: 'signing-cheater' }); // the id's holder: the new key
  expect(toHex(st.sequencerById(1n)!.address)).toBe(toHex(third!.address));
  expect(ctx.events.map((e) => e.type)).toContain('sign_requested'); // a slash of sequencer 1's stake
  expect(st.signRequest(st.signMeta().nextId - 1n)).toMatchObject({ purpose: 'slash' });
});
