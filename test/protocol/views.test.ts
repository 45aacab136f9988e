// Each record's renderer (what the app writes) and its shape (what clients parse, and the gateway
// documents) are declared side by side in protocol/views/; here they must agree: every key a renderer
// writes is declared, every required key is written, and the parser reads the rendered JSON back.
import { MpcKind, MpcSessionStatus, type AppliedObservation, type Batch, type Epoch, type MpcKey, type MpcSession, type Sequencer, type SignRequest } from '../../proto/seqpool.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import * as views from '../../protocol/views/index.js';
import { inline } from '../../protocol/views/shape.js';

const b = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

function agrees(shape: views.Answer<unknown>, json: Record<string, unknown>): void {
  const schema = shape.schema(inline) as { properties?: Record<string, unknown>; required?: string[] };
  const written = Object.keys(JSON.parse(JSON.stringify(json)) as object);
  if (schema.properties) for (const k of written) expect(Object.keys(schema.properties)).toContain(k);
  for (const k of schema.required ?? []) expect(written).toContain(k);
  expect(() => shape.parse(JSON.parse(JSON.stringify(json)))).not.toThrow();
}

test('every renderer writes what its shape declares, and the parser reads it back', () => {
  const seq: Sequencer = { address: b(20), pubKey: b(33, 2), power: 5n, nonce: 3n, sequencerId: 1n, status: 1, signer: b(20, 3), locked: '20', l1Nonce: 2n, l1Block: 9n, sidecarNonce: 4n, peer: { peerId: '12D3KooW', addrs: ['/ip4/1.2.3.4/tcp/1'], height: 7n } };
  agrees(views.VALIDATOR, views.renderSequencer(seq));
  agrees(views.VALIDATOR, views.renderSetEntry({ address: b(20), pubKey: b(33), power: 1n }));
  expect(views.VALIDATOR.parse(views.renderSequencer(seq))).toMatchObject({ address: '01'.repeat(20), status: 'unlocking', signer: `0x${'03'.repeat(20)}`, peer: { height: 7n } });
  agrees(views.STATUS, views.renderStatus({ chainId: 'c', height: 4n, appHash: b(32), validators: 4, totalPower: 8n, voteExtensionsEnableHeight: 2n }));
  agrees(views.PARAMS, views.renderParams(DEFAULT_PARAMS));
  const epoch = { id: 2n, startL2: 21n, endL2: 40n, buildStart: 23n, producer: b(20), signer: b(20, 2), seed: b(32), electedHeight: 9n, signRequest: 3n, status: 1, isRespan: true, respanOf: 1n } as Epoch;
  agrees(views.EPOCH, views.renderEpoch(epoch));
  expect(views.EPOCH.parse(views.renderEpoch(epoch))).toMatchObject({ status: 'committed', isRespan: true, producer: '01'.repeat(20) });
  agrees(views.PRODUCER, views.renderProducer(25n, epoch));
  const req: SignRequest = { id: 3n, purpose: 'appendBatch', chainId: 1n, verifier: b(20), payload: b(4), digest: b(32), status: 1, signature: b(65), createdHeight: 2n, createdTime: 3n, deadlineTime: 4n, batchIndex: 0n, epochId: 0n, signedHeight: 5n, requester: b(20) } as SignRequest;
  agrees(views.SIGN_REQUEST, views.renderSignRequest(req));
  expect(views.SIGN_REQUEST.parse(views.renderSignRequest(req))).toMatchObject({ status: 'signed', signature: `0x${'01'.repeat(65)}` });
  const batch: Batch = { index: 0n, prevHash: b(32), l2Start: 1n, l2End: 3n, dataHash: b(32), producer: b(20), hash: b(32), status: 2, signRequest: 3n, requestedHeight: 4n, finalizedHeight: 6n, l1TxHash: new Uint8Array(0), epochId: 0n, l1Block: 12n } as Batch;
  agrees(views.BATCH, views.renderBatch(batch));
  expect(views.BATCH.parse(views.renderBatch(batch))).toMatchObject({ status: 'finalized', l1TxHash: null, rewardRequest: 0n });
  agrees(views.BATCH_META, views.renderBatchMeta({ nextIndex: 1n, lastHash: b(32), nextL2Start: 4n, finalized: 1n, lastProgressTime: 9n }));
  const key: MpcKey = { keyId: 'seqpool', groupKey: b(33), threshold: 3, keyEpoch: 1, members: [{ index: 1, address: b(20), identity: b(33) }], verifyingShares: [b(33, 4)], session: b(32), height: 15n } as MpcKey;
  agrees(views.MPC_KEY, views.renderMpcKey(key, b(64)));
  const session: MpcSession = {
    id: b(32), kind: MpcKind.RESHARE, attempt: 1, keyEpoch: 1, threshold: 3, dealers: key.members, receivers: key.members, openedHeight: 10n, dealDeadline: 20n, complaintDeadline: 30n,
    finalHeight: 40n, status: MpcSessionStatus.FAILED, transcript: [b(5)], ready: [1], faults: [{ address: b(20), index: 1, reason: 'r' }], failure: 'f', closedHeight: 41n, forEpoch: 2n,
  } as MpcSession;
  agrees(views.MPC_SESSION, views.renderMpcSession(session));
  expect(views.MPC_SESSION.parse(views.renderMpcSession(session))).toMatchObject({ kind: 'reshare', status: 'failed', transcript: ['0101010101'] });
  const obs: AppliedObservation = { digest: b(32), observation: { synthetic: { topic: 't', payload: b(2) } }, height: 3n, power: 5n, totalPower: 6n, rejected: 'no' };
  agrees(views.OBSERVATION, views.renderObservation(obs));
});
