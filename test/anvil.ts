// anvil for tests: a port from the test allocator, and registered to be stopped at the end of the
// test file (test/children.ts) the moment it answers, so a later setup failure cannot leak it.
import { startAnvil, type Anvil, type AnvilOptions } from '../contracts/devnet.js';
import { track } from './children.js';
import { freePort } from './ports.js';

export async function startTestAnvil(opts: Omit<AnvilOptions, 'port'>): Promise<Anvil> {
  return track(await startAnvil({ ...opts, port: await freePort() }));
}
