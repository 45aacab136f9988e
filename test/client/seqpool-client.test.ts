// SeqpoolClient over a scripted CometBFT RPC (JSON-RPC POST, as protocol/comet-rpc.ts sends it): the
// typed reads and their errors, a tx signed with the signer's next nonce and waited for, and a node
// that does not answer named with what to check.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress, publicKeyOf } from '../../common/secp.js';
import { SeqpoolClient, QueryError } from '../../client/seqpool-client.js';
import { TxBodyCodec, TxCodec } from '../../proto/seqpool.js';
import { cometRequest } from '../comet-request.js';
import { freePort } from '../ports.js';

const privKey = secp256k1.utils.randomSecretKey();
const address = toHex(pubKeyToAddress(publicKeyOf(privKey))).toUpperCase();
const json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
let server: Server;
let url: string;
const sent: { nonce: bigint; chainId: string }[] = [];
let txPolls = 0;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const { path, params } = await cometRequest(req);
    let result: unknown;
    let error: unknown;
    if (path === '/status') result = { node_info: { network: 'test-chain' }, sync_info: { latest_block_height: '7', latest_app_hash: 'AB', catching_up: false } };
    else if (path === '/abci_query') {
      const q = params.get('path');
      if (q === '/status') result = { response: { code: 0, height: '7', value: json({ chainId: 'test-chain', height: '7', appHash: 'AB', validators: 4, totalPower: '80', voteExtensionsEnableHeight: '1' }) } };
      else if (q?.toUpperCase() === `/VALIDATOR/${address}`) result = { response: { code: 0, height: '7', value: json({ address, pubKey: '02', power: '20', nonce: '4', peer: null }) } };
      else result = { response: { code: 22, log: `no record at ${q}`, height: '7' } };
    } else if (path === '/broadcast_tx_sync') {
      const body = TxBodyCodec.decode(TxCodec.decode(new Uint8Array(Buffer.from(params.get('tx')!, 'base64'))).body);
      sent.push({ nonce: body.nonce, chainId: body.chainId });
      result = { code: 0, log: '', hash: 'ab12' };
    } else if (path === '/tx') {
      if (++txPolls < 2) error = { code: -32603, message: 'Internal error', data: 'tx not found' };
      else result = { hash: 'AB12', height: '9', tx_result: { log: 'ok' } };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, ...(error ? { error } : { result }) }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())));

test('typed reads, and the app\'s refusal as a QueryError with its code', async () => {
  const c = await SeqpoolClient.connect(url);
  expect(await c.chainId()).toBe('test-chain');
  expect(await c.status()).toMatchObject({ chainId: 'test-chain', height: 7n, totalPower: 80n });
  await expect(c.batch(3)).rejects.toThrow(QueryError);
  await expect(c.batch(3)).rejects.toMatchObject({ code: 22, path: '/batch/3' });
  expect(await c.health()).toMatchObject({ ok: true, height: 7n, catchingUp: false });
});

test('a tx carries the next nonce of its signer and is waited for until it is in a block', async () => {
  const c = await SeqpoolClient.connect(url);
  const r = await c.send(privKey, { bindPeer: { peerId: 'p', addrs: [], peerProof: new Uint8Array() } });
  expect(r).toEqual({ hash: 'AB12', code: 0, log: '' });
  expect(sent.at(-1)).toEqual({ nonce: 5n, chainId: 'test-chain' });
  expect(await c.waitForTx(r.hash, 5_000)).toEqual({ height: 9, code: 0, log: 'ok' });
  expect(txPolls).toBe(2);
});

test('a node that does not answer is named, with what to check', async () => {
  const port = await freePort();
  await expect(SeqpoolClient.connect(`http://127.0.0.1:${port}`)).rejects.toThrow(`cannot reach a CometBFT RPC at http://127.0.0.1:${port} (ECONNREFUSED): is the node running?`);
});
