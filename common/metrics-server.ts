// The /metrics endpoint of a seqpool process (node or sidecar): Prometheus text exposition of one
// prom-client registry, on its own port (`metrics.listen` in node.json / sidecar.json), so a scrape
// never queues behind the gateway or the app. GET /metrics only; read-only; no request body read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

export interface MetricsServerOptions {
  registry: Registry;
  /** host:port, e.g. 127.0.0.1:26663 (port 0 picks a free one). */
  listen: string;
  /** Whose metrics, for error messages: "node" or "sidecar". */
  what: string;
  /** The file whose metrics.listen to change when the port is taken. */
  configFile: string;
  logger?: Logger;
}

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

/** Splits "host:port" (as the config schemas accept it); throws naming the setting. */
function splitListen(listen: string, setting: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !/^[0-9]{1,5}$/.test(listen.slice(i + 1)) || port > 65_535) throw new Error(`${setting} ${JSON.stringify(listen)} must be host:port, e.g. 127.0.0.1:26663`);
  return { host: listen.slice(0, i), port };
}

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = splitListen(o.listen, `${o.what} metrics.listen`);
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      return void res.end('method not allowed: GET /metrics\n');
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found: the metrics are at /metrics\n');
    }
    const text = await o.registry.metrics();
    res.writeHead(200, { 'content-type': o.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  const server = createServer((req, res) => {
    req.resume();
    serve(req, res).catch((e: unknown) => {
      o.logger?.warn({ err: (e as Error).message }, 'collecting metrics failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('collecting metrics failed\n');
    });
  });
  // A scraper that stalls must not hold sockets.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const busy = e.code === 'EADDRINUSE' ? `: port ${port} is in use; pick another metrics.listen in ${o.configFile}` : '';
      reject(new Error(`${o.what} metrics server cannot listen on ${o.listen} (${e.code ?? e.message})${busy}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => o.logger?.error({ err: e.message }, 'metrics server error'));
  const addr = server.address() as AddressInfo;
  const shown = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${addr.port}/metrics`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
