// The operator dashboard's static files, served by the gateway at / and /dashboard/ (node/dashboard/:
// a page, its scripts and styles; uPlot from the uplot npm package, never a CDN). A fixed list, read
// into memory once (about 200 KB), so no request path ever reaches the file system. The page only
// fetches the gateway's own routes with relative URLs, so it works on any node's gateway.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
}

/** URL path -> file: the page's own files next to this module (dist/node/dashboard/ once built), uPlot from node_modules. */
function sources(): Record<string, string> {
  const own = (f: string) => fileURLToPath(new URL(`./dashboard/${f}`, import.meta.url));
  const require = createRequire(import.meta.url);
  return {
    '/': own('index.html'),
    '/dashboard/app.js': own('app.js'),
    '/dashboard/views.js': own('views.js'),
    '/dashboard/charts.js': own('charts.js'),
    '/dashboard/format.js': own('format.js'),
    '/dashboard/style.css': own('style.css'),
    '/dashboard/vendor/uPlot.esm.js': require.resolve('uplot/dist/uPlot.esm.js'),
    '/dashboard/vendor/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page may load only what the gateway serves and talk only to it: no inline script, no other
 * origin (an operator's browser must not run or send anything elsewhere because of this page).
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export type Assets = { ok: true; files: Map<string, Asset> } | { ok: false; reason: string };

/** Reads every asset; a missing one makes the dashboard answer 500 with the reason (the API routes still work). */
export async function loadDashboardAssets(): Promise<Assets> {
  const files = new Map<string, Asset>();
  let list: Record<string, string>;
  try {
    list = sources();
  } catch (e) {
    return { ok: false, reason: `the uplot package is not installed (${(e as Error).message.split('\n')[0]}): run npm install` };
  }
  for (const [path, file] of Object.entries(list)) {
    try {
      files.set(path, { body: await readFile(file), type: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
    } catch {
      return { ok: false, reason: `dashboard asset ${file} is missing: run npm run build (scripts/copy-assets.mjs copies node/dashboard/ into dist)` };
    }
  }
  return { ok: true, files };
}

/** Whether a path belongs to the dashboard (so that an unknown one is a 404 of the dashboard, not of the API). */
export const isDashboardPath = (pathname: string): boolean => pathname === '/' || pathname === '/dashboard' || pathname.startsWith('/dashboard/');
