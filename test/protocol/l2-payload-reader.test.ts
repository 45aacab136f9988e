// L2PayloadReader against a scripted JSON-RPC: a block's raw transactions must be exactly the ones
// its header lists, whatever ids the node answers its batch with.
import { createServer, type Server } from 'node:http';
import { keccak256, type Hex } from 'viem';
import { L2PayloadReader, L2RpcError } from '../../protocol/l2-payload-reader.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';

const RAW: Hex[] = ['0x02aa', '0x02bb'];
const block = { number: '0x7', hash: `0x${'77'.repeat(32)}`, parentHash: `0x${'66'.repeat(32)}`, miner: `0x${'42'.repeat(20)}`, stateRoot: `0x${'01'.repeat(32)}`, receiptsRoot: `0x${'02'.repeat(32)}`, logsBloom: `0x${'00'.repeat(256)}`, mixHash: `0x${'03'.repeat(32)}`, gasLimit: '0x1c9c380', gasUsed: '0xa410', timestamp: '0x10', extraData: '0x', baseFeePerGas: '0x7', transactions: RAW.map((r) => keccak256(r)) };
/** How the scripted node answers the batch of raw-transaction calls. */
let batchAnswer: (calls: { id: number }[]) => unknown = (calls) => calls.map((c) => ({ jsonrpc: '2.0', id: c.id, result: RAW[c.id] }));
let url = '';

beforeAll(async () => {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: number } | { id: number }[];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(msg) ? batchAnswer(msg) : { jsonrpc: '2.0', id: msg.id, result: block }));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  track({ stop: () => new Promise<void>((r) => server.close(() => r())) });
  url = `http://127.0.0.1:${port}`;
});

test('reads the header and the raw transactions in block order', async () => {
  batchAnswer = (calls) => [...calls].reverse().map((c) => ({ jsonrpc: '2.0', id: c.id, result: RAW[c.id] }));
  const p = await new L2PayloadReader(url).payload(7n);
  expect(p).toMatchObject({ blockNumber: '0x7', blockHash: block.hash, feeRecipient: block.miner, prevRandao: block.mixHash, transactions: RAW });
});

test('an answer with a repeated id (one transaction missing) is refused, not returned with a hole', async () => {
  batchAnswer = () => [{ jsonrpc: '2.0', id: 0, result: RAW[0] }, { jsonrpc: '2.0', id: 0, result: RAW[0] }];
  await expect(new L2PayloadReader(url).payload(7n)).rejects.toThrow(new L2RpcError(`raw transaction 1 of L2 block 7 does not hash to ${block.transactions[1]}`));
  batchAnswer = () => [{ jsonrpc: '2.0', id: 0, result: RAW[0] }, { jsonrpc: '2.0', id: 9, result: RAW[1] }];
  await expect(new L2PayloadReader(url).payload(7n)).rejects.toThrow(/answered an id 9 it was not asked for/);
});
