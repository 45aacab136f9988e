// Committee validation and combination of qualified dealings, shared by dkg/reshare/refresh.
import { MpcError } from '../errors.js';
import { EcPoint, ecc } from '../ecc.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Member, PublicKeyPackage } from './types.js';
import { evalCommitmentsAt } from './vss.js';
import { equalBytes } from '../envelope.js';
import type { IdentityKey } from '../identity.js';

/** Sorted copy of a committee; rejects duplicate indices/identities and bad keys. */
export function validateCommittee(members: readonly Member[], what = 'committee'): Member[] {
  if (members.length === 0 || members.length > 65535) throw new MpcError('INVALID_ARGUMENT', `${what} size ${members.length}`);
  const idx = new Set<number>();
  const ids = new Set<string>();
  for (const m of members) {
    if (!Number.isSafeInteger(m.index) || m.index < 1 || m.index > 65535) throw new MpcError('INVALID_ARGUMENT', `${what}: bad index ${m.index}`);
    if (m.identity.length !== 33) throw new MpcError('INVALID_ARGUMENT', `${what}: identity keys are 33 bytes`);
    idx.add(m.index);
    ids.add(bytesToHex(m.identity));
  }
  if (idx.size !== members.length || ids.size !== members.length) throw new MpcError('INVALID_ARGUMENT', `${what}: duplicate member`);
  return [...members].sort((a, b) => a.index - b.index);
}

export const indexOf = (members: readonly Member[], identity: IdentityKey): number | undefined =>
  members.find((m) => equalBytes(m.identity, identity.publicKey))?.index;

/** Sum of weighted commitment vectors: gc[k] = sum_i w_i C_ik (one combine per k; plain sums when w_i = 1). */
export function combineCommitments(commitments: ReadonlyMap<number, EcPoint[]>, count: number, weight?: (dealer: number) => bigint): EcPoint[] {
  const dealers = [...commitments.keys()];
  const ws = dealers.map((d) => (weight ? weight(d) : 1n));
  return Array.from({ length: count }, (_, k) => {
    const col = dealers.map((d) => commitments.get(d)![k]!);
    return weight ? ecc.msm(col, ws) : ecc.sum(col);
  });
}

/** The public package of a sharing whose group polynomial commitments are `gc`. */
export function buildPackage(keyId: string, epoch: number, threshold: number, members: readonly Member[], gc: EcPoint[], base?: (index: number) => EcPoint): PublicKeyPackage {
  const verifyingShares: Record<number, Uint8Array> = {};
  for (const m of members) {
    let y = evalCommitmentsAt(gc, m.index);
    if (base) y = ecc.sum([y, base(m.index)]);
    verifyingShares[m.index] = y.toBytes(true);
  }
  return { keyId, epoch, threshold, members: [...members], groupKey: gc[0]!.toBytes(true), commitments: gc.map((c) => c.toBytes(true)), verifyingShares };
}
