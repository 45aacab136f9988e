// Judging one MpcPublic envelope for the open session, and applying it: the phase rules, the
// transcript bounds of decision 28 and the engine's own verdict. The verdict comes from the memoised
// engine of the transcript so far, asked without advancing it (VssSession.check), so the work per
// tx does not grow with the transcript; a memo miss replays the stored transcript once.
import { toHex } from '../common/bytes.js';
import { equalBytes, open } from '../mpc/envelope.js';
import { MpcError } from '../mpc/errors.js';
import type { BodyMsg } from '../proto/mpc.js';
import type { MpcKey, MpcSession } from '../proto/seqpool.js';
import { appendEntry, peekObserver, returnObserver, takeObserver, type ObserverEngine } from './mpc-transcript.js';

export type Judgement = { ok: true; payload: string } | { ok: false; reason: string };

const reasonOf = (e: unknown): string => (e instanceof MpcError ? e.message : `envelope rejected: ${(e as Error).message}`);

/**
 * Judges one public envelope for the open session `s` at `height` (phase rules; undefined skips
 * them), without changing anything but the memo. `sender` must be the envelope's sender.
 */
export function judgeEnvelope(s: MpcSession, key: MpcKey | undefined, bytes: Uint8Array, sender: Uint8Array, height: bigint | undefined): Judgement {
  let opened;
  try {
    opened = open(bytes);
  } catch (e) {
    return { ok: false, reason: `envelope rejected: ${(e as Error).message}` };
  }
  const b = opened.body;
  if (!equalBytes(b.session, s.id)) return { ok: false, reason: 'envelope is for another session' };
  if (!equalBytes(b.sender, sender)) return { ok: false, reason: 'envelope sender is not the tx signer' };
  const dealer = s.dealers.find((m) => equalBytes(m.identity, sender));
  const receiver = s.receivers.find((m) => equalBytes(m.identity, sender));
  if (!dealer && !receiver) return { ok: false, reason: 'sender is neither a dealer nor a receiver of the session' };
  const deadlines: Record<string, bigint> = { dealing: s.dealDeadline, complaint: s.complaintDeadline, justification: s.finalHeight, ready: s.finalHeight };
  const deadline = deadlines[b.payload];
  if (deadline === undefined) return { ok: false, reason: `payload ${b.payload} does not belong on chain` };
  const what = b.payload === 'ready' ? 'Ready' : b.payload;
  if (height !== undefined && height > deadline) return { ok: false, reason: `${what} after height ${deadline} (now ${height})` };
  const engine = peekObserver(s, key);
  // Implied by the per-kind caps and counts below (the bound is their sum), so an honest message
  // never meets it; kept as the invariant that holds whatever those rules miss.
  const bound = engine.limits.session;
  if (s.transcriptBytes + bytes.length > bound)
    return {
      ok: false,
      reason: `session ${toHex(s.id).slice(0, 16)} transcript would reach ${s.transcriptBytes + bytes.length} bytes, over its bound of ${bound} (${s.dealers.length} dealers, ${s.receivers.length} receivers, threshold ${s.threshold})`,
    };
  if (b.payload === 'ready') return judgeReady(s, engine, b, receiver?.index, bytes.length);
  try {
    engine.check(bytes);
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
  return { ok: true, payload: b.payload };
}

/**
 * Ready is the app's, not the engine's: one per receiver per session (decision 28), for its own
 * index, naming only dealers with a dealing on chain, in increasing order. An honest sidecar sends
 * one: every dealer's dealing before the deal deadline, the ones that dealt after it, when no
 * dealing can land any more, so it never has anything to add.
 */
function judgeReady(s: MpcSession, engine: ObserverEngine, b: BodyMsg & { payload: string }, receiver: number | undefined, size: number): Judgement {
  if (!('ready' in b)) return { ok: false, reason: 'malformed Ready' };
  if (receiver === undefined) return { ok: false, reason: 'Ready from a sender that is not a receiver' };
  if (b.ready.recipient !== receiver) return { ok: false, reason: `Ready for receiver ${b.ready.recipient} sent by receiver ${receiver}` };
  if (s.ready.includes(receiver)) return { ok: false, reason: `receiver ${receiver} already sent its Ready (one per receiver per session)` };
  if (size > engine.limits.ready) return { ok: false, reason: `Ready of ${size} bytes exceeds this session's cap of ${engine.limits.ready}` };
  let prev = 0;
  for (const d of b.ready.dealers) {
    if (d <= prev) return { ok: false, reason: 'Ready dealers must be strictly increasing' };
    if (!engine.hasDealt(d)) return { ok: false, reason: `Ready names dealer ${d}, which has no dealing on chain` };
    prev = d;
  }
  return { ok: true, payload: 'ready' };
}

/**
 * Appends an envelope judgeEnvelope accepted, moving the memoised engine forward with it (a Ready
 * leaves the engine as it is, under the longer transcript's key). Returns a reason if the engine
 * refuses it after all, which judging first makes unreachable; then nothing changed.
 */
export function applyEnvelope(s: MpcSession, key: MpcKey | undefined, bytes: Uint8Array, payload: string): string | undefined {
  const engine = takeObserver(s, key);
  if (payload !== 'ready') {
    try {
      engine.receive(bytes);
    } catch (e) {
      return reasonOf(e); // the engine is dropped: a miss replays the stored transcript
    }
  }
  appendEntry(s, bytes);
  returnObserver(s, key, engine);
  return undefined;
}
