// PoolClient against a real gateway (HTTP socket, ephemeral port) in front of a real in-process
// SeqpoolApp driven through blocks: epoch 0, the producer of an L2 block, a batch requested by the
// producer and signed by the pool's (trusted-dealer) key, the MPC key, validators and health. Then
// the client's error reporting: 404/400 with status and app code, an unreachable URL, a non-gateway.
import { opaqueBatchData } from '../batch-fixture.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../ports.js';
import { PoolClient, PoolClientError } from '../../client/pool-client.js';
import { PoolParseError } from '../../protocol/views/index.js';
import { appQuery, startGateway, type Gateway } from '../../node/gateway.js';
import { silentLogger } from '../../common/log.js';
import { toHex } from '../../common/bytes.js';
import { hexBytes, indexOf, poolChain, type PoolChain } from '../app/pool-harness.js';
import { bindPeerMsg } from '../app/peer-helper.js';

describe('PoolClient against a gateway in front of a real app', () => {
  let chain: PoolChain;
  let gw: Gateway;
  let client: PoolClient;

  beforeAll(async () => {
    chain = await poolChain();
    for (let i = 0; i < 2; i++) await chain.step();
    chain.setHead(6n);
    for (let i = 0; i < 3; i++) await chain.step();
    gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(chain.app), logger: silentLogger() });
    client = new PoolClient(gw.url);
  });
  afterAll(() => gw?.close());

  test('epochs, producer, validators, MPC key, status and health as typed values', async () => {
    const epoch = await client.currentEpoch();
    expect(epoch).toMatchObject({ id: 0n, startL2: 1n, endL2: 10n, l2Head: 6n, isRespan: false, respanOf: 0n });
    expect(['elected', 'committed']).toContain(epoch.status);
    expect(indexOf(chain.vals, epoch.producer)).toBeGreaterThanOrEqual(0);
    expect(await client.epoch(0)).toEqual(Object.fromEntries(Object.entries(epoch).filter(([k]) => k !== 'l2Head' && k !== 'l2HeadTime')));

    expect(await client.producerOf(7n)).toEqual({ l2Height: 7n, epochId: 0n, producer: epoch.producer, signer: epoch.signer, mustRecommit: false });

    const vals = await client.validators();
    expect(vals.map((v) => v.address).sort()).toEqual(chain.vals.map((v) => toHex(v.address).toUpperCase()).sort());
    expect(vals.every((v) => v.power === 20_000n && typeof v.nonce === 'bigint')).toBe(true);
    expect((await client.validator(`0x${toHex(chain.vals[1]!.address)}`)).sequencerId).toBe(2n);

    const key = await client.mpcKey();
    expect(key).toMatchObject({ keyId: 'seqpool', threshold: 3, keyEpoch: 0 });
    expect(key.members.map((m) => m.index)).toEqual([1, 2, 3, 4]);
    expect(key.groupKey).toBe(toHex(chain.shares![0]!.public.groupKey));
    expect(key.groupKeyL1).toMatch(/^0x[0-9a-f]+$/);

    const status = await client.status();
    expect(status).toMatchObject({ chainId: 'seqpool-test', height: 5n, validators: 4, totalPower: 80_000n });
    expect(await client.health()).toMatchObject({ ok: true, height: 5n, chainId: 'seqpool-test' });
    expect((await client.params()).epochLength).toBe('10');
    const raw = await client.get('/batches/meta');
    expect(raw.height).toBe(5n);
  });

  test('a batch requested by the producer and signed by the pool, seen through batch, sign and pending', async () => {
    const epoch = await client.currentEpoch();
    const meta = await client.batchMeta();
    expect(meta.nextL2Start).toBe(1n);
    const producer = indexOf(chain.vals, epoch.producer);
    const request = chain.tx(producer, {
      requestBatch: { batchIndex: meta.nextIndex, prevBatchHash: hexBytes(meta.lastHash), l2Start: 1n, l2End: 4n, ...opaqueBatchData('client') },
    });
    const { finalized } = await chain.step({ txs: [request] });
    // The proposer's injected vote extensions come first; ours is the last tx.
    expect(finalized.txResults?.at(-1)).toMatchObject({ code: 0 });

    const batch = await client.batch(meta.nextIndex);
    expect(batch).toMatchObject({ index: meta.nextIndex, l2Start: 1n, l2End: 4n, status: 'signing', epochId: 0n, l1TxHash: null, dataHash: `0x${toHex(opaqueBatchData('client').dataHash)}` });
    expect(await client.batchMeta()).toMatchObject({ nextIndex: meta.nextIndex + 1n, nextL2Start: 5n, lastHash: batch.hash });

    const req = await client.signRequest(batch.signRequest);
    expect(req).toMatchObject({ id: batch.signRequest, purpose: 'appendBatch', status: 'pending', signature: null, batchIndex: batch.index });
    expect((await client.pendingSignRequests()).map((r) => r.id)).toContain(req.id);

    const signature = chain.sign(hexBytes(req.digest));
    const { finalized: f2 } = await chain.step({ txs: [chain.tx(0, { submitSignature: { requestId: req.id, signature } }, 1)] });
    expect(f2.txResults?.at(-1)).toMatchObject({ code: 0 });
    const signed = await client.signRequest(req.id);
    expect(signed.status).toBe('signed');
    expect(signed.signature).toBe(`0x${toHex(signature)}`);
    expect(signed.signedHeight).toBe(BigInt(chain.height));
    expect((await client.pendingSignRequests()).map((r) => r.id)).not.toContain(req.id);
    expect((await client.batch(batch.index)).status).toBe('signed');
  });

  test('app refusals arrive as PoolClientError with the HTTP status and the app code', async () => {
    const notFound = await client.batch(999).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(PoolClientError);
    expect(notFound).toMatchObject({ status: 404, code: 22, message: '/batches/999: no batch 999' });
    await expect(client.producerOf(1_000_000n)).rejects.toMatchObject({ status: 404, code: 22 });
    await expect(client.validator('nothex')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/20-byte hex address/) });
    await expect(client.mpcSession('00'.repeat(32))).rejects.toMatchObject({ status: 404, code: 22 });
    expect(() => client.epoch(-1)).toThrow(RangeError);
  });
});

