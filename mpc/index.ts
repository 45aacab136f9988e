// Public entry points of the MPC library: pure and transport-agnostic (messages in, messages out), no
// I/O. What keeps shares and nonces on disk and what carries messages between sidecars are the
// sidecar's (sidecar/store/, sidecar/net/).
export { thresholdFor } from './threshold.js';
export { MpcError, type MpcErrorCode } from './errors.js';
export { IdentityKey, verifyIdentitySignature } from './identity.js';
export { open, openEnvelope, seal, sessionId, ENVELOPE_DOMAIN, type Opened } from './envelope.js';
export { frost, identifierOf } from './suite.js';
export { SecretShare, type KeyShare, type Member, type PublicKeyPackage } from './keys/types.js';
export { DkgEngine, dkgSessionId, type DkgConfig, type KeygenResult } from './keys/dkg.js';
export { ReshareEngine, reshareSessionId, type ReshareConfig } from './keys/reshare.js';
export { RefreshEngine, refreshSessionId, type RefreshConfig } from './keys/refresh.js';
export { judgeShareEvidence, type Fault, type Outbound } from './keys/vss-session.js';
export {
  aggregate,
  bindingFactorInputs,
  bindingFactors,
  challenge,
  commitNonces,
  groupCommitment,
  signShare,
  verifySignature,
  verifySignatureShare,
  type SigningCommitment,
  type SigningNonces,
} from './signing/frost.js';
export { SigningCoordinator, isProvenCheater, type CheaterEvidence, type CoordinatorConfig, type SigningOutbound } from './signing/coordinator.js';
export { SigningParticipant, type ParticipantConfig, type NonceStore, type NonceRecord } from './signing/participant.js';
export { signingSessionId } from './signing/session.js';
export { L1_DOMAIN, encodeL1GroupKey, encodeL1Signature, isL1CompatibleGroupKey, l1Digest, verifyL1, type L1DigestInput } from './l1.js';
