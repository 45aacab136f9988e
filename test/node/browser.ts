// Debian's chromium driven by playwright-core, for the dashboard's browser tests. `npx playwright
// install` downloads a browser build of its own, which we do not rely on: `make test` installs
// Debian's chromium (scripts/ensure-chromium.sh). Without it a browser test skips, with the reason,
// only where it cannot be installed (no apt-get); anywhere else its absence is a failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.SEQPOOL_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they must. */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const apt = ['/usr/bin/apt-get', '/bin/apt-get'].some((p) => existsSync(p));
  if (apt) return undefined; // it could be installed: the test runs and fails, saying how
  return `${CHROMIUM} is missing and apt-get is not available to install it: the dashboard browser test is skipped (install chromium to run it)`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile (removed on close), with the flags this machine needs. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`make test\` (scripts/ensure-chromium.sh installs Debian's chromium) or apt-get install chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'seqpool-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
