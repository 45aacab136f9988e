// The README's failure drill, as an operator runs it: a foreground `seqpool localnet up` in a
// terminal (a tmux pane: a real pty), and from another shell `localnet kill node2`, `localnet
// restart node2` and `localnet logs node2`. The foreground localnet reports the death on its status
// line and keeps the other three validators committing; the restarted node catches up and every node
// agrees on the app hash; Ctrl-C then stops everything, the restarted processes (which are not its
// children) included.
import { jest } from '@jest/globals';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PORTS_PER_NODE } from '../../cometbft-config/ports.js';
import { localnetDown, readLocalnet } from '../../localnet/localnet.js';
import { isAlive, stopPid } from '../../localnet/processes.js';
import { tryNodeStatus } from '../../localnet/rpc.js';
import { track } from '../children.js';
import { freePortBlock } from '../ports.js';
import { assertAppHashesAgree, eventually } from './testnet.js';

jest.setTimeout(150_000);

const SEQPOOL_BIN = fileURLToPath(new URL('../../bin/seqpool.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'seqpool-drill-'));
const dir = join(root, 'net'); // `up` wants an empty (or no) directory for a new network
const sock = join(root, 'tmux.sock');
const SESSION = 'drill';
// Our own tmux server (-S): nothing of the user's tmux is touched, and kill-server ends only it.
const tmuxEnv = { ...process.env, TMUX: '' };
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', sock, ...args], { env: tmuxEnv, encoding: 'utf8' });
const pane = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);
let upPid: number | undefined;

async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [SEQPOOL_BIN, ...args, '--dir', dir], { timeout: 90_000 });
}

async function cliError(args: string[]): Promise<string> {
  const err = await cli(args).then(
    () => undefined,
    (e: { stderr: string }) => e,
  );
  if (!err) throw new Error(`seqpool ${args.join(' ')} succeeded; expected an error`);
  return err.stderr;
}

