// The real Go ABCI client (abci-cli v0.38.26) against our server. The test app mimics CometBFT's
// example kvstore closely enough that CometBFT's own golden outputs (abci/tests/test_cli/ex1 and ex2
// in the pinned module) must come out byte for byte.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbciApplication } from '../../abci/application.js';
import { AbciServer } from '../../abci/server.js';
import { silentLogger } from '../../common/log.js';
import { runAbciCli, runAbciCliBatch } from './abci-cli.js';
import { baseApp } from './helpers.js';
import { freePort } from '../ports.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** kvstore's isValidTx: exactly one '=' (or one ':'), not at either end. */
function isValidTx(tx: string): boolean {
  for (const [sep, other] of [
    ['=', ':'],
    [':', '='],
  ] as const) {
    if (tx.split(sep).length === 2 && !tx.includes(other) && !tx.startsWith(sep) && !tx.endsWith(sep)) return true;
  }
  return false;
}

/** An in-memory kvstore with the example app's observable behaviour (app hash = 8 bytes, zigzag varint of size). */
function kvstore(): AbciApplication {
  const db = new Map<string, string>();
  let staged: string[] = [];
  let size = 0;
  let height = 0n;
  const appHash = () => {
    const h = new Uint8Array(8);
    let v = size * 2; // zigzag of a non-negative size
    let i = 0;
    do {
      h[i++] = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
      v = Math.floor(v / 128);
    } while (v > 0);
    return h;
  };
  return {
    info: () => ({ data: `{"size":${size}}`, lastBlockHeight: height, lastBlockAppHash: appHash() }),
    initChain: () => ({}),
    checkTx: (req) => ({ code: isValidTx(dec.decode(req.tx)) ? 0 : 2 }),
    prepareProposal: (req) => ({ txs: req.txs }),
    processProposal: (req) => ({ status: req.txs.every((t) => isValidTx(dec.decode(t))) ? 1 : 2 }),
    extendVote: () => ({}),
    verifyVoteExtension: () => ({ status: 1 }),
    finalizeBlock: async (req) => {
      await new Promise((r) => setTimeout(r, 1)); // async on purpose: ordering must not depend on sync apps
      staged = req.txs.map((t) => dec.decode(t));
      size += req.txs.length;
      height = req.height;
      return { txResults: req.txs.map(() => ({ code: 0 })), appHash: appHash() };
    },
    commit: () => {
      for (const t of staged) {
        const [k, v] = t.split('=');
        db.set(k!, v!);
      }
      staged = [];
      return {};
    },
    query: (req) => {
      const key = dec.decode(req.data);
      const value = db.get(key);
      return { key: req.data, value: value === undefined ? undefined : enc.encode(value), log: value === undefined ? 'does not exist' : 'exists', height };
    },
  };
}

// From abci/tests/test_cli/ex1.abci and ex1.abci.out of cometbft v0.38.26.
const EX1 = `echo hello
info
prepare_proposal "abc=123"
process_proposal "abc==456"
process_proposal "abc=123"
finalize_block "abc=123"
commit
info
query "abc"
finalize_block "def=xyz" "ghi=123"
commit
query "def"

`;
const EX1_OUT = `> echo hello
-> code: OK
-> data: hello
-> data.hex: 0x68656C6C6F

> info 
-> code: OK
-> data: {"size":0}
-> data.hex: 0x7B2273697A65223A307D

> prepare_proposal "abc=123"
-> code: OK
-> log: Succeeded. Tx: abc=123

> process_proposal "abc==456"
-> code: OK
-> status: REJECT

> process_proposal "abc=123"
-> code: OK
-> status: ACCEPT

> finalize_block "abc=123"
-> code: OK
-> code: OK
-> data.hex: 0x0200000000000000

> commit 
-> code: OK

> info 
-> code: OK
-> data: {"size":1}
-> data.hex: 0x7B2273697A65223A317D

> query "abc"
-> code: OK
-> log: exists
-> height: 0
-> key: abc
-> key.hex: 616263
-> value: 123
-> value.hex: 313233

> finalize_block "def=xyz" "ghi=123"
-> code: OK
-> code: OK
-> code: OK
-> data.hex: 0x0600000000000000

> commit 
-> code: OK

> query "def"
-> code: OK
-> log: exists
-> height: 0
-> key: def
-> key.hex: 646566
-> value: xyz
-> value.hex: 78797A

`;

