// Types of vault-wire.mjs for the TypeScript side (test/sidecar/process-vault.ts).
export declare function encode(v: unknown): unknown;
export declare function decode(v: unknown): unknown;
