// npm run bench:forced: forced-inclusion latency and gas (issue 16, decision 46) on a real 4-validator
// localnet with L1. Every node runs test/entry/byzantine-node.mjs in "when-flagged" mode: the
// production node with one seam, honest until the bench writes HOME/censor-forced, after which that
// node as producer builds no forced blocks (the bench takes only that program's path from test/).
//   1. Honest: BENCH_FORCED_N (10) transfers signed on L2 by the 3 funded development accounts and
//      forced through BatchInbox.forceInclude by the L1 deployer, one every 3 s.
//   2. Censored: BENCH_FORCED_CENSORED (3) rounds, each with a producer that has most of its epoch
//      ahead censoring one forced transfer until honest followers stall it and the failover replaces it.
//   3. Gas: forceInclude's receipts, and appendBatch's receipts split by the entries their header consumed.
// Latencies run from t0, the L1 timestamp of forceInclude's block (the entry's own), to the L2 block
// holding the transfer and to the BatchAppended on L1 whose range holds that block. Writes the
// `forced` section of docs/BENCHMARKS.md (bench/forced-report.ts).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, http, keccak256, parseEventLogs, parseGwei, type Address, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { PoolClient } from '../client/pool-client.js';
import { gatewayUrl, LOCALNET_DEPLOYER_KEY, LOCALNET_POOL_PARAMS } from '../localnet/l1-chains.js';
import { DEV_MNEMONIC, l2RpcUrl } from '../localnet/l2-chain.js';
import { localnetDown, localnetUp, type Localnet } from '../localnet/localnet.js';
import { readNodeConfig } from '../node/node-config.js';
import { FORCED_QUEUE_ABI, parseForcedMarker } from '../protocol/forced-queue.js';
import { ChainWatcher, L1Batches, loggedTrouble, type L1BatchRecord } from './forced-observe.js';
import { forcedReport, type CensoredRound, type Forced, type Landed } from './forced-report.js';
import { stopLocalnetProcesses, until as untilFor } from './localnet-bench.js';
import { writeBenchSection } from './report.js';

