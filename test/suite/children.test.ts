// Processes registered with test/children.ts are stopped by stopTracked (which every test file's
// afterAll runs, test/setup-after-env.ts), including one whose setup partner failed to start.
import { spawn } from 'node:child_process';
import { startAnvil } from '../../contracts/devnet.js';
import { stopTracked, track } from '../children.js';
import { freePort } from '../ports.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a process started before a failing setup step is still stopped', async () => {
  const port = await freePort();
  // Two anvils on one port: the second start fails, the first must not outlive the file.
  const first = startAnvil({ port, chainId: 1 }).then(track);
  const second = first.then(() => startAnvil({ port, chainId: 2 }).then(track));
  await expect(Promise.all([first, second])).rejects.toThrow(/already answers/);
  const a = await first;
  expect(alive(a.pid)).toBe(true);
  await stopTracked();
  expect(alive(a.pid)).toBe(false);
});

test('stopTracked stops every registered process even when one stop fails', async () => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  track({ stop: () => Promise.reject(new Error('this one cannot stop')) });
  track({ stop: async () => void child.kill('SIGKILL') });
  await stopTracked();
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
});
