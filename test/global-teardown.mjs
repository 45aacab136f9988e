// jest globalTeardown: the safety net behind per-test cleanup (test/children.ts). Any process still
// carrying this run's marker (SEQPOOL_JEST_RUN, see global-setup.mjs) that is not jest itself was
// started by a test and left running: it is killed here and reported, so a failed setup can never
// leave an anvil or a cometbft behind, and (with forceExit in jest.config.js) jest cannot outlive
// its tests.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function processesOfRun(marker) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(`SEQPOOL_JEST_RUN=${marker}`)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      if (/jest/.test(cmd)) continue; // jest's own workers
      out.push({ pid, cmd });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export default async function globalTeardown() {
  const marker = process.env.SEQPOOL_JEST_RUN;
  if (!marker) return;
  const cursors = join(tmpdir(), 'seqpool-test-ports');
  for (const f of safeList(cursors)) if (f.startsWith(`${marker}-`)) rmSync(join(cursors, f), { force: true });
  if (process.platform !== 'linux') return;
  const left = processesOfRun(marker);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  if (left.length > 0) {
    process.stderr.write(`\njest global teardown: killed ${left.length} process(es) that tests left running:\n${left.map((p) => `  ${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}\n`);
  }
}
