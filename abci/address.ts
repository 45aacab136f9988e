// The ABCI listen address, in CometBFT's own syntax (config.toml `proxy_app`): `tcp://host:port` or
// `unix:///abs/path` (`unix://rel/path` is relative). A bare `host:port` means tcp, as in Go's
// cmtnet.ProtocolAndAddress.
import { connect } from 'node:net';
import { lstat, unlink } from 'node:fs/promises';

export type AbciAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseAddress(address: string): AbciAddress {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (path === '') throw new Error(`invalid ABCI address ${JSON.stringify(address)}: empty socket path`);
    return { kind: 'unix', path };
  }
  const rest = address.startsWith('tcp://') ? address.slice('tcp://'.length) : address;
  if (rest.includes('://')) throw new Error(`invalid ABCI address ${JSON.stringify(address)}: only tcp:// and unix:// are supported`);
  const m = /^(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})$/.exec(rest);
  if (!m) throw new Error(`invalid ABCI address ${JSON.stringify(address)}: want tcp://host:port or unix:///path`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`invalid ABCI address ${JSON.stringify(address)}: port out of range`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { kind: 'tcp', host, port };
}

export function formatAddress(a: AbciAddress): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/**
 * Makes `path` free for a new unix socket. A socket file left by a crashed process would make listen
 * fail with EADDRINUSE, so it is removed, but only when nothing answers on it: unlinking a live
 * server's socket would silently steal its clients. A path that is not a socket is never touched.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false)); // ECONNREFUSED: nobody listens; the file is stale
  });
  if (live) {
    const err = new Error(`another server is listening on ${path}`) as NodeJS.ErrnoException;
    err.code = 'EADDRINUSE';
    throw err;
  }
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
