// The dedicated sidecar channel (DESIGN decision 7). See channel.ts.
export { MpcChannel, MPC_PROTOCOL, type ChannelPeer, type DropReason, type MessageHandler, type MpcChannelOptions, type MpcChannelStats } from './channel.js';
export { Allowlist, admitPeers, type AdmittedPeer } from './admission.js';
export { PeerRateLimiter, type RateLimit } from './rate-limit.js';
export { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from './framing.js';
export { loadOrCreatePeerKey } from './peer-key.js';
