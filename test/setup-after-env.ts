// Installed in every test file (jest.config.js setupFilesAfterEnv): stops the processes the file
// registered with test/children.ts, even when its own beforeAll threw before its afterAll could
// know what to stop.
import { stopTracked } from './children.js';

afterAll(async () => {
  await stopTracked();
}, 60_000);
