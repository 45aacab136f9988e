// abci_query paths. Answers read the last committed state only. Responses are JSON (UTF-8) by
// default; with prove=true on a single-record path the value is the stored protobuf record and
// proofOps holds a Merkle proof of it against the app hash (see docs/queries.md).
import type { RequestQuery, ResponseQuery } from 'cosmjs-types/tendermint/abci/types';
import { fromHex, toHex, utf8 } from '../common/bytes.js';
import type { Sequencer, ValidatorSet } from '../proto/seqpool.js';
import type { Partial2 } from '../abci/application.js';
import { CODESPACE, QueryCode } from './codes.js';
import type { MerkleProof } from './merkle.js';
import { paramsToJson } from './params.js';
import { Keys, type State } from './state.js';
import { totalPower } from './validator-set.js';

export const PROOF_OP_TYPE = 'seqpool:kv';

type Answer = Partial2<ResponseQuery>;

function json(value: unknown, height: bigint): Answer {
  return { code: QueryCode.OK, value: utf8(JSON.stringify(value)), height };
}
function error(code: number, log: string, height: bigint): Answer {
  return { code, log, codespace: CODESPACE, height };
}

const STATUS_NAMES = ['active', 'unlocking', 'exited'];

export function sequencerJson(s: Sequencer): Record<string, unknown> {
  return {
    address: toHex(s.address).toUpperCase(),
    pubKey: toHex(s.pubKey),
    power: s.power.toString(),
    nonce: s.nonce.toString(),
    peer: s.peer ? { peerId: s.peer.peerId, addrs: s.peer.addrs, height: s.peer.height.toString() } : null,
    sequencerId: (s.sequencerId ?? 0n).toString(),
    status: STATUS_NAMES[s.status ?? 0] ?? 'unknown',
    signer: s.signer?.length ? `0x${toHex(s.signer)}` : null,
    locked: s.locked || '0',
    l1Nonce: (s.l1Nonce ?? 0n).toString(),
    deactivationTime: (s.deactivationTime ?? 0n).toString(),
  };
}

export function encodeProof(p: MerkleProof): Uint8Array {
  return utf8(JSON.stringify({ total: p.total, index: p.index, leafHash: toHex(p.leafHash), aunts: p.aunts.map(toHex) }));
}

export function decodeProof(data: Uint8Array): MerkleProof {
  const o = JSON.parse(new TextDecoder().decode(data)) as { total: number; index: number; leafHash: string; aunts: string[] };
  return { total: o.total, index: o.index, leafHash: fromHex(o.leafHash), aunts: o.aunts.map(fromHex) };
}

export function answerQuery(req: RequestQuery, state: State, lastHeight: bigint): Answer {
  if (req.height !== 0n && req.height !== lastHeight) {
    return error(QueryCode.HEIGHT_UNAVAILABLE, `only the latest height ${lastHeight} can be queried (asked ${req.height}); use height 0`, lastHeight);
  }
  const chain = state.chain('committed');
  if (!chain) return error(QueryCode.NOT_FOUND, 'no state yet: the chain has not committed its first block', lastHeight);
  // Generic ABCI tools (abci-cli, kvstore-style clients) send path "/store" with the key in data;
  // for them, data is the path.
  const path = req.path === '/store' && req.data.length > 0 ? new TextDecoder().decode(req.data) : req.path;
  const [root, ...rest] = path.replace(/^\/+/, '').split('/');
  const arg = rest.join('/');

  // A single stored record, proven when asked.
  const record = (key: string, render: () => unknown): Answer => {
    if (!req.prove) return json(render(), lastHeight);
    const proven = state.store.proveCommitted(key);
    if (!proven) return error(QueryCode.NOT_FOUND, `no record at ${key}`, lastHeight);
    return {
      code: QueryCode.OK,
      key: utf8(key),
      value: proven.value,
      height: lastHeight,
      proofOps: { ops: [{ type: PROOF_OP_TYPE, key: utf8(key), data: encodeProof(proven.proof) }] },
    };
  };

  switch (root) {
    case 'status': {
      if (rest.length) break;
      const set = state.validatorSetAt(lastHeight + 1n, 'committed');
      return json(
        {
          chainId: chain.chainId,
          height: lastHeight.toString(),
          appHash: toHex(state.store.committedRoot()).toUpperCase(),
          validators: set.validators.length,
          totalPower: totalPower(set.validators).toString(),
          voteExtensionsEnableHeight: chain.voteExtensionsEnableHeight.toString(),
        },
        lastHeight,
      );
    }
    case 'params':
      if (rest.length) break;
      return record(Keys.params, () => paramsToJson(state.params('committed')));
    case 'validators': {
      if (rest.length) break;
      const set: ValidatorSet = state.validatorSetAt(lastHeight + 1n, 'committed');
      // A key rotated out may still sign the next block (updates apply two heights later): then
      // only the set's own entry is known.
      const rows = set.validators.map((v) => {
        const s = state.sequencer(v.address, 'committed');
        return s ? { ...sequencerJson(s), power: v.power.toString() } : { address: toHex(v.address).toUpperCase(), pubKey: toHex(v.pubKey), power: v.power.toString() };
      });
      return json(rows, lastHeight);
    }
    case 'validator': {
      if (!/^(0x)?[0-9a-fA-F]{40}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /validator/{address}: a 20-byte hex address, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const address = fromHex(arg);
      const s = state.sequencer(address, 'committed');
      if (!s) return error(QueryCode.NOT_FOUND, `no sequencer with address ${arg.toUpperCase()}`, lastHeight);
      return record(Keys.sequencer(address), () => sequencerJson(s));
    }
    case 'sequencer': {
      if (!/^[1-9][0-9]{0,19}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /sequencer/{id}: a LockingPool sequencer id, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const s = state.sequencerById(BigInt(arg), 'committed');
      if (!s) return error(QueryCode.NOT_FOUND, `no sequencer with id ${arg}`, lastHeight);
      return record(Keys.sequencer(s.address), () => sequencerJson(s));
    }
    case 'observation': {
      if (!/^[0-9a-fA-F]{64}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /observation/{digest}: 32-byte hex, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const o = state.observation(fromHex(arg), 'committed');
      if (!o) return error(QueryCode.NOT_FOUND, `observation ${arg} has not been applied`, lastHeight);
      return record(Keys.observation(o.digest), () => ({
        digest: toHex(o.digest),
        height: o.height.toString(),
        power: o.power.toString(),
        totalPower: o.totalPower.toString(),
        synthetic: o.observation.synthetic ? { topic: o.observation.synthetic.topic, payload: toHex(o.observation.synthetic.payload) } : undefined,
        l1Staking: o.observation.l1Staking
          ? { sequencerId: o.observation.l1Staking.sequencerId.toString(), nonce: o.observation.l1Staking.nonce.toString(), blockNumber: o.observation.l1Staking.blockNumber.toString(), blockHash: toHex(o.observation.l1Staking.blockHash) }
          : undefined,
        rejected: o.rejected || null,
      }));
    }
  }
  return error(QueryCode.UNKNOWN_PATH, `unknown query path ${JSON.stringify(path.slice(0, 120))}; known: /status, /params, /validators, /validator/{address}, /sequencer/{id}, /observation/{digest}`, lastHeight);
}
