// A file-fed observation source: until the bridge exists, operators and tests put synthetic
// observations in a JSON file (`[{"topic": "...", "payload": "..."}]`) that ExtendVote reads. The
// file is re-read only when it changes; a malformed file is logged and treated as empty.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../common/log.js';
import { utf8 } from '../common/bytes.js';
import type { ObservationSource } from '../protocol/observations.js';
import type { Observation } from '../proto/seqpool.js';

const FileSchema = z.array(z.object({ topic: z.string(), payload: z.string().default('') }).strict());

export class FileObservationSource implements ObservationSource {
  private mtimeMs = -1;
  private cached: Observation[] = [];

  constructor(private readonly path: string, private readonly log: Logger) {}

  pending(): Observation[] {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      return (this.cached = []);
    }
    if (mtimeMs === this.mtimeMs) return this.cached;
    this.mtimeMs = mtimeMs;
    try {
      const parsed = FileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
      this.cached = parsed.map((o) => ({ synthetic: { topic: o.topic, payload: utf8(o.payload) } }));
      this.log.info({ file: this.path, count: this.cached.length }, 'observation file loaded');
    } catch (e) {
      this.log.error({ file: this.path, err: (e as Error).message }, 'observation file is malformed; expected [{"topic": "...", "payload": "..."}]');
      this.cached = [];
    }
    return this.cached;
  }
}
