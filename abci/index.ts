// Public API of the ABCI socket server: what a node needs to serve its state machine to CometBFT.
export type { AbciApplication, DeepPartial } from './application.js';
export { AbciServer, type AbciServerOptions } from './server.js';
export { parseAddress, formatAddress, type AbciAddress } from './address.js';
export { FrameDecoder, FrameError, encodeFrame, encodeUvarint, DEFAULT_MAX_FRAME_SIZE, type FrameDecoderOptions, type FrameErrorCode } from './framing.js';
export { SerialQueue } from './queue.js';
export { dispatch, requestKind, REQUEST_KINDS, type RequestKind, type Outcome } from './dispatch.js';
