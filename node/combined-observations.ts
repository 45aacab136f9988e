// ExtendVote has one ObservationSource; a node can have several (the L1 bridge, the operator's
// observation file). This one concatenates them. Sources can be added after construction because
// the bridge needs the opened app's staking view, and the app needs its source when it opens.
import type { ObservationSource } from '../protocol/observations.js';
import type { Observation } from '../proto/seqpool.js';
import type { Logger } from '../common/log.js';

export class CombinedObservationSource implements ObservationSource {
  private readonly sources: { name: string; source: ObservationSource }[] = [];

  constructor(private readonly log?: Logger) {}

  add(name: string, source: ObservationSource): void {
    this.sources.push({ name, source });
  }

  pending(): Observation[] {
    const out: Observation[] = [];
    for (const { name, source } of this.sources) {
      // One faulty source must not silence the others: ExtendVote still attests what it can.
      try {
        out.push(...source.pending());
      } catch (e) {
        this.log?.error({ source: name, err: (e as Error).message }, 'observation source failed; its observations are skipped this height');
      }
    }
    return out;
  }
}
