// Liveness of a recorded pid (localnet/processes.ts): a zombie is dead, and a pid runs a localnet
// process only while its command line still names that process's home.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isAlive, ownedPid, stopPid } from '../../localnet/processes.js';
import { track } from '../children.js';

function tracked(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  track({ stop: async () => void c.kill('SIGKILL') });
  return c;
}

test('a killed process whose parent never reaps it (a zombie) is not alive, and stopPid returns', async () => {
  // The shell becomes `sleep`, which never waits for its child: the killed child stays a zombie, as
  // a `localnet restart`'s processes do under a container init that never reaps.
  const parent = tracked('sh', ['-c', 'sleep 300 & echo $!; exec sleep 300']);
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const child = Number(line.toString().trim());
  expect(isAlive(child)).toBe(true);
  process.kill(child, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  expect(isAlive(child)).toBe(false);
  await stopPid(child, 100); // used to wait for ever on a zombie
});

test('ownedPid: only a live pid whose command line carries the marker (its --home)', async () => {
  // `read` is built in: no grandchild is left behind when the shell is killed.
  const c = tracked('sh', ['-c', 'read line', '--home', '/tmp/seqpool-home-a']);
  await new Promise((r) => setTimeout(r, 100));
  expect(ownedPid(c.pid, '/tmp/seqpool-home-a')).toBe(c.pid);
  expect(ownedPid(c.pid, '/tmp/seqpool-home-b')).toBeUndefined(); // a pid reused by another program
  expect(ownedPid(c.pid, '/tmp/seqpool-home')).toBeUndefined(); // whole arguments only
  c.kill('SIGKILL');
  await once(c, 'exit');
  expect(ownedPid(c.pid, '/tmp/seqpool-home-a')).toBeUndefined();
  expect(ownedPid(undefined, '/tmp/seqpool-home-a')).toBeUndefined();
});
