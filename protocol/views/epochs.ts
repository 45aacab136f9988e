// Epochs and who produces an L2 block, as the pool's queries answer them: the typed views, their
// declared shapes (parser and JSON Schema, shape.ts) and the app's renderers, side by side.
import type { Epoch as EpochRecord } from '../../proto/seqpool.js';
import { ADDRESS, ETH_ADDRESS, extend, flagOrFalse, HEX, hex, hex0x, listOf, object, oneOf, text, u64, u64Or0, upperHex, type EnumSpec, type ViewOf } from './shape.js';

export type EpochStatus = 'elected' | 'committed';
const EPOCH_STATUS: EnumSpec<EpochStatus> = { names: ['elected', 'committed'], protoPrefix: 'epoch_status_' };

export const EPOCH = object(
  'epoch',
  {
    id: u64,
    startL2: u64,
    endL2: u64,
    producer: text(ADDRESS), // CometBFT address, upper-case hex
    signer: text(ETH_ADDRESS), // its L1/L2 address
    seed: text(HEX),
    electedHeight: u64,
    signRequest: u64Or0, // 0: none (epoch 0)
    status: oneOf(EPOCH_STATUS),
    isRespan: flagOrFalse,
    respanOf: u64Or0,
    buildStart: u64Or0, // the first L2 block its producer builds (SequencerSet's startBlock; startL2..endL2 are the blocks it batches)
  },
  { name: 'Epoch' },
);
export type Epoch = ViewOf<typeof EPOCH>;
export const parseEpoch = (v: unknown): Epoch => EPOCH.parse(v);

/** The epoch covering the attested L2 head, with that head and its time (unix s). */
export const CURRENT_EPOCH = extend(EPOCH, 'current epoch', { l2Head: u64, l2HeadTime: u64 }, { name: 'CurrentEpoch' });
export type CurrentEpoch = ViewOf<typeof CURRENT_EPOCH>;
export const parseCurrentEpoch = (v: unknown): CurrentEpoch => CURRENT_EPOCH.parse(v);

/** The last epochs up to the newest record, in id order (re-spans are epochs of their own); `current` covers the attested head. */
export const RECENT_EPOCHS = object('recent epochs', { current: u64, latest: u64, epochs: listOf(EPOCH) }, { name: 'RecentEpochs' });
export type RecentEpochs = ViewOf<typeof RECENT_EPOCHS>;
export const parseRecentEpochs = (v: unknown): RecentEpochs => RECENT_EPOCHS.parse(v);

/** Who builds L2 block l2Height: the only producer whose signed block a validator's L2 imports there;
 * mustRecommit: l2Height is the first block of a re-span and must carry its recommitEpoch (l2/driver.ts). */
export const PRODUCER = object('producer', { l2Height: u64, epochId: u64, producer: text(ADDRESS), signer: text(ETH_ADDRESS), mustRecommit: flagOrFalse }, { name: 'Producer' });
export type ProducerAnswer = ViewOf<typeof PRODUCER>;
export const parseProducer = (v: unknown): ProducerAnswer => PRODUCER.parse(v);

export function renderEpoch(e: EpochRecord): Record<string, unknown> {
  return {
    id: e.id.toString(),
    startL2: e.startL2.toString(),
    endL2: e.endL2.toString(),
    producer: upperHex(e.producer),
    signer: hex0x(e.signer),
    seed: hex(e.seed),
    electedHeight: e.electedHeight.toString(),
    signRequest: e.signRequest.toString(),
    status: e.status === 1 ? 'committed' : 'elected',
    isRespan: e.isRespan,
    respanOf: e.respanOf.toString(),
    buildStart: (e.buildStart > 0n ? e.buildStart : e.startL2).toString(),
  };
}

/** The epoch whose producer builds `l2Height` (app/epochs.ts builderCovering). */
export function renderProducer(l2Height: bigint, e: EpochRecord): Record<string, unknown> {
  const buildStart = e.buildStart > 0n ? e.buildStart : e.startL2;
  const mustRecommit = e.isRespan && e.signRequest !== 0n && l2Height === buildStart;
  return { l2Height: l2Height.toString(), epochId: e.id.toString(), producer: upperHex(e.producer), signer: hex0x(e.signer), mustRecommit };
}
