import type { Command } from 'commander';
import { buildAppState } from '../app/genesis-state.js';
import { generateNetwork } from '../cometbft-config/network.js';
import { createLogger } from '../common/log.js';
import { chainsStatus, localnetDown, localnetStatus, localnetUp, readLocalnet } from '../localnet/localnet.js';
import { processStates } from '../localnet/drill.js';
import { registerJoinCommand } from './join-command.js';
import { stopPid } from '../localnet/processes.js';
import { awaitGroupKey, poolLine, validatorNames } from '../localnet/pool.js';
import { generateHostsDevnet } from '../localnet/hosts.js';
import { LocalnetSupervisor } from '../localnet/supervisor.js';
import { registerDrillCommands } from './localnet-drill-commands.js';
import { action, intInRange } from './util.js';


const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerLocalnetCommands(program: Command): void {
  const localnet = program.command('localnet').description('a local network of validators on loopback, for development and tests');

  localnet
    .command('up')
    .description('generate a network (or reuse the one in --dir), start the L1 anvil, contracts, and for every validator its L2 geth, cometbft, seqpool node and MPC sidecar; wait for blocks and the genesis DKG')
    .option('--validators <n>', 'number of validators', intInRange('--validators', 1, 64), 4)
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .option('--detach', 'leave the processes running in the background and return', false)
    .option('--reset', 'delete the network in --dir and generate a new one', false)
    .option('--base-port <port>', 'first port of node0 (default: search for a free range)', intInRange('--base-port', 1024, 65000))
    .option('--no-l1', 'no L1 anvil, L2 geths, contracts or locks (validators are not backed by L1 stake)')
    .option('--l1-port <port>', 'L1 anvil port for a new network (default: first free from 8545)', intInRange('--l1-port', 1024, 65535))
    .option('--l2-port <port>', 'port of the short-lived anvil that constructs SequencerSet for a new L2 genesis (default: first free after L1)', intInRange('--l2-port', 1024, 65535))
    .action(
      action(async (opts: { validators: number; dir: string; detach: boolean; reset: boolean; basePort?: number; l1: boolean; l1Port?: number; l2Port?: number }) => {
        const net = await localnetUp({ ...opts, anvilPorts: { l1: opts.l1Port, l2: opts.l2Port }, basePort: opts.basePort ?? 'auto', onProgress: say });
        say('');
        say(`localnet ${net.manifest.chainId} is up: ${net.manifest.nodes.length} validators`);
        for (const n of net.record.nodes) say(`  ${n.name}  RPC ${n.rpcUrl}${n.l2RpcUrl ? `  L2 RPC ${n.l2RpcUrl}` : ''}  home ${n.home}`);
        for (const c of net.record.chains ?? []) say(`  ${c.name.toUpperCase()}     RPC ${c.url}  chain id ${c.chainId}  log ${c.logFile}`);
        if (net.record.chains) say(`  contracts: ${opts.dir}/deployment.json; L1 vs pool: seqpool l1 status --dir ${opts.dir}; add a validator: seqpool localnet join --dir ${opts.dir}`);
        for (const n of net.record.nodes) if (n.gatewayUrl) say(`  ${n.name}  REST gateway ${n.gatewayUrl} (try ${n.gatewayUrl}/epochs/current)`);
        say(`  details: ${opts.dir}/localnet.json; logs: HOME/cometbft.log, HOME/seqpool/node.log, HOME/sidecar/sidecar.log (seqpool localnet logs NODE [--process P] [--follow])`);
        say(`  try: curl -s '${net.manifest.nodes[0]!.rpcUrl}/abci_query?path="/status"'`);
        if (opts.detach) {
          say(`detached; stop it with: seqpool localnet down --dir ${opts.dir}`);
          return;
        }
        say(`press Ctrl-C to stop everything. Failure drills from another shell: seqpool localnet kill|restart|logs NODE --dir ${opts.dir}`);
        // A death is reported and the rest keep running (the supervisor); only a signal stops it all.
        const sup = new LocalnetSupervisor(opts.dir, { say, children: net.processes.flatMap((p) => [p.node, p.cometbft, ...(p.sidecar ? [p.sidecar] : []), ...(p.geth ? [p.geth] : [])]) }).start();
        const ticker = setInterval(() => void sup.statusLine().then(say), 5000);
        const reason = await new Promise<string>((r) => {
          // SIGHUP: the terminal (or the tmux session) went away; stop cleanly rather than orphan everything.
          for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => r(sig === 'SIGINT' ? 'Ctrl-C' : sig));
        });
        clearInterval(ticker);
        sup.stop();
        say(`${reason}: stopping the localnet...`);
        // What localnet.json records, which includes processes `localnet restart` started from another
        // shell (not children of this one), and the anvils; then any child of ours it did not name.
        await localnetDown(opts.dir);
        const own = net.processes.flatMap((p) => [p.sidecar, p.cometbft, p.node, p.geth]).filter((c) => c && c.exitCode === null && c.signalCode === null);
        await Promise.all(own.map((c) => stopPid(c!.pid)));
        say('stopped');
      }),
    );

  registerJoinCommand(localnet, say);
  registerDrillCommands(localnet, say);

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
        const answering = rows.find((r) => r.status);
        if (chains.length > 0 && answering) say(await poolLine(answering.rpcUrl, validatorNames(opts.dir)));
        const rec = readLocalnet(opts.dir);
        for (const r of rows) {
          const node = rec.nodes.find((n) => n.name === r.name);
          const dead = node ? processStates(node).filter((s) => !s.alive).map((s) => s.process) : [];
          const procs = dead.length > 0 ? `  not running: ${dead.join(', ')} (seqpool localnet restart ${r.name} --dir ${opts.dir})` : '';
          say((r.status ? `${r.name}  height ${r.status.height}  app hash ${r.status.appHash}  peers ${r.status.peers}${r.status.catchingUp ? '  (catching up)' : ''}` : `${r.name}  down (no answer at ${r.rpcUrl})`) + procs);
        }
      }),
    );
}

