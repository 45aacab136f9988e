// The L2 block exchange over real HTTP (l2/server.ts, l2/peers.ts): a pushed block reaches the
// driver, a pulled one comes back byte for byte, and whatever a stranger sends (junk, a wrong shape,
// an oversized body, a bad height) is answered with a clear error without reaching the driver.
import { privateKeyToAccount } from 'viem/accounts';
import { fromHex } from '../../common/bytes.js';
import { HttpL2Peers } from '../../l2/peers.js';
import { startL2Server, type L2Server } from '../../l2/server.js';
import type { ReceiveResult } from '../../l2/driver.js';
import { MAX_SIGNED_L2_BLOCK_BYTES, signL2Block, type L2Payload, type SignedL2Block } from '../../protocol/l2-block.js';
import { freePort } from '../ports.js';

const KEY = `0x${'5b'.repeat(32)}` as const;
const h32 = (b: string) => `0x${b.repeat(32)}` as const;
const payload = (n: number): L2Payload => ({
  parentHash: h32('01'), feeRecipient: privateKeyToAccount(KEY).address.toLowerCase() as `0x${string}`, stateRoot: h32('02'), receiptsRoot: h32('03'),
  logsBloom: `0x${'00'.repeat(256)}`, prevRandao: h32('04'), blockNumber: `0x${n.toString(16)}`, gasLimit: '0x1c9c380', gasUsed: '0x0',
  timestamp: '0x6553f100', extraData: '0x', baseFeePerGas: '0x3b9aca00', blockHash: h32('05'), transactions: [], withdrawals: [], blobGasUsed: '0x0', excessBlobGas: '0x0',
});
const stored = new Map<bigint, SignedL2Block>([[1n, signL2Block(7n, payload(1), fromHex(KEY))]]);
const received: SignedL2Block[] = [];
let server: L2Server;

beforeAll(async () => {
  server = await startL2Server({
    host: '127.0.0.1',
    port: await freePort(),
    driver: {
      receive: async (b: SignedL2Block): Promise<ReceiveResult> => (received.push(b), b.payload.blockNumber === '0x2' ? { status: 'imported' } : { status: 'refused', reason: 'not next' }),
      blockAt: async (h: bigint) => stored.get(h),
      head: () => ({ number: 1n, hash: h32('05'), timestamp: 1n }),
    },
  });
});
afterAll(() => server.close());

test('push reaches the driver; pull returns the stored block; head answers', async () => {
  const peers = new HttpL2Peers({ urls: [server.url] });
  peers.publish(signL2Block(7n, payload(2), fromHex(KEY)));
  for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(received.map((b) => b.payload.blockNumber)).toEqual(['0x2']);
  let got: SignedL2Block | undefined;
  expect(await peers.fetch(1n, async (b) => ((got = b), true))).toBe(true);
  expect(got).toEqual(stored.get(1n));
  expect(await peers.fetch(9n, async () => true)).toBe(false); // 404 everywhere
  expect(await (await fetch(`${server.url}/l2/head`)).json()).toEqual({ number: '1', hash: h32('05') });
  const refused = await fetch(`${server.url}/l2/blocks`, { method: 'POST', body: JSON.stringify(signL2Block(7n, payload(3), fromHex(KEY))) });
  expect([refused.status, await refused.json()]).toEqual([409, { status: 'refused', reason: 'not next' }]);
});

test('strangers get clear errors and never reach the driver', async () => {
  const before = received.length;
  const post = (body: string | Uint8Array) => fetch(`${server.url}/l2/blocks`, { method: 'POST', body });
  const bad = await post('not json');
  expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'signed block is not JSON']);
  const shape = await post(JSON.stringify({ payload: {}, signature: '0x' }));
  expect([shape.status, ((await shape.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/^signed block: payload\.parentHash/)]);
  const big = await post(new Uint8Array(MAX_SIGNED_L2_BLOCK_BYTES + 1)).catch((e: Error) => e);
  if (!(big instanceof Error)) expect(big.status).toBe(400); // or the socket is cut mid-upload
  expect((await fetch(`${server.url}/l2/blocks/99999999999999999999`)).status).toBe(400);
  expect((await fetch(`${server.url}/l2/blocks/abc`)).status).toBe(404);
  expect((await fetch(`${server.url}/l2/blocks`, { method: 'PUT' })).status).toBe(405);
  expect(received.length).toBe(before);
});
