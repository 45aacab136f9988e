// Types of byzantine-transport.mjs for the TypeScript tests that use it.
import type { IdentityKey } from '../../mpc/identity.js';
import type { Transport } from '../../sidecar/transport.js';

export type ByzantineMode = 'bad-shares' | 'bad-signature-shares';
export declare const BYZANTINE_MODES: readonly ByzantineMode[];
export declare function tamper(mode: ByzantineMode, identity: IdentityKey, envelope: Uint8Array): Uint8Array;
export declare function byzantineTransport(mode: ByzantineMode, identity: IdentityKey): (transport: Transport) => Transport;