/** `seqpool network generate`: homes for a real multi-host network (one validator per machine). */
export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('generate CometBFT homes for a network');
  network
    .command('generate')
    .description('write one home per validator (keys, genesis.json, config.toml) to copy to each machine; with --l1-rpc/--l2-rpc also deploy the pool on devnet chains and write node.json and sidecar.json (docs/operators.md "Across hosts")')
    .requiredOption('--dir <dir>', 'output directory (homes go to DIR/node0..)')
    .option('--validators <n>', 'number of validators (default: one per --hosts entry, else 4)', intInRange('--validators', 1, 64))
    .option('--hosts <host:port,...>', 'p2p address of each validator, comma-separated (multi-host mode); default: loopback ports')
    .option('--rpc-listen-host <host>', 'multi-host: where CometBFT RPC and Prometheus (and with --l1-rpc the gateway and metrics) listen on each machine, e.g. 0.0.0.0 (default 127.0.0.1)')
    .option('--l1-rpc <url>', 'multi-host: a fresh L1 devnet (anvil) every machine reaches: deploy the pool\'s contracts, lock every validator\'s stake, write HOME/seqpool/node.json and HOME/sidecar/sidecar.json')
    .option('--l2-rpc <url>', 'with --l1-rpc: the fresh L2 devnet every machine reaches (SequencerSet)')
    .option('--chain-id <id>', 'chain id', 'seqpool-localnet')
    .option('--overwrite', 'replace a network previously generated in --dir', false)
    .action(
      action(async (opts: { dir: string; validators?: number; hosts?: string; rpcListenHost?: string; l1Rpc?: string; l2Rpc?: string; chainId: string; overwrite: boolean }) => {
        const hosts = opts.hosts?.split(',').map((h) => h.trim()).filter(Boolean);
        const validators = opts.validators ?? hosts?.length ?? 4;
        if (hosts && hosts.length !== validators) throw new Error(`--hosts lists ${hosts.length} addresses for ${validators} validators; give one per validator`);
        if ((opts.l1Rpc === undefined) !== (opts.l2Rpc === undefined)) throw new Error('--l1-rpc and --l2-rpc go together: the pool needs both chains');
        if (opts.l1Rpc && !hosts) throw new Error('--l1-rpc is for a network across hosts (--hosts); on one machine run `seqpool localnet up`');
        if (opts.rpcListenHost !== undefined && !/^[A-Za-z0-9.-]+$/.test(opts.rpcListenHost)) throw new Error(`--rpc-listen-host ${opts.rpcListenHost}: give an IPv4 address or a host name (0.0.0.0 for every interface)`);
        const manifest =
          hosts && opts.l1Rpc && opts.l2Rpc
            ? (await generateHostsDevnet({ dir: opts.dir, hosts, chainId: opts.chainId, overwrite: opts.overwrite, rpcListenHost: opts.rpcListenHost, l1Rpc: opts.l1Rpc, l2Rpc: opts.l2Rpc, say })).manifest
            : await generateNetwork({
                dir: opts.dir,
                validators,
                hosts,
                ...(opts.rpcListenHost !== undefined && { rpcListenHost: opts.rpcListenHost }),
                chainId: opts.chainId,
                overwrite: opts.overwrite,
                appState: (vals) => buildAppState(vals),
                logger: createLogger('cometbft-config', { level: 'warn' }),
              });
        say(`generated ${manifest.nodes.length} homes for chain ${manifest.chainId} in ${opts.dir}:`);
        for (const n of manifest.nodes) say(`  ${n.name}  p2p ${n.p2pAddress}  validator ${n.validatorAddress}  app at ${n.abciAddress}`);
        if (!opts.l1Rpc) {
          say('on each machine: `seqpool node start --home HOME`, then `cometbft start --home HOME`');
          return;
        }
        say('wrote HOME/seqpool/node.json and HOME/sidecar/sidecar.json for every node, and DIR/deployment.json');
        say('on each machine: `seqpool node start --home HOME`, then `cometbft start --home HOME`, then `seqpool sidecar start --home HOME`');
        say(`once they run: \`seqpool network group-key --dir ${opts.dir} --rpc http://NODE:RPC_PORT\` hands the genesis DKG's key to the contracts`);
      }),
    );

  network
    .command('group-key')
    .description('wait for the genesis DKG of a network generated with --l1-rpc and hand its group key to the contracts (the devnet deployer\'s one-time initializeGroupKey)')
    .requiredOption('--dir <dir>', 'the directory `network generate` wrote (its deployment.json)')
    .requiredOption('--rpc <url>', 'CometBFT RPC of any validator')
    .option('--timeout <s>', 'how long to wait for the DKG, seconds', intInRange('--timeout', 1, 3600), 120)
    .action(
      action(async (opts: { dir: string; rpc: string; timeout: number }) => {
        await awaitGroupKey(opts.dir, opts.rpc, { timeoutMs: opts.timeout * 1000, say });
      }),
    );
}
