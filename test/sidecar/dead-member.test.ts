// A key member whose sidecar died must not cost every later request a round timeout, nor hold the
// requests it is rank-0 coordinator of for RANK_STEP_BLOCKS: once it missed a round it is suspected,
// picked as a signer only when too few others remain, and skipped when ranking coordinators.
// Position arithmetic (n = 4, t = 3, members in index order): request id A has its rank-0
// coordinator at position c = (A - 1) mod 4 and, rotated by A mod 4, signers at c+1, c+2, c+3.
import { bytesToHex } from '@noble/hashes/utils.js';
import { RANK_STEP_BLOCKS } from '../../sidecar/signing.js';
import { ABSENT_COMMITS } from '../../sidecar/suspects.js';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress } from '../../common/secp.js';
import { Cluster } from './helpers.js';

test('a dead member is suspected after one missed round: no more timeouts, and its coordinator turns are taken at once', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15);
    await c.block();
    const members = c.chain.key!.result.public.members;
    const nodeAt = (pos: number) => c.nodes.findIndex((x) => bytesToHex(x.pubKey) === bytesToHex(members[((pos % 4) + 4) % 4]!.identity));

    const A = BigInt(c.chain.requests.size + 1);
    const cpos = Number((A - 1n) % 4n);
    const dead = nodeAt(cpos + 3); // a signer of A's first attempt, rank 0 of request A + 3
    const coordinator = c.nodes[nodeAt(cpos)]!; // rank 0 of A, rank 1 of A + 3
    await c.stop(dead);

    const a = c.chain.addRequest('distributeRewards', new Uint8Array(96).fill(1));
    expect(a.id).toBe(A);
    await c.until(() => c.chain.requests.get(A)!.status === 'signed', 30, 300);
    expect(c.chain.requests.get(A)!.status).toBe('signed');
    const first = coordinator.log.find('signature aggregated').find((l) => l.requestId === A.toString())!;
    expect(first).toMatchObject({ attempts: 2, excluded: { [String(members[(cpos + 3) % 4]!.index)]: 'no-response' } });
    expect(coordinator.log.find('member missed a signing round; suspected unreachable until heard from')).toHaveLength(1);

    for (const fill of [2, 3]) {
      const r = c.chain.addRequest('distributeRewards', new Uint8Array(96).fill(fill));
      await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 30, 300);
    }
    // Request A + 3: its rank-0 coordinator is the dead member; A's coordinator suspects it, so it is
    // rank 0 in effect and starts at once, with signers that leave the suspect out.
    const b = c.chain.addRequest('distributeRewards', new Uint8Array(96).fill(4));
    expect(b.id).toBe(A + 3n);
    let blocks = 0;
    while (c.chain.requests.get(b.id)!.status !== 'signed' && blocks < Number(RANK_STEP_BLOCKS)) {
      await c.block(300);
      blocks++;
    }
    expect(c.chain.requests.get(b.id)!.status).toBe('signed');
    expect(blocks).toBeLessThanOrEqual(3);
    const line = coordinator.log.find('signature aggregated').find((l) => l.requestId === b.id.toString())!;
    expect(line).toMatchObject({ attempts: 1, excluded: {} });
    expect(line.signers).not.toContain(members[(cpos + 3) % 4]!.index);
  } finally {
    await c.close();
  }
}, 60_000);

test('a member whose validator signs no commit is suspected before it misses any round: its coordinator turn is taken within a few blocks', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15);
    await c.block();
    const members = c.chain.key!.result.public.members;
    const nodeAt = (pos: number) => c.nodes.findIndex((x) => bytesToHex(x.pubKey) === bytesToHex(members[((pos % 4) + 4) % 4]!.identity));
    const A = BigInt(c.chain.requests.size + 1);
    const cpos = Number((A - 1n) % 4n);
    const dead = nodeAt(cpos); // rank 0 of request A
    await c.stop(dead);
    c.chain.absentFromCommits.add(toHex(pubKeyToAddress(c.nodes[dead]!.pubKey)).toUpperCase());
    const a = c.chain.addRequest('distributeRewards', new Uint8Array(96).fill(7));
    let blocks = 0;
    while (c.chain.requests.get(a.id)!.status !== 'signed' && blocks < Number(RANK_STEP_BLOCKS)) {
      await c.block(300);
      blocks++;
    }
    expect(c.chain.requests.get(a.id)!.status).toBe('signed');
    expect(blocks).toBeLessThanOrEqual(ABSENT_COMMITS + 3); // not RANK_STEP_BLOCKS
    const rank1 = c.nodes[nodeAt(cpos + 1)]!;
    expect(rank1.log.find("member's validator signed none of the last commits; suspected unreachable until heard from").length).toBeGreaterThanOrEqual(1);
    expect(rank1.log.find('signature aggregated').find((l) => l.requestId === a.id.toString())).toMatchObject({ attempts: 1 });
  } finally {
    await c.close();
  }
}, 60_000);
