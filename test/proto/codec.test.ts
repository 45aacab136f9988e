import { ObservationCodec, SequencerCodec, type Observation } from '../../proto/seqpool.js';

test('codecs round-trip 64-bit integers as bigint, bytes, oneofs and nested messages', () => {
  const obs: Observation = {
    l1Staking: {
      chainId: 31337n,
      contract: new Uint8Array(20).fill(1),
      blockHash: new Uint8Array(32).fill(2),
      blockNumber: 2n ** 63n + 5n,
      logIndex: 7,
      txHash: new Uint8Array(32).fill(3),
      sequencerId: 4n,
      nonce: 1n,
      locked: { signer: new Uint8Array(20).fill(9), amount: '20000000000000000000000', total: '20000000000000000000000', signerPubkey: new Uint8Array(64).fill(5) },
    },
  };
  const back = ObservationCodec.decode(ObservationCodec.encode(obs));
  expect(back).toEqual(obs);
  expect(back.synthetic).toBeUndefined();
  const s = SequencerCodec.decode(SequencerCodec.encode({ address: new Uint8Array(20), pubKey: new Uint8Array(33), power: 10n, nonce: 0n }));
  expect(s).toEqual({ address: new Uint8Array(20), pubKey: new Uint8Array(33), power: 10n, nonce: 0n, sequencerId: 0n, l1Nonce: 0n, locked: '', status: 0, signer: new Uint8Array(0), deactivationTime: 0n, sidecarNonce: 0n, misses: 0, jailed: false, jailReason: '', inactive: '', l1Block: 0n });
});

test('decode refuses bytes that are not the message', () => {
  expect(() => ObservationCodec.decode(Uint8Array.of(0xff, 0xff, 0xff))).toThrow();
});
