// Sign requests as the pool's queries answer them (/sign/...): the typed views, their declared shapes
// (parser and JSON Schema, shape.ts) and the app's renderer, side by side. What a request's payload
// means is protocol/signed-payloads.ts.
import type { SignRequest } from '../../proto/seqpool.js';
import { HEX0X, hex0x, listOf, object, oneOf, text, textOrNull, u64, u64Or0, type EnumSpec, type ViewOf } from './shape.js';

export type SignStatus = 'pending' | 'signed' | 'expired';
const SIGN_STATUS: EnumSpec<SignStatus> = { names: ['pending', 'signed', 'expired'], protoPrefix: 'sign_status_' };

export const SIGN_REQUEST = object(
  'sign request',
  {
    id: u64,
    purpose: text(),
    chainId: u64,
    verifier: text(HEX0X),
    payload: text(HEX0X),
    digest: text(HEX0X),
    status: oneOf(SIGN_STATUS),
    signature: textOrNull(HEX0X),
    createdHeight: u64,
    createdTime: u64Or0,
    deadlineTime: u64Or0,
    batchIndex: u64Or0,
    epochId: u64Or0,
    signedHeight: u64Or0,
  },
  { name: 'SignRequest' },
);
export type SignRequestView = ViewOf<typeof SIGN_REQUEST>;
export const parseSignRequest = (v: unknown): SignRequestView => SIGN_REQUEST.parse(v);

export const PENDING_SIGN_REQUESTS = object('pending sign requests', { requests: listOf(SIGN_REQUEST) }, { name: 'PendingSignRequests' });
export const parsePendingSignRequests = (v: unknown): SignRequestView[] => PENDING_SIGN_REQUESTS.parse(v).requests;

export const RECENT_SIGN_REQUESTS = object('recent sign requests', { nextId: u64, requests: listOf(SIGN_REQUEST) }, { name: 'RecentSignRequests' });
/** The last sign requests, in id order. */
export type RecentSignRequests = ViewOf<typeof RECENT_SIGN_REQUESTS>;
export const parseRecentSignRequests = (v: unknown): RecentSignRequests => RECENT_SIGN_REQUESTS.parse(v);

export function renderSignRequest(r: SignRequest): Record<string, unknown> {
  return {
    id: r.id.toString(),
    purpose: r.purpose,
    chainId: r.chainId.toString(),
    verifier: hex0x(r.verifier),
    payload: hex0x(r.payload),
    digest: hex0x(r.digest),
    status: SIGN_STATUS.names[r.status] ?? 'unknown',
    signature: r.signature.length ? hex0x(r.signature) : null,
    createdHeight: r.createdHeight.toString(),
    createdTime: r.createdTime.toString(),
    deadlineTime: r.deadlineTime.toString(),
    batchIndex: r.batchIndex.toString(),
    epochId: r.epochId.toString(),
    signedHeight: r.signedHeight.toString(),
  };
}
