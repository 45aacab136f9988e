// A pool with something to show, for the gateway's OpenAPI test and the dashboard's browser test:
// a real in-process SeqpoolApp (test/app/pool-harness.ts) whose producer requested three batches,
// the pool signed them and L1 finalized them (BatchAppended observations), then the producer stalled
// with work ahead and was re-spanned (L2 blocks 1-3 batched, one a batch; the re-span takes over the end of epoch 0). Next to it, a fake CometBFT RPC serving that chain's block
// times and commits (one validator's votes absent every third height), for the gateway's /node/*.
import { opaqueBatchData } from '../batch-fixture.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { genesisProducer } from '../../app/election.js';
import { observationDigest } from '../../protocol/observations.js';
import { toHex, utf8 } from '../../common/bytes.js';
import type { L1BatchAppended, Observation } from '../../proto/seqpool.js';
import { CHAIN_ID } from '../app/harness.js';
import { hexBytes, INBOX, indexOf, L1_CHAIN, poolChain, type PoolChain } from '../app/pool-harness.js';
import { freePort } from '../ports.js';
import { cometRequest } from '../comet-request.js';

const dataHash = (s: string) => keccak_256(utf8(s));
const types = (r: Awaited<ReturnType<PoolChain['step']>>) => r.finalized.events!.map((e) => e!.type);

export interface PoolScenario {
  chain: PoolChain;
  /** Index in chain.vals of the genesis producer (the one that stalled). */
  producer: number;
  /** Digest (hex) of an applied observation. */
  digest: string;
  finalized: number;
}

export async function poolScenario(): Promise<PoolScenario> {
  const c = await poolChain();
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  const other = (p + 1) % c.vals.length;
  await c.step();
  await c.step();
  c.setHead(4n);
  await c.step();
  let prev: Uint8Array = new Uint8Array(32);
  let digest = '';
  for (let i = 0n; i < 3n; i++) {
    const l2Start = i + 1n;
    const { data, dataHash: dh } = opaqueBatchData(`batch ${i}`);
    await c.step({ txs: [c.tx(p, { requestBatch: { batchIndex: i, prevBatchHash: prev, l2Start, l2End: l2Start, dataHash: dh, data } })] });
    const b = (await c.query(`/batch/${i}`)).value as { hash: string; signRequest: string; producer: string };
    const req = (await c.query(`/sign/${b.signRequest}`)).value as { id: string; digest: string };
    await c.step();
    await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
    const appended: L1BatchAppended = {
      chainId: L1_CHAIN, contract: INBOX, blockHash: dataHash(`l1 block ${i}`), blockNumber: 50n + i, logIndex: 0, txHash: dataHash(`l1 tx ${i}`),
      batchIndex: i, batchHash: hexBytes(b.hash), l2Start, l2End: l2Start, dataHash: dh, producer: hexBytes(b.producer),
    };
    const obs: Observation = { batchAppended: appended };
    const r = await c.step({ obs: [obs] });
    if (!types(r).includes('batch_finalized')) throw new Error(`batch ${i} was not finalized: ${types(r).join(', ')}`);
    digest = toHex(observationDigest(obs));
    prev = hexBytes(b.hash);
  }
  // L2 block 4 is owed and the producer does nothing: after respanTimeoutSeconds another producer is
  // elected for the rest of its epoch (a re-span epoch from head + the start margin).
  for (let k = 0; k < 20; k++) if (types(await c.step()).includes('respan')) return { chain: c, producer: p, digest, finalized: 3 };
  throw new Error('no re-span within 20 blocks');
}

export interface FakeComet {
  url: string;
  close(): Promise<void>;
  /** Validator index whose votes are absent at every third height. */
  absentIndex: number;
}

/** CometBFT's RPC as the gateway's chain watch reads it, over `chain`'s heights (block h at 1_700_000_000 + h s). */
export async function fakeComet(chain: PoolChain, absentIndex = 3): Promise<FakeComet> {
  const time = (h: bigint) => `${new Date(Number(1_700_000_000n + h) * 1000).toISOString().slice(0, 19)}.123456789Z`; // nanoseconds, as CometBFT writes
  const addrs = chain.vals.map((v) => toHex(v.address).toUpperCase());
  const rpc = (path: string, q: URLSearchParams): unknown => {
    const top = chain.height;
    switch (path) {
      case '/status':
        return {
          node_info: { moniker: 'node0', network: 'seqpool-test' },
          sync_info: { latest_block_height: top.toString(), latest_block_time: time(top), catching_up: false },
          validator_info: { voting_power: '20000' },
        };
      case '/net_info':
        return { n_peers: '3' };
      case '/validators':
        return { validators: addrs.map((address) => ({ address, voting_power: '20000' })), total: String(addrs.length), count: String(addrs.length) };
      case '/commit': {
        const h = BigInt(q.get('height') ?? top);
        return {
          canonical: h < top,
          signed_header: {
            header: { height: h.toString(), time: time(h), validators_hash: 'AB'.repeat(32) },
            commit: { height: h.toString(), signatures: addrs.map((a, i) => (i === absentIndex && h % 3n === 0n ? { block_id_flag: 1, validator_address: '' } : { block_id_flag: 2, validator_address: a })) },
          },
        };
      }
      case '/blockchain': {
        const lo = BigInt(q.get('minHeight') ?? '1');
        const hi = BigInt(q.get('maxHeight') ?? top);
        const metas = [];
        for (let h = hi; h >= lo && metas.length < 20; h--) metas.push({ header: { height: h.toString(), time: time(h) } });
        return { last_height: top.toString(), block_metas: metas };
      }
    }
    return undefined;
  };
  const server: Server = createServer(async (req, res) => {
    const u = await cometRequest(req);
    const result = rpc(u.path, u.params);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result === undefined ? { jsonrpc: '2.0', id: -1, error: { code: -32601, message: 'Method not found' } } : { jsonrpc: '2.0', id: -1, result }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    absentIndex,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
