#!/usr/bin/env node
// A byzantine validator's MPC sidecar, for the integration tests only: the production sidecar
// (dist/sidecar/sidecar.js, started as `seqpool sidecar start` starts it) whose channel is
// wrapped to tamper with what it sends, as the BYZANTINE environment variable (JSON) asks:
//   {"sidecar": "bad-shares" | "bad-signature-shares"}   (byzantine-transport.mjs)
// The localnet runs it through LaunchOptions.sidecarProgram; no flag or environment variable of the
// shipped `seqpool` binary can make a sidecar misbehave.
import { parseArgs } from 'node:util';
import { startSidecar } from '../../dist/sidecar/sidecar.js';
import { IdentityKey } from '../../dist/mpc/identity.js';
import { loadValidatorKey } from '../../dist/cometbft-config/keys.js';
import { createLogger } from '../../dist/common/log.js';
import { byzantineTransport } from './byzantine-transport.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { home: { type: 'string' } } });
if (positionals.join(' ') !== 'sidecar start' || !values.home) throw new Error('usage: byzantine-sidecar.mjs sidecar start --home HOME');
const mode = JSON.parse(process.env.BYZANTINE ?? '{}').sidecar;
const log = createLogger('seqpool-sidecar');
log.warn({ byzantine: mode }, 'BYZANTINE TEST SIDECAR: this process deliberately misbehaves (test/entry/byzantine-sidecar.mjs)');
const identity = IdentityKey.fromSecretKey(loadValidatorKey(values.home).privKey);
const running = await startSidecar({ home: values.home, logger: log, wrapTransport: byzantineTransport(mode, identity) });
const stop = () => void running.stop().finally(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
