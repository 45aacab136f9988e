// The app refuses a state database written under another app version's rules (decision 34): the
// hardened rules start from a fresh genesis instead of replaying old blocks under new rules.
import { MemoryPersistence } from '../../app/persistence.js';
import { APP_VERSION } from '../../app/app.js';
import { initChainRequest, makeValidators, openApp, runBlock } from './harness.js';

const vals = makeValidators(4);

test('a fresh chain records its app version; a database of another version is refused with what to do', async () => {
  const persistence = new MemoryPersistence();
  const app = await openApp({ persistence });
  await app.initChain(initChainRequest(vals));
  expect(app.state.chain()!.appVersion).toBe(APP_VERSION);
  await runBlock(app, vals, 1n, [], []);
  expect((await openApp({ persistence })).height).toBe(1n); // same version: reopens

  const old = new MemoryPersistence();
  const v1 = await openApp({ persistence: old });
  await v1.initChain(initChainRequest(vals));
  v1.state.setChain({ ...v1.state.chain()!, appVersion: 0n }); // as a version-1 database has it
  await runBlock(v1, vals, 1n, [], []);
  await expect(openApp({ persistence: old })).rejects.toThrow(new RegExp(`written by app version 1 and this is app version ${APP_VERSION}.*localnet up --reset`));
});
