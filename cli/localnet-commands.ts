import type { Command } from 'commander';
import { buildAppState } from '../app/genesis.js';
import { generateNetwork } from '../cometbft-config/network.js';
import { createLogger } from '../common/log.js';
import { chainsStatus, localnetDown, localnetStatus, localnetUp } from '../localnet/localnet.js';
import { registerJoinCommand } from './join-command.js';
import { stopPid } from '../localnet/processes.js';
import { tryNodeStatus } from '../localnet/rpc.js';
import { poolLine } from '../localnet/pool.js';
import { action, intInRange } from './util.js';


const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerLocalnetCommands(program: Command): void {
  const localnet = program.command('localnet').description('a local network of validators on loopback, for development and tests');

  localnet
    .command('up')
    .description('generate a network (or reuse the one in --dir), start L1 and L2 anvils, contracts, every cometbft, seqpool node and MPC sidecar; wait for blocks and the genesis DKG')
    .option('--validators <n>', 'number of validators', intInRange('--validators', 1, 64), 4)
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .option('--detach', 'leave the processes running in the background and return', false)
    .option('--reset', 'delete the network in --dir and generate a new one', false)
    .option('--base-port <port>', 'first port of node0 (default: search for a free range)', intInRange('--base-port', 1024, 65000))
    .option('--no-l1', 'no L1/L2 anvils, contracts or locks (validators are not backed by L1 stake)')
    .option('--l1-port <port>', 'L1 anvil port for a new network (default: first free from 8545)', intInRange('--l1-port', 1024, 65535))
    .option('--l2-port <port>', 'L2 anvil port for a new network (default: first free after L1)', intInRange('--l2-port', 1024, 65535))
    .action(
      action(async (opts: { validators: number; dir: string; detach: boolean; reset: boolean; basePort?: number; l1: boolean; l1Port?: number; l2Port?: number }) => {
        const net = await localnetUp({ ...opts, anvilPorts: { l1: opts.l1Port, l2: opts.l2Port }, basePort: opts.basePort ?? 'auto', onProgress: say });
        say('');
        say(`localnet ${net.manifest.chainId} is up: ${net.manifest.nodes.length} validators`);
        for (const n of net.manifest.nodes) say(`  ${n.name}  RPC ${n.rpcUrl}  home ${n.home}`);
        for (const c of net.record.chains ?? []) say(`  ${c.name.toUpperCase()}     RPC ${c.url}  chain id ${c.chainId}  log ${c.logFile}`);
        if (net.record.chains) say(`  contracts: ${opts.dir}/deployment.json; L1 vs pool: seqpool l1 status --dir ${opts.dir}; add a validator: seqpool localnet join --dir ${opts.dir}`);
        for (const n of net.record.nodes) if (n.gatewayUrl) say(`  ${n.name}  REST gateway ${n.gatewayUrl} (try ${n.gatewayUrl}/epochs/current)`);
        say(`  details: ${opts.dir}/localnet.json; logs: HOME/cometbft.log, HOME/seqpool/node.log, HOME/sidecar/sidecar.log`);
        say(`  try: curl -s '${net.manifest.nodes[0]!.rpcUrl}/abci_query?path="/status"'`);
        if (opts.detach) {
          say(`detached; stop it with: seqpool localnet down --dir ${opts.dir}`);
          return;
        }
        say('press Ctrl-C to stop everything');
        const first = net.manifest.nodes[0]!;
        const ticker = setInterval(() => {
          void tryNodeStatus(first.rpcUrl).then(async (s) => {
            if (!s) return;
            const pool = net.record.chains ? `  ${await poolLine(first.rpcUrl)}` : '';
            say(`height ${s.height}  app hash ${s.appHash.slice(0, 16)}…  peers ${s.peers}${pool}`);
          });
        }, 5000);
        const exited = net.processes.flatMap((p) => [p.node, p.cometbft, ...(p.sidecar ? [p.sidecar] : [])]).map((c) => new Promise<string>((r) => c.once('exit', (code) => r(`process ${c.pid} exited with ${code}`))));
        const reason = await Promise.race([
          new Promise<string>((r) => process.once('SIGINT', () => r('Ctrl-C'))),
          new Promise<string>((r) => process.once('SIGTERM', () => r('SIGTERM'))),
          ...exited,
        ]);
        clearInterval(ticker);
        say(`${reason}: stopping the localnet...`);
        await Promise.all(net.processes.map((p) => stopPid(p.sidecar?.pid)));
        await Promise.all(net.processes.map((p) => stopPid(p.cometbft.pid)));
        await Promise.all(net.processes.map((p) => stopPid(p.node.pid)));
        await localnetDown(opts.dir);
        // localnetDown also stops the anvils recorded in localnet.json.
        say('stopped');
      }),
    );

  registerJoinCommand(localnet, say);

  localnet
    .command('down')
    .description('stop every process of the localnet in --dir (state is kept; `up` resumes it)')
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .action(
      action(async (opts: { dir: string }) => {
        say(`stopped ${await localnetDown(opts.dir)} validators`);
      }),
    );

  localnet
    .command('status')
    .description('height, app hash and peers of every node of the localnet in --dir')
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .option('--json', 'machine-readable output', false)
    .action(
      action(async (opts: { dir: string; json: boolean }) => {
        const rows = await localnetStatus(opts.dir);
        const chains = await chainsStatus(opts.dir);
        if (opts.json) {
          say(
            JSON.stringify(
              { nodes: rows.map((r) => ({ ...r, status: r.status && { ...r.status, height: r.status.height.toString() } })), chains: chains.map((c) => ({ ...c, head: c.head?.toString() })) },
              null,
              2,
            ),
          );
          return;
        }
        for (const c of chains) say(c.head !== undefined ? `${c.name.toUpperCase()}     chain ${c.chainId}  head ${c.head}  ${c.url}` : `${c.name.toUpperCase()}     down (no answer at ${c.url})`);
        if (chains.length > 0 && rows[0]?.status) say(await poolLine(rows[0].rpcUrl));
        for (const r of rows) {
          say(r.status ? `${r.name}  height ${r.status.height}  app hash ${r.status.appHash}  peers ${r.status.peers}${r.status.catchingUp ? '  (catching up)' : ''}` : `${r.name}  down (no answer at ${r.rpcUrl})`);
        }
      }),
    );
}

