// The `seqpool` command. Every command and option explains itself under --help; failures print one
// line saying what went wrong and what to do, and exit non-zero.
import { Command } from 'commander';
import { registerLocalnetCommands, registerNetworkCommands } from './localnet-commands.js';
import { registerNodeCommands } from './node-commands.js';
import { registerQueryCommands } from './query-commands.js';
import { registerL1Commands } from './l1-commands.js';
import { registerSidecarCommands } from './sidecar-commands.js';
import { registerL2Commands } from './l2-commands.js';

// A closed stdout (the reader of a pipe went away, e.g. `| tee` killed by the same Ctrl-C) must not
// crash a command that is still stopping processes: progress lines are best-effort.
process.stdout.on('error', () => undefined);

const program = new Command()
  .name('seqpool')
  .description('seqpool: the consensus layer of a decentralized sequencer pool (TypeScript ABCI app behind CometBFT v0.38).')
  .showHelpAfterError('(run with --help for usage)')
  .version('0.1.0');

registerNodeCommands(program);
registerLocalnetCommands(program);
registerNetworkCommands(program);
registerQueryCommands(program);
registerL1Commands(program);
registerSidecarCommands(program);
registerL2Commands(program);

await program.parseAsync(process.argv);
