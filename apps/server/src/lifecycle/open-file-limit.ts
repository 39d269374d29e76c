/**
 * The open-file limit (RLIMIT_NOFILE) the broker runs with, logged at start-up. A broker holds one
 * descriptor per log segment (indexes are opened only to be written, see
 * libs/log-engine/src/index-file.ts) plus its connections: 10,000 partitions need over 10,000.
 * Node raises its soft limit to the hard limit when it starts (as the JVM does for Kafka,
 * HotSpot's MaxFDLimit), so the hard limit is what counts; the log line says what it is, and warns
 * when it is below what the usual 10,000 partitions need.
 *
 * /proc/self/limits, the source of the figures, is one line per resource:
 *   Max open files            1024                 524288               files
 */
import { readFileSync } from 'node:fs';

export interface OpenFileLimit {
  readonly soft: number;
  /** Infinity for "unlimited". */
  readonly hard: number;
}

/** Below this many descriptors a broker cannot hold 10,000 partitions and their clients. */
export const RECOMMENDED_OPEN_FILE_LIMIT = 16_384;

/** Parses the "Max open files" line of /proc/<pid>/limits; null when absent. */
export function parseOpenFileLimit(limitsText: string): OpenFileLimit | null {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s/m.exec(limitsText);
  if (m === null) return null;
  const value = (v: string): number => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: value(m[1]!), hard: value(m[2]!) };
}

export function readOpenFileLimit(pid: number | 'self' = 'self'): OpenFileLimit | null {
  try {
    return parseOpenFileLimit(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  } catch {
    return null; // not Linux
  }
}

export interface LimitLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Logs the limit (a warning below RECOMMENDED_OPEN_FILE_LIMIT, saying what to do); never throws. */
export function logOpenFileLimit(logger: LimitLogger): OpenFileLimit | null {
  const limit = readOpenFileLimit();
  if (limit === null) return null;
  const fields = { openFileLimit: limit.soft, hardLimit: limit.hard };
  if (limit.soft >= RECOMMENDED_OPEN_FILE_LIMIT) {
    logger.info(fields, 'open-file limit (one descriptor per log segment, plus one per connection)');
  } else {
    logger.warn(
      fields,
      `open-file limit below ${RECOMMENDED_OPEN_FILE_LIMIT}: the broker holds one descriptor per log segment plus one per connection, so partitions beyond about ${Math.max(0, limit.soft - 1024)} fail to open with EMFILE; raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd, ulimits.nofile in docker-compose)`,
    );
  }
  return limit;
}
