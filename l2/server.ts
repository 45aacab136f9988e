// The node's L2 block exchange (decision 41): a small HTTP server, on its own port (node.json
// l2.listen), that other validators' nodes push blocks to and pull blocks from. It is not the
// gateway: the gateway is read-only for L2 clients, this port is for validators (firewall it to
// them). Anything may connect, so each request is bounded: a body of at most
// MAX_SIGNED_L2_BLOCK_BYTES, at most MAX_IN_FLIGHT pushes being read at once (more get 503), and a
// block is parsed and checked by the driver before it touches geth.
//   POST /l2/blocks        a signed block (protocol/l2-block.ts JSON): 200 imported, 409 not
//                          imported (ignored: not our next height; refused: failed a check), 400 bad
//   GET  /l2/blocks/{n}    the signed block at height n of this node's chain, or 404
//   GET  /l2/head          {"number", "hash"} of this node's validated head
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../common/log.js';
import { encodeSignedL2Block, L2BlockError, MAX_SIGNED_L2_BLOCK_BYTES, parseSignedL2Block } from '../protocol/l2-block.js';
import type { L2Driver } from './driver.js';

const MAX_IN_FLIGHT = 8;

export interface L2ServerOptions {
  driver: Pick<L2Driver, 'receive' | 'blockAt' | 'head'>;
  host: string;
  port: number;
  logger?: Logger;
}

export interface L2Server {
  url: string;
  close(): Promise<void>;
}

export async function startL2Server(o: L2ServerOptions): Promise<L2Server> {
  const log = o.logger ?? silentLogger();
  let inFlight = 0;
  const send = (res: ServerResponse, status: number, body: string) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
  const fail = (res: ServerResponse, status: number, error: string) => send(res, status, JSON.stringify({ error }) + '\n');

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (declared > MAX_SIGNED_L2_BLOCK_BYTES) return reject(new L2BlockError(`body of ${declared} bytes exceeds ${MAX_SIGNED_L2_BLOCK_BYTES}`));
      const parts: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_SIGNED_L2_BLOCK_BYTES) {
          req.destroy();
          reject(new L2BlockError(`body exceeds ${MAX_SIGNED_L2_BLOCK_BYTES} bytes`));
        } else parts.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const from = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (req.method === 'POST' && path === '/l2/blocks') {
      if (inFlight >= MAX_IN_FLIGHT) return fail(res, 503, 'too many blocks being received; retry');
      inFlight++;
      try {
        const block = parseSignedL2Block(await readBody(req));
        const r = await o.driver.receive(block, from);
        return send(res, r.status === 'imported' ? 200 : 409, JSON.stringify(r) + '\n');
      } catch (e) {
        if (e instanceof L2BlockError) return fail(res, 400, e.message);
        log.warn({ from, error: (e as Error).message }, 'L2 block push failed');
        return fail(res, 500, 'the node could not take the block');
      } finally {
        inFlight--;
      }
    }
    if (req.method !== 'GET') return fail(res, 405, `${req.method} ${path}: POST /l2/blocks, GET /l2/blocks/{n} or GET /l2/head`);
    if (path === '/l2/head') {
      const h = o.driver.head();
      return send(res, 200, JSON.stringify({ number: h.number.toString(), hash: h.hash }) + '\n');
    }
    const m = /^\/l2\/blocks\/([0-9]{1,20})$/.exec(path);
    if (!m) return fail(res, 404, `no route ${JSON.stringify(path.slice(0, 100))}`);
    const n = BigInt(m[1]!);
    if (n >= 2n ** 64n) return fail(res, 400, 'height exceeds 64 bits');
    const b = await o.driver.blockAt(n);
    if (!b) return fail(res, 404, `no block ${n} here (head ${o.driver.head().number})`);
    send(res, 200, encodeSignedL2Block(b));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log.warn({ error: e.message }, 'L2 block exchange request failed');
      fail(res, 500, 'internal error');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `l2.listen ${o.host}:${o.port} is in use: another node or program listens there; pick another port in node.json` : `cannot listen on l2.listen ${o.host}:${o.port}: ${e.message}`)),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