// From abci/tests/test_cli/ex2.abci and ex2.abci.out of cometbft v0.38.26.
const EX2 = `check_tx "abc"
check_tx "def=567"
finalize_block "def=567"
commit
finalize_block "hello=world"
commit
finalize_block "first=second"
commit
info
`;
const EX2_OUT = `> check_tx "abc"
-> code: 2

> check_tx "def=567"
-> code: OK

> finalize_block "def=567"
-> code: OK
-> code: OK
-> data.hex: 0x0200000000000000

> commit 
-> code: OK

> finalize_block "hello=world"
-> code: OK
-> code: OK
-> data.hex: 0x0400000000000000

> commit 
-> code: OK

> finalize_block "first=second"
-> code: OK
-> code: OK
-> data.hex: 0x0600000000000000

> commit 
-> code: OK

> info 
-> code: OK
-> data: {"size":3}
-> data.hex: 0x7B2273697A65223A337D

`;

let dir: string;
const servers: AbciServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abci-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(app: AbciApplication, address?: string): Promise<string> {
  address ??= `tcp://127.0.0.1:${await freePort()}`;
  const server = new AbciServer({ app, logger: silentLogger() });
  servers.push(server);
  return server.listen(address);
}

describe('abci-cli v0.38 against AbciServer', () => {
  test('echo and info as single commands', async () => {
    const address = await serve(kvstore());
    const echo = await runAbciCli(address, ['echo', 'hello']);
    expect(echo).toMatchObject({ code: 0, stdout: '-> code: OK\n-> data: hello\n-> data.hex: 0x68656C6C6F\n' });
    const info = await runAbciCli(address, ['info']);
    expect(info).toMatchObject({ code: 0, stdout: '-> code: OK\n-> data: {"size":0}\n-> data.hex: 0x7B2273697A65223A307D\n' });
  });

  test("CometBFT's golden ex1 over tcp", async () => {
    expect(await runAbciCliBatch(await serve(kvstore()), EX1)).toBe(EX1_OUT);
  });

  test("CometBFT's golden ex2 over a unix socket", async () => {
    expect(await runAbciCliBatch(await serve(kvstore(), `unix://${join(dir, 'app.sock')}`), EX2)).toBe(EX2_OUT);
  });

  test('non-verbose batch output', async () => {
    const out = await runAbciCliBatch(await serve(kvstore()), 'echo hi\ncheck_tx "x"\n', { verbose: false });
    expect(out).toBe('-> code: OK\n-> data: hi\n-> data.hex: 0x6869\n\n-> code: 2\n\n');
  });

  test('server policies as the Go client sees them: UNKNOWN status, CheckTx and Query throws', async () => {
    const app = baseApp({
      processProposal: () => ({ status: 0 }),
      checkTx: () => {
        throw new Error('bad tx');
      },
      query: () => {
        throw new Error('bad query');
      },
    });
    const out = await runAbciCliBatch(await serve(app), 'process_proposal "a"\ncheck_tx "a"\nquery "k"\necho still-alive\n');
    expect(out).toBe(
      [
        '> process_proposal "a"\n-> code: OK\n-> status: REJECT\n',
        '> check_tx "a"\n-> code: 1\n-> log: internal error: bad tx\n',
        '> query "k"\n-> code: 1\n-> log: internal error: bad query\n-> height: 0\n',
        '> echo still-alive\n-> code: OK\n-> data: still-alive\n-> data.hex: 0x7374696C6C2D616C697665\n',
        '',
      ].join('\n'),
    );
  });

  test('a throw in Commit reaches the Go client as an exception and stops it', async () => {
    const app = baseApp({
      commit: () => {
        throw new Error('disk gone');
      },
    });
    const r = await runAbciCli(await serve(app), ['commit']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/commit: disk gone/);
  });
});
