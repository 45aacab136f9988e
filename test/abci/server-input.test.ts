// What the server does with bytes that are not a well-formed ABCI 0.38 request stream: log why, close
// that one connection, never answer with an exception, and keep serving everyone else.
import { encodeFrame, encodeUvarint } from '../../abci/framing.js';
import { TestClient, baseApp, sleep, until, useServers } from './helpers.js';

const ERROR = 50;
const { start } = useServers();
const tx = (s: string) => new TextEncoder().encode(s);

describe('AbciServer bad input', () => {
  async function expectClosedWith(bytes: Buffer, reason: RegExp, opts: { maxFrameSize?: number } = {}) {
    let calls = 0;
    const { client, lines } = await start(baseApp({ checkTx: () => (calls++, { code: 0 }) }), opts);
    const bystander = await client();
    const c = await client();
    c.sendRaw(bytes);
    await c.closed;
    expect(c.responses).toHaveLength(0);
    const err = lines.find((l) => l.level === ERROR && typeof l.reason === 'string' && reason.test(l.reason));
    expect(err).toBeDefined();
    expect(err!.conn).toBe(2);
    expect(err!.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    // No exception response, no crash, and the server keeps serving the other connection.
    const [r] = await bystander.call({ checkTx: { tx: tx('x') } });
    expect(r!.checkTx!.code).toBe(0);
    return { calls };
  }

  test('a frame over the maximum size closes the connection before its body arrives', async () => {
    await expectClosedWith(encodeUvarint(1025), /1025 bytes exceeds the maximum of 1024/, { maxFrameSize: 1024 });
  });

  test('a malformed length prefix closes the connection', async () => {
    await expectClosedWith(Buffer.alloc(11, 0xff), /longer than 10 bytes/);
  });

  test('a frame that does not decode as a Request closes the connection', async () => {
    await expectClosedWith(encodeFrame(Buffer.from([0x0f, 0x01])), /does not decode as a Request/); // wire type 7
  });

  test('an empty Request closes the connection', async () => {
    await expectClosedWith(encodeFrame(new Uint8Array(0)), /no known type set/);
  });

  test('a 0.34 DeliverTx (reserved field 9) closes the connection', async () => {
    await expectClosedWith(encodeFrame(Buffer.from([0x4a, 0x02, 0x0a, 0x00])), /no known type set/);
  });

  test('valid requests before garbage in the same write are not answered after the close', async () => {
    const bytes = Buffer.concat([TestClient.frame({ checkTx: { tx: tx('a') } }), TestClient.frame({ flush: {} }), Buffer.alloc(11, 0xff)]);
    const { calls } = await expectClosedWith(bytes, /longer than 10 bytes/);
    expect(calls).toBe(1); // only the bystander's CheckTx ran
  });

  test('a client closing mid-frame: no crash, no response, others keep being served', async () => {
    const { client, lines } = await start(baseApp());
    const bystander = await client();
    const c = await client();
    const frame = TestClient.frame({ checkTx: { tx: tx('never finished') } });
    c.sendRaw(frame.subarray(0, frame.length - 3));
    await sleep(20);
    await c.end();
    expect(c.responses).toHaveLength(0);
    await until(() => lines.some((l) => /middle of a frame/.test(l.msg)));
    const [r] = await bystander.call({ echo: { message: 'ok' } });
    expect(r!.echo!.message).toBe('ok');
  });

  test('a client that disconnects with requests queued does not break the queue', async () => {
    let ran = 0;
    const { client } = await start(baseApp({ checkTx: async () => (await sleep(5), ran++, { code: 0 }) }));
    const c = await client();
    c.send(...Array.from({ length: 50 }, () => ({ checkTx: { tx: tx('x') } })));
    await sleep(12);
    c.destroy();
    const other = await client();
    const [r] = await other.call({ checkTx: { tx: tx('y') } });
    expect(r!.checkTx!.code).toBe(0);
    expect(ran).toBeLessThan(51); // the gone client's remaining requests were skipped
  });
});
