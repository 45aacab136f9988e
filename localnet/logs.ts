// `seqpool localnet logs NODE [--process P] [--follow]`: a validator's log files, where the localnet's
// processes write them (localnet/processes.ts), read like `tail [-f]`. Only the end of a file is
// read: a debug-level node log grows by megabytes a minute.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { appLogFile, cometbftLogFile, sidecarLogFile } from './processes.js';
import { gethHome } from './geth.js';
import type { ProcessName } from './drill.js';

export function logFileOf(home: string, p: ProcessName): string {
  return p === 'node' ? appLogFile(home) : p === 'cometbft' ? cometbftLogFile(home) : p === 'geth' ? gethHome(home).logFile : sidecarLogFile(home);
}

const CHUNK = 64 * 1024;

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  const got = readSync(fd, buf, 0, len, pos);
  return buf.subarray(0, got);
}

/**
 * The last `lines` lines of `file` and the size it had (where a follow goes on from). Reads
 * backwards a chunk at a time, so the cost is that of the lines asked for, not of the file.
 */
export function lastLines(file: string, lines: number): { text: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    if (lines <= 0) return { text: '', size };
    let pos = size;
    let tail = Buffer.alloc(0);
    // A final newline ends the last line; it does not start another one.
    const wanted = () => tail.filter((b) => b === 0x0a).length - (tail.at(-1) === 0x0a ? 1 : 0);
    while (pos > 0 && wanted() < lines) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      tail = Buffer.concat([readAt(fd, pos, len), tail]);
    }
    let start = 0;
    let extra = wanted() - lines;
    while (extra >= 0 && start < tail.length) {
      if (tail[start] === 0x0a) extra--;
      start++;
    }
    return { text: (wanted() >= lines ? tail.subarray(start) : tail).toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes what is appended to `file` from byte `from` on until `signal` aborts. A file that shrinks
 * (truncated, or replaced by a fresh home) is read again from its start; one not there yet is waited for.
 */
export async function followFile(file: string, from: number, write: (chunk: Buffer) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
  let pos = from;
  while (!signal.aborted) {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < pos) pos = 0;
    if (size > pos) {
      const fd = openSync(file, 'r');
      try {
        while (pos < size) {
          const chunk = readAt(fd, pos, Math.min(CHUNK * 16, size - pos));
          if (chunk.length === 0) break;
          pos += chunk.length;
          write(chunk);
        }
      } finally {
        closeSync(fd);
      }
    }
    await new Promise<void>((r) => {
      const wake = () => (clearTimeout(t), r());
      const t = setTimeout(() => (signal.removeEventListener('abort', wake), r()), pollMs);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