const N = Number(process.env.BENCH_FORCED_N ?? 10);
const M = Number(process.env.BENCH_FORCED_CENSORED ?? 3);
// Fixed bench ports below Linux's ephemeral range (32768-60999), apart from the other benches'
// (pool 20000, l2 21000, join 23000, gas 24100, consensus 25000).
const BASE = Number(process.env.BENCH_FORCED_PORT ?? 22000);
const SPACING_MS = 3_000;
const CENSOR_FLAG = 'censor-forced';
const FUNDED_USERS = 3; // the L2 genesis funds DEV_MNEMONIC indices 0..2
const BYZANTINE_NODE = resolve(dirname(fileURLToPath(import.meta.url)), process.env.SEQPOOL_REPO_ROOT ?? '../..', 'test', 'entry', 'byzantine-node.mjs');
const log = (l: string) => process.stdout.write(`${l}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number) => untilFor('bench:forced', what, fn, timeoutMs);

interface Ctx {
  net: Localnet;
  client: PoolClient;
  l1: PublicClient;
  inbox: Address;
  l2ChainId: number;
  fee: bigint;
  payer: ReturnType<typeof createWalletClient>;
  batches: L1Batches;
  /** Each node's validator signer (its L2 block miner), lower-case. */
  signers: string[];
  odd: string[];
}

const l2Client = (ctx: Ctx, i: number) => createPublicClient({ transport: http(l2RpcUrl(ctx.net.manifest.nodes[i]!), { retryCount: 0 }) }) as PublicClient;
const nodeName = (ctx: Ctx, miner: string) => ctx.net.manifest.nodes[ctx.signers.indexOf(miner.toLowerCase())]?.name ?? miner;
const readInbox = <T>(ctx: Ctx, functionName: string, args: unknown[] = []) => ctx.l1.readContract({ address: ctx.inbox, abi: FORCED_QUEUE_ABI, functionName: functionName as never, args: args as never }) as Promise<T>;

/** DEV account `user` signs a 1-wei-ish transfer on L2 at its current nonce; the L1 deployer forces it. */
async function force(ctx: Ctx, l2: PublicClient, user: number): Promise<Forced> {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: user });
  const [nonce, head] = await Promise.all([l2.getTransactionCount({ address: account.address, blockTag: 'latest' }), l2.getBlock()]);
  const base = head.baseFeePerGas ?? parseGwei('1');
  const raw = await account.signTransaction({ chainId: ctx.l2ChainId, type: 'eip1559', to: '0x000000000000000000000000000000000000dEaD', value: 4242n, nonce, gas: 21_000n, maxFeePerGas: base * 4n + parseGwei('1'), maxPriorityFeePerGas: parseGwei('1') });
  const hash = await ctx.payer.writeContract({ address: ctx.inbox, abi: FORCED_QUEUE_ABI, functionName: 'forceInclude', args: [raw], value: ctx.fee, account: ctx.payer.account!, chain: ctx.payer.chain });
  const receipt = await ctx.l1.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 30_000 });
  const wallAt = Date.now();
  if (receipt.status !== 'success') throw new Error(`bench:forced: forceInclude ${hash} reverted`);
  const [ev] = parseEventLogs({ abi: FORCED_QUEUE_ABI, logs: receipt.logs, eventName: 'ForcedInclusion' });
  if (!ev) throw new Error(`bench:forced: forceInclude ${hash} emitted no ForcedInclusion`);
  return { user, index: ev.args.index, t0: ev.args.timestamp, wallAt, l2Tx: keccak256(raw), gasUsed: receipt.gasUsed, txBytes: (raw.length - 2) / 2 };
}

/** Waits for `f` in an L2 block on `w`'s geth and for the L1 batch holding that block. */
async function landed(ctx: Ctx, w: ChainWatcher, f: Forced, timeoutMs: number): Promise<Landed> {
  const h = await until(`forced entry ${f.index} (L2 tx ${f.l2Tx}) in an L2 block`, async () => w.blockOf(f.l2Tx), timeoutMs);
  const b = w.seen.get(h)!;
  const m = parseForcedMarker(b.extraData);
  const forcedBlock = m !== undefined && m.first <= f.index && f.index < m.first + BigInt(m.count);
  if (!forcedBlock) ctx.odd.push(`entry ${f.index}: its transfer is in L2 block ${h}, which is not a forced block consuming it (extraData ${b.extraData})`);
  const r = await w.client.getTransactionReceipt({ hash: f.l2Tx });
  if (r.status !== 'success') ctx.odd.push(`entry ${f.index}: its transfer in L2 block ${h} has status ${r.status}`);
  const batch: L1BatchRecord = await until(`the L1 batch holding L2 block ${h} (entry ${f.index})`, async () => {
    await ctx.batches.refresh();
    return ctx.batches.covering(h);
  }, timeoutMs);
  return { f, l2Block: h, miner: nodeName(ctx, b.miner), l2WallMs: b.at - f.wallAt, l2Secs: Number(b.timestamp - f.t0), batch, batchSecs: Number(batch.l1Time - f.t0) };
}

/** Honest: N transfers one every SPACING_MS, a sender's next only once its previous is on L2 (its nonce). */
async function honestPhase(ctx: Ctx): Promise<Landed[]> {
  const w = new ChainWatcher(l2Client(ctx, 0), 1n);
  try {
    const sent: Forced[] = [];
    const start = Date.now();
    for (let k = 0; k < N; k++) {
      const due = start + k * SPACING_MS;
      if (due > Date.now()) await sleep(due - Date.now());
      const user = k % FUNDED_USERS;
      const prev = sent.filter((x) => x.user === user).at(-1);
      if (prev) await until(`entry ${prev.index} on L2 before its sender's next`, async () => (w.blockOf(prev.l2Tx) !== undefined ? true : undefined), 90_000);
      const f = await force(ctx, w.client, user);
      sent.push(f);
      log(`[honest] entry ${f.index} by user ${user}: L1 time ${f.t0}, forceInclude ${f.gasUsed} gas`);
    }
    const out: Landed[] = [];
    for (const f of sent) {
      const l = await landed(ctx, w, f, 120_000);
      log(`[honest] entry ${f.index}: L2 block ${l.l2Block} by ${l.miner} after ${l.l2WallMs} ms (L2 time +${l.l2Secs} s), L1 batch ${l.batch.index} at +${l.batchSecs} s`);
      out.push(l);
    }
    if (w.dropped.length) ctx.odd.push(`honest phase: node0's geth replaced ${w.dropped.length} block(s) it had shown (${w.dropped.map((d) => d.number).join(', ')})`);
    return out;
  } finally {
    await w.stop();
  }
}

