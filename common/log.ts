// Structured logging for every process (pino). One place decides the level and the destination so
// that a node, a sidecar and the CLI read alike. Never pass key material to a logger.
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger named after its component; the level comes from SEQPOOL_LOG_LEVEL (default info). */
export function createLogger(component: string, opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.SEQPOOL_LOG_LEVEL ?? 'info';
  const dest = opts.destination === undefined ? undefined : pino.destination({ dest: opts.destination, sync: true });
  return dest ? pino({ name: component, level }, dest) : pino({ name: component, level });
}

/** A logger that drops everything, for unit tests and in-process benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