/** Waits until the pane shows `re` after the first `after` characters; returns where it ends. */
async function waitPane(re: RegExp, timeoutMs: number, after = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = pane();
    const m = re.exec(text.slice(after));
    if (m) return after + m.index + m[0].length;
    const why = !isAlive(upPid) ? 'the foreground localnet exited' : Date.now() > deadline ? `timed out after ${timeoutMs} ms` : undefined;
    if (why) throw new Error(`${why} waiting for it to print ${re}\n--- the pane ---\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const heights = async (urls: string[]) => Promise.all(urls.map(async (u) => (await tryNodeStatus(u))?.height ?? -1n));

beforeAll(async () => {
  track({
    stop: async () => {
      // The foreground localnet first (it stops what it started), then whatever localnet.json still
      // names, then the tmux server; each step runs even if an earlier one fails.
      if (upPid && isAlive(upPid)) await stopPid(upPid, 30_000);
      await localnetDown(dir).catch(() => undefined);
      try {
        if (process.env.SEQPOOL_KEEP_TESTNET) writeFileSync(join(root, 'pane.txt'), pane());
        tmux('kill-server');
      } catch {
        // not started, or already gone
      }
      if (!process.env.SEQPOOL_KEEP_TESTNET) rmSync(root, { recursive: true, force: true });
    },
  });
  const base = await freePortBlock(4 * PORTS_PER_NODE);
  const conf = join(root, 'tmux.conf');
  // remain-on-exit: the pane (and what it printed) stays readable after `up` exits.
  writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 20000\n');
  const up = `exec ${process.execPath} ${SEQPOOL_BIN} localnet up --no-l1 --validators 4 --dir ${dir} --base-port ${base}`;
  tmux('-f', conf, 'new-session', '-d', '-s', SESSION, '-x', '250', '-y', '50', up);
  upPid = Number(tmux('list-panes', '-t', SESSION, '-F', '#{pane_pid}').trim());
  await waitPane(/press Ctrl-C to stop everything/, 90_000);
});

test('kill node2: the foreground localnet reports it and keeps committing; restart: it catches up, the app hashes agree; Ctrl-C stops all', async () => {
  const rec = readLocalnet(dir);
  const urls = rec.nodes.map((n) => n.rpcUrl);
  const others = urls.filter((_, i) => i !== 2);
  const old = rec.nodes[2]!.pids;
  let at = await waitPane(/\| 4\/4 nodes up/, 15_000);

  const killed = await cli(['localnet', 'kill', 'node2', '--process', 'all']);
  expect(killed.stdout).toContain(`killed node2's cometbft (pid ${old.cometbft}) with SIGKILL`);
  expect(killed.stdout).toContain(`killed node2's node (pid ${old.node}) with SIGKILL`);
  expect(killed.stdout).toContain('bring node2 back with: seqpool localnet restart node2');
  expect(isAlive(old.node)).toBe(false);
  expect(isAlive(old.cometbft)).toBe(false);

  // Reported as it happens, then on every status line; the localnet itself keeps running.
  at = await waitPane(/node2 DOWN: (node|cometbft) \(pid \d+, killed by SIGKILL\).*\. The other validators keep running; bring it back with: seqpool localnet restart node2/, 10_000, at);
  at = await waitPane(/3\/4 nodes up, node2 DOWN \(node, cometbft\) for \d+ s/, 15_000, at);
  const h = (await heights(others)).reduce((a, b) => (a > b ? a : b));
  await eventually('node0, node1 and node3 to commit 5 more blocks without node2', async () => ((await heights(others)).every((x) => x >= h + 5n) ? true : undefined), 30_000);
  expect(isAlive(upPid)).toBe(true);
  expect(pane()).not.toMatch(/stopping the localnet/);

  expect((await cli(['localnet', 'status'])).stdout).toMatch(/node2  down \(no answer at \S+\)  not running: node, cometbft \(seqpool localnet restart node2 --dir/);

  // Errors say what to do.
  expect(await cliError(['localnet', 'kill', 'node9'])).toMatch(/no node named 'node9'.*its nodes are node0, node1, node2, node3/);
  expect(await cliError(['localnet', 'kill', 'node2'])).toMatch(/nothing to kill: node2's processes are not running; bring it back with `seqpool localnet restart node2/);
  expect(await cliError(['localnet', 'kill', 'node2', '--process', 'sidecar'])).toMatch(/node2 runs no sidecar \(this localnet runs without L1/);

  const restarted = await cli(['localnet', 'restart', 'node2', '--timeout', '60']);
  expect(restarted.stdout).toMatch(/starting node2's app \(seqpool node\)/);
  expect(restarted.stdout).toMatch(/node2 caught up: height \d+/);
  const fresh = readLocalnet(dir).nodes[2]!.pids;
  expect(fresh.node).not.toBe(old.node);
  expect(isAlive(fresh.node) && isAlive(fresh.cometbft)).toBe(true);
  at = await waitPane(new RegExp(`node2 back: node \\(pid ${fresh.node}\\), cometbft \\(pid ${fresh.cometbft}\\)`), 10_000, at);
  await waitPane(/\| 4\/4 nodes up/, 15_000, at);

  // It keeps up with the others, and every node computes the same state at every height.
  const head = (await heights(others)).reduce((a, b) => (a > b ? a : b));
  await eventually('node2 past the head the others had', async () => ((await tryNodeStatus(urls[2]!))!.height > head + 2n ? true : undefined), 30_000);
  expect(await assertAppHashesAgree(urls)).toBeGreaterThan(0);

  // Its logs, from another shell: the file is named, --follow prints what is appended until Ctrl-C.
  const logs = await cli(['localnet', 'logs', 'node2', '--process', 'cometbft', '-n', '5']);
  expect(logs.stderr).toContain(join(rec.nodes[2]!.home, 'cometbft.log'));
  expect(logs.stdout.trimEnd().split('\n')).toHaveLength(5);
  const follow = spawn(process.execPath, [SEQPOOL_BIN, 'localnet', 'logs', 'node2', '--follow', '-n', '0', '--process', 'cometbft', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  track({ stop: async () => void follow.kill('SIGKILL') });
  const [chunk] = (await once(follow.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toMatch(/height=\d+/); // written after the follow started (-n 0)
  follow.kill('SIGINT');
  expect((await once(follow, 'exit'))[0]).toBe(0);

  // Ctrl-C in the terminal stops everything, node2's restarted processes too (not its children).
  tmux('send-keys', '-t', SESSION, 'C-c');
  await waitPane(/Ctrl-C: stopping the localnet\.\.\.[\s\S]*\nstopped/, 40_000, at);
  for (const pid of [old.node, old.cometbft, fresh.node, fresh.cometbft, ...rec.nodes.flatMap((n) => [n.pids.node, n.pids.cometbft])]) expect(isAlive(pid)).toBe(false);
});
