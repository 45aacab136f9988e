// Result codes of CheckTx, FinalizeBlock tx results and queries (docs/queries.md). Each failure has its
// own code so that a client can tell what to fix without parsing the log. Codes are part of the public
// API: the app answers with them, and the bridge, the sidecar and the clients act on them.
export const TxCode = {
  OK: 0,
  INTERNAL: 1,
  MALFORMED: 2, // not a Tx / TxBody encoding
  BAD_SIGNATURE: 3, // missing, malformed or wrong signature
  WRONG_CHAIN: 4, // chain_id of another chain
  UNKNOWN_SIGNER: 5, // signer is not a sequencer of this pool
  BAD_NONCE: 6, // replayed or out of order
  UNKNOWN_MESSAGE: 7, // body carries no message this app knows
  INVALID_MESSAGE: 8, // message content rejected
  TOO_LARGE: 9, // over params.max_tx_bytes
  RESERVED: 10, // bytes reserved for the proposer's injected vote extensions
} as const;
export type TxCode = (typeof TxCode)[keyof typeof TxCode];

export const QueryCode = {
  OK: 0,
  INTERNAL: 1,
  UNKNOWN_PATH: 20,
  BAD_REQUEST: 21,
  NOT_FOUND: 22,
  HEIGHT_UNAVAILABLE: 23,
} as const;

/** The codespace CometBFT shows next to our codes. */
export const CODESPACE = 'seqpool';
