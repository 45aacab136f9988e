// What a fake CometBFT RPC server in a test was asked: the method and params of a JSON-RPC POST (as
// protocol/comet-rpc.ts sends them), in the form of a GET's path and query (/commit?height=5).
import type { IncomingMessage } from 'node:http';

export async function cometRequest(req: IncomingMessage): Promise<{ path: string; params: URLSearchParams }> {
  const u = new URL(req.url ?? '/', 'http://x');
  if (req.method !== 'POST') return { path: u.pathname, params: u.searchParams };
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const m = JSON.parse(body) as { method: string; params?: Record<string, unknown> };
  return { path: `/${m.method}`, params: new URLSearchParams(Object.entries(m.params ?? {}).map(([k, v]): [string, string] => [k, String(v)])) };
}