/** The pool at rest: every entry consumed on L1, the attested head moving, a new batch appended. */
async function settle(ctx: Ctx): Promise<void> {
  await until('every queue entry consumed on L1', async () => {
    const [len, cursor] = await Promise.all([readInbox<bigint>(ctx, 'forcedQueueLength'), readInbox<bigint>(ctx, 'forcedCursor')]);
    return cursor >= len ? true : undefined;
  }, 120_000);
  const h0 = (await ctx.client.currentEpoch()).l2Head;
  await until('the attested L2 head moving', async () => ((await ctx.client.currentEpoch()).l2Head >= h0 + 3n ? true : undefined), 60_000);
  const n0 = (await ctx.batches.refresh()).length;
  await until('a new batch on L1', async () => ((await ctx.batches.refresh()).length > n0 ? true : undefined), 60_000);
}

/** One censored round: a producer with most of its epoch ahead censors one forced transfer. */
async function censoredRound(ctx: Ctx, round: number): Promise<CensoredRound> {
  await settle(ctx);
  const nodes = ctx.net.manifest.nodes;
  const pick = await until('a producer with 16 blocks of its epoch ahead', async () => {
    const head = (await ctx.client.currentEpoch()).l2Head;
    const [a, b] = await Promise.all([ctx.client.producerOf(head + 3n), ctx.client.producerOf(head + 19n)]);
    const censor = nodes.findIndex((n) => n.validatorAddress === a.producer);
    return a.producer === b.producer && a.epochId === b.epochId && censor >= 0 ? { censor, head, signer: a.signer.toLowerCase() } : undefined;
  }, 120_000);
  const { censor, head, signer } = pick;
  const missesOf = async () => Number((await ctx.client.validators()).find((v) => v.address === nodes[censor]!.validatorAddress)?.misses ?? 0);
  // Watched from an honest validator's geth: the censor's own geth shows blocks the pool replaces.
  const watched = censor === 0 ? 1 : 0;
  const w = new ChainWatcher(l2Client(ctx, watched), head > 2n ? head - 2n : 1n);
  const flag = join(nodes[censor]!.home, CENSOR_FLAG);
  const missesBefore = await missesOf();
  writeFileSync(flag, 'censor\n');
  try {
    const f = await force(ctx, w.client, round % FUNDED_USERS);
    log(`[censored ${round + 1}] ${nodes[censor]!.name} censors (attested head ${head}); entry ${f.index} at L1 time ${f.t0}`);
    const l = await landed(ctx, w, f, 180_000);
    rmSync(flag, { force: true });
    // The failover: the first block after a censor's block that another producer built.
    let gap: CensoredRound['gap'];
    for (let h = head; h <= l.l2Block; h++) {
      const [a, b] = [w.seen.get(h - 1n), w.seen.get(h)];
      if (a && b && a.miner === signer && b.miner !== signer) {
        const epoch = await ctx.client.epoch((await ctx.client.producerOf(h)).epochId);
        gap = { from: h - 1n, to: h, ms: b.at - a.at, respan: epoch.isRespan };
        break;
      }
    }
    if (!gap) ctx.odd.push(`censored round ${round + 1}: no handover from ${nodes[censor]!.name} to another producer seen between L2 blocks ${head} and ${l.l2Block}`);
    else if (!gap.respan) ctx.odd.push(`censored round ${round + 1}: the handover at L2 block ${gap.to} was not a re-span (the censor's epoch ended first)`);
    if (l.miner === nodes[censor]!.name) ctx.odd.push(`censored round ${round + 1}: the censor itself included entry ${f.index}`);
    if (w.dropped.length) ctx.odd.push(`censored round ${round + 1}: ${nodes[watched]!.name}'s geth replaced block(s) ${w.dropped.map((d) => d.number).join(', ')}`);
    const missesAfter = await until('the censor\'s miss counted', async () => ((await missesOf()) > missesBefore ? missesOf() : undefined), 30_000).catch(async () => missesOf());
    if (missesAfter <= missesBefore) ctx.odd.push(`censored round ${round + 1}: ${nodes[censor]!.name}'s misses stayed at ${missesAfter}`);
    log(`[censored ${round + 1}] entry ${f.index}: L2 block ${l.l2Block} by ${l.miner} after ${l.l2WallMs} ms (L2 time +${l.l2Secs} s), L1 batch ${l.batch.index} at +${l.batchSecs} s; handover ${gap ? `${gap.from} -> ${gap.to} in ${gap.ms} ms${gap.respan ? ' (re-span)' : ''}` : 'not seen'}; misses ${missesBefore} -> ${missesAfter}`);
    return { landed: l, censor: nodes[censor]!.name, watched: nodes[watched]!.name, gap, missesBefore, missesAfter };
  } finally {
    rmSync(flag, { force: true });
    await w.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(BYZANTINE_NODE)) throw new Error(`bench:forced: the test program ${BYZANTINE_NODE} is missing (run from the repository, after npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'seqpool-bench-forced-'));
  let net: Localnet | undefined;
  let completed = false;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (net) await stopLocalnetProcesses(net);
      await localnetDown(dir).catch(() => 0);
      if (process.env.BENCH_FORCED_KEEP || !completed) log(`kept ${dir} (${completed ? 'BENCH_FORCED_KEEP' : 'the run failed'})`);
      else rmSync(dir, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(130)));
  try {
    net = await localnetUp({
      dir,
      validators: 4,
      l1: true,
      basePort: 'auto',
      portSearchFrom: BASE,
      anvilPorts: { l1: BASE + 400, l2: BASE + 401 },
      onProgress: log,
      readyTimeoutMs: 120_000,
      dkgTimeoutMs: 240_000,
      logLevel: 'info',
      nodeOptions: () => ({ appProgram: BYZANTINE_NODE, appEnv: { BYZANTINE: JSON.stringify({ censorForced: 'when-flagged' }) } }),
    });
    const nodes = net.manifest.nodes;
    const cfg = readNodeConfig(nodes[0]!.home);
    const l1 = createPublicClient({ transport: http(cfg.l1!.rpcUrl, { retryCount: 0 }) }) as PublicClient;
    const l1Chain = defineChain({ id: cfg.l1!.chainId, name: 'l1', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [cfg.l1!.rpcUrl] } } });
    const client = new PoolClient(gatewayUrl(nodes[0]!));
    const inbox = cfg.l1!.batchInbox as Address;
    const validators = await until('the validator set', async () => client.validators(), 30_000);
    const ctx: Ctx = {
      net,
      client,
      l1,
      inbox,
      l2ChainId: cfg.l2!.chainId,
      fee: 0n,
      payer: createWalletClient({ account: privateKeyToAccount(LOCALNET_DEPLOYER_KEY), chain: l1Chain, transport: http(cfg.l1!.rpcUrl) }),
      batches: new L1Batches(l1, inbox),
      signers: nodes.map((n) => (validators.find((v) => v.address === n.validatorAddress)?.signer ?? '').toLowerCase()),
      odd: [],
    };
    const [fee, forceWindow, escapeDelay] = await Promise.all([readInbox<bigint>(ctx, 'forceFee'), readInbox<bigint>(ctx, 'forceWindow'), readInbox<bigint>(ctx, 'escapeDelay')]);
    ctx.fee = fee;
    await until('L2 blocks attested', async () => ((await client.currentEpoch()).l2Head >= 5n ? true : undefined), 120_000);
    await until('a first batch on L1', async () => ((await ctx.batches.refresh()).length > 0 ? true : undefined), 120_000);
    log(`forceWindow ${forceWindow} s, escapeDelay ${escapeDelay} s, forceFee ${fee} wei; ${N} honest entries, ${M} censored rounds`);

    const honest = await honestPhase(ctx);
    const rounds: CensoredRound[] = [];
    for (let r = 0; r < M; r++) rounds.push(await censoredRound(ctx, r));
    await ctx.batches.refresh();

    const trouble = loggedTrouble(nodes.map((n) => ({ name: n.name, home: n.home })), /BYZANTINE TEST NODE/);
    const md = forcedReport({ honest, rounds, batches: ctx.batches.records, forceWindow, escapeDelay, params: LOCALNET_POOL_PARAMS, odd: ctx.odd, trouble });
    log(md);
    for (const t of trouble) log(`logged ${t.count}x on ${t.nodes.join(',')}: ${t.msg}\n  e.g. ${t.sample}`);
    for (const o of ctx.odd) log(`odd: ${o}`);
    log(`wrote ${writeBenchSection('forced', md)}`);
    completed = true;
  } finally {
    await stop();
  }
}

await main();
