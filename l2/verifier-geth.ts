// The verifier's own geth (`seqpool l2 verify` without --geth-engine): the pinned .bin/geth,
// initialised from the L2 genesis in a temporary datadir, no peers, its ports probed free below
// Linux's ephemeral range (32768-60999, where an outgoing connection could take a probed port before
// geth binds it) unless given. It is the verifier's alone: killed and its datadir removed on stop(),
// and killed by an exit hook if the process ends another way (geth runs detached, in its own
// process group, so a Ctrl-C in the terminal does not reach it).
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isPortFree } from '../cometbft-config/ports.js';
import { gethHome, initGeth, launchGeth, type GethPorts } from '../localnet/geth.js';
import { EngineClient } from './engine.js';
import { readJwtSecret } from './jwt.js';

export interface VerifierGeth {
  engine: EngineClient;
  /** Its JSON-RPC (eth namespace), e.g. to inspect the rebuilt chain. */
  rpcUrl: string;
  home: string;
  stop(): Promise<void>;
}

const PORT_LO = 20_000;
const PORT_HI = 32_767;

/** `count` distinct free loopback ports in 20000-32767, from a random start (two verifiers rarely collide). */
export async function freeLowPorts(count: number): Promise<number[]> {
  const out: number[] = [];
  const span = PORT_HI - PORT_LO + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span && out.length < count; i++) {
    const p = PORT_LO + ((start + i) % span);
    if (await isPortFree(p)) out.push(p);
  }
  if (out.length < count) throw new Error(`no ${count} free ports in ${PORT_LO}-${PORT_HI} for the verifier's geth`);
  return out;
}

/** The chain id an L2 genesis file declares (geth's --networkid must match it). */
export function genesisChainId(file: string): number {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the L2 genesis ${file}: ${(e as Error).message}`);
  }
  const r = z.object({ config: z.object({ chainId: z.number().int().positive() }) }).safeParse(raw);
  if (!r.success) throw new Error(`${file} is not a geth genesis file (config.chainId missing)`);
  return r.data.config.chainId;
}

/** Starts a fresh geth from `genesisFile`; whatever fails, nothing is left running. */
export async function startVerifierGeth(genesisFile: string, ports?: GethPorts): Promise<VerifierGeth> {
  const chainId = genesisChainId(genesisFile);
  const home = mkdtempSync(join(tmpdir(), 'seqpool-verify-'));
  let child: ChildProcess | undefined;
  const kill = (): void => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const onExit = (): void => {
    kill();
    rmSync(home, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      kill();
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await initGeth(home, genesisFile);
    const [http, auth, p2p] = ports ? [ports.http, ports.auth, ports.p2p] : ((await freeLowPorts(3)) as [number, number, number]);
    await launchGeth({ home, chainId, ports: { http, auth, p2p }, onSpawn: (c) => (child = c) });
    const engine = new EngineClient({ url: `http://127.0.0.1:${auth}`, secret: readJwtSecret(gethHome(home).jwtFile) });
    return { engine, rpcUrl: `http://127.0.0.1:${http}`, home, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