test('the genesis DKG session through /mpc/sessions/current and /mpc/sessions/{id}; no key yet is a 404', async () => {
  const chain = await poolChain({ withKey: false });
  await chain.step();
  // The sidecars bind their MPC peers first; the genesis DKG opens in the block where the last one lands.
  const binds = chain.vals.map((v, i) => chain.tx(i, { bindPeer: bindPeerMsg(v.address, 'ABCD'[i]!, [`/ip4/127.0.0.1/tcp/${4000 + i}`]) }, 1));
  await chain.step({ txs: binds });
  const gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(chain.app), logger: silentLogger() });
  try {
    const client = new PoolClient(gw.url);
    const session = await client.currentMpcSession();
    expect(session).toMatchObject({ kind: 'dkg', status: 'open', attempt: 0, keyEpoch: 0, threshold: 3, openedHeight: 2n, transcript: [], ready: [], faults: [] });
    expect(session.receivers.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(session.dealDeadline).toBeGreaterThan(session.openedHeight);
    expect(await client.mpcSession(`0x${session.id.toUpperCase()}`)).toEqual(session);
    await expect(client.mpcKey()).rejects.toMatchObject({ status: 404, code: 22, message: expect.stringMatching(/no MPC key yet/) });
  } finally {
    await gw.close();
  }
});

describe('PoolClient error reporting', () => {
  test('an unreachable gateway names the URL and what to check', async () => {
    const port = await freePort(); // free, and nothing will listen on it
    const client = new PoolClient(`http://127.0.0.1:${port}/`);
    const err = (await client.currentEpoch().catch((e: unknown) => e)) as PoolClientError;
    expect(err).toBeInstanceOf(PoolClientError);
    expect(err.status).toBe(0);
    expect(err.message).toBe(
      `cannot reach the seqpool gateway at http://127.0.0.1:${port} (ECONNREFUSED): is the node running with "gateway": {"listen": ...} in node.json, and is that the host:port in the URL?`,
    );
    await expect(client.health()).rejects.toMatchObject({ status: 0 });
    expect(() => new PoolClient('127.0.0.1:1317')).toThrow(/not a gateway URL/);
  });

  describe('against servers that are not (quite) a gateway', () => {
    let server: Server;
    let url: string;
    let reply: { status: number; body: string };
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body);
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    test('HTML, missing result, wrong shape and slow answers are reported, not guessed past', async () => {
      const client = new PoolClient(url, { timeoutMs: 200 });
      reply = { status: 200, body: '<html>hi</html>' };
      await expect(client.batchMeta()).rejects.toThrow(/answered HTTP 200 with something other than a JSON object \(is this a seqpool gateway\?\)/);
      reply = { status: 200, body: '{"height":"3"}' };
      await expect(client.batchMeta()).rejects.toThrow(/answered without a result/);
      reply = { status: 200, body: '{"height":"3","result":{"nextIndex":"x"}}' };
      await expect(client.batchMeta()).rejects.toThrow(PoolParseError);
      await expect(client.batchMeta()).rejects.toThrow('unexpected batch meta answer: field nextIndex: expected a decimal integer string, got "x"');
      reply = { status: 503, body: '{"ok":false,"height":null,"reason":"no state"}' };
      expect(await client.health()).toEqual({ ok: false, height: null, reason: 'no state' });
      reply = { status: 502, body: '{"error":"the app could not be queried for /mpc/key","status":502}' };
      await expect(client.mpcKey()).rejects.toMatchObject({ status: 502, message: '/mpc/key: the app could not be queried for /mpc/key', code: undefined });
    });

    test('a gateway that does not answer in time is a status-0 error naming the timeout', async () => {
      const slow = createServer(() => undefined); // never answers
      const slowPort = await freePort();
      await new Promise<void>((r) => slow.listen(slowPort, '127.0.0.1', r));
      const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
      try {
        await expect(new PoolClient(slowUrl, { timeoutMs: 150 }).status()).rejects.toMatchObject({ status: 0, message: expect.stringContaining('(no answer within 150 ms)') });
      } finally {
        slow.closeAllConnections();
        await new Promise<void>((r) => slow.close(() => r()));
      }
    });
  });
});
