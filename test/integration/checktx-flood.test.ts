// No remote memory exhaustion through CheckTx (decision 27): 20,000 unauthenticated broadcast_tx_sync
// calls of junk txs, at max_tx_bytes and at the largest size a valid tx of their kind may have, leave
// the node's app under 250 MB of resident memory. (Before the fix, the app memoised every tx it was
// sent, decoded, before looking at its signer: 3.7 GB after the same flood, and a few more killed it.)
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { maxTxBytesOf } from '../../app/tx-limits.js';
import { signTx } from '../../protocol/tx.js';
import { TxCode } from '../../protocol/codes.js';
import { publicKeyOf } from '../../common/secp.js';
import { waitForHeight } from '../../localnet/rpc.js';
import { startTestnet, type Testnet } from './testnet.js';

jest.setTimeout(600_000);
const FLOOD = 20_000;
const CONCURRENCY = 16;
const RSS_LIMIT_MB = 250;
let net: Testnet;

beforeAll(async () => {
  net = await startTestnet({ validators: 4 });
  await waitForHeight(net.manifest.nodes[0]!.rpcUrl, 3n, 60_000);
});
afterAll(async () => net?.stop());

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** A well-formed tx of `kind` from a random key (a stranger), padded to about `size` bytes. */
function junk(size: number, kind: 'reportCheater' | 'mpcPublic'): Uint8Array {
  const key = randomBytes(32);
  const pad = randomBytes(Math.max(0, size - 200));
  const body =
    kind === 'reportCheater'
      ? { reportCheater: { requestId: 1n, signer: 1, attempt: 1, package: pad, commitment: new Uint8Array(0), share: new Uint8Array(0) } }
      : { mpcPublic: { session: randomBytes(32), envelope: pad } };
  return signTx(key, { chainId: net.manifest.chainId, signer: publicKeyOf(key), nonce: 1n, lane: 1, ...body });
}

async function broadcast(url: string, tx: Uint8Array): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast_tx_sync', params: { tx: Buffer.from(tx).toString('base64') } }),
  });
  const r = (await res.json()) as { result?: { code: number }; error?: { message: string; data?: string } };
  if (r.result) return r.result.code;
  throw new Error(`broadcast_tx_sync: ${r.error?.message} ${r.error?.data ?? ''}`);
}

test(`${FLOOD.toLocaleString('en-US')} junk txs leave the app under ${RSS_LIMIT_MB} MB of RSS`, async () => {
  const node = net.manifest.nodes[0]!;
  const pid = net.processes[0]!.node.pid!;
  const before = rssMb(pid);
  // Half at max_tx_bytes (refused for size before decoding), half at the largest size their kind
  // allows with this committee (decoded, refused for their unknown signer, never cached).
  const sizes = [DEFAULT_PARAMS.maxTxBytes - 64, maxTxBytesOf('reportCheater', 4, DEFAULT_PARAMS.maxBatchBytes) - 16];
  const codes = new Map<number, number>();
  let next = 0;
  let peak = before;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < FLOOD; i = next++) {
        const code = await broadcast(node.rpcUrl, junk(sizes[i % 2]!, i % 4 < 2 ? 'reportCheater' : 'mpcPublic'));
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (i % 1000 === 0) peak = Math.max(peak, rssMb(pid));
      }
    }),
  );
  const after = rssMb(pid);
  peak = Math.max(peak, after);
  console.log(`CheckTx flood: ${FLOOD} junk txs (${sizes.join(' and ')} bytes) to node0; app RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after, peak ${peak.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB); codes ${JSON.stringify(Object.fromEntries(codes))}`);
  expect(codes.get(TxCode.OK)).toBeUndefined();
  expect([...codes.keys()].every((c) => c === TxCode.TOO_LARGE || c === TxCode.UNKNOWN_SIGNER)).toBe(true);
  expect(peak).toBeLessThan(RSS_LIMIT_MB);
  // And the chain is fine.
  const h = (await (await fetch(`${node.rpcUrl}/status`)).json()) as { result: { sync_info: { latest_block_height: string } } };
  await waitForHeight(node.rpcUrl, BigInt(h.result.sync_info.latest_block_height) + 2n, 30_000);
});

