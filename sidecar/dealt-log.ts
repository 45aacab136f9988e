// Which key sessions this sidecar dealt in, remembered durably before the dealing leaves the process:
// a dealer cannot redeal after a crash (a second, different dealing is equivocation), so a restarted
// sidecar that finds the marker sits that session out.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Remembers which sessions we dealt in, durably, before the dealing leaves the process. */
export interface DealtLog {
  has(sessionHex: string): boolean;
  mark(sessionHex: string): void;
}

export class FileDealtLog implements DealtLog {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  has(sessionHex: string): boolean {
    return existsSync(join(this.dir, `dealt-${sessionHex}`));
  }
  mark(sessionHex: string): void {
    const fd = openSync(join(this.dir, `dealt-${sessionHex}`), 'w', 0o600);
    try {
      writeSync(fd, new Date().toISOString() + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The file's directory entry too: a new file survives a power loss only once its directory does.
    const dir = openSync(this.dir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