/** `seqpool network generate`: homes for a real multi-host network (one validator per machine). */
export function registerNetworkCommands(program: Command): void {
  program
    .command('network')
    .description('generate CometBFT homes for a network')
    .command('generate')
    .description('write one home per validator (keys, genesis.json, config.toml) to copy to each machine')
    .requiredOption('--dir <dir>', 'output directory (homes go to DIR/node0..)')
    .option('--validators <n>', 'number of validators (default: one per --hosts entry, else 4)', intInRange('--validators', 1, 64))
    .option('--hosts <host:port,...>', 'p2p address of each validator, comma-separated (multi-host mode); default: loopback ports')
    .option('--chain-id <id>', 'chain id', 'seqpool-localnet')
    .option('--overwrite', 'replace a network previously generated in --dir', false)
    .action(
      action(async (opts: { dir: string; validators?: number; hosts?: string; chainId: string; overwrite: boolean }) => {
        const hosts = opts.hosts?.split(',').map((h) => h.trim()).filter(Boolean);
        const validators = opts.validators ?? hosts?.length ?? 4;
        if (hosts && hosts.length !== validators) throw new Error(`--hosts lists ${hosts.length} addresses for ${validators} validators; give one per validator`);
        const manifest = await generateNetwork({
          dir: opts.dir,
          validators,
          hosts,
          chainId: opts.chainId,
          overwrite: opts.overwrite,
          appState: (vals) => buildAppState(vals),
          logger: createLogger('cometbft-config', { level: 'warn' }),
        });
        say(`generated ${manifest.nodes.length} homes for chain ${manifest.chainId} in ${opts.dir}:`);
        for (const n of manifest.nodes) say(`  ${n.name}  p2p ${n.p2pAddress}  validator ${n.validatorAddress}  app at ${n.abciAddress}`);
        say('on each machine: `seqpool node start --home HOME`, then `cometbft start --home HOME`');
      }),
    );
}
