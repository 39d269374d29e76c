/**
 * Option parsers shared by the commands. They throw usage errors (CliError, exit status 2); `asArgParser`
 * adapts one for commander's argParser, which reports InvalidArgumentError as "option '--x <v>' argument
 * 'y' is invalid. <why>".
 */
import { InvalidArgumentError } from 'commander';
import { CliError, usageError } from '../cli.error.js';

export function asArgParser<T>(parse: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return parse(v);
    } catch (err) {
      if (err instanceof CliError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

/** Integers within bounds, for options such as --partitions. */
export function parseIntOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return asArgParser((v: string) => parseInteger(v, name, min, max));
}

export function parseInteger(v: string, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[-+]?\d+$/.test(v.trim())) throw usageError(`${name} must be an integer, not ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(`${name} must be between ${min} and ${max}, not ${v}`);
  return n;
}

/** For repeatable options: `-c a=1 -c b=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `key=value` pairs (the value may hold `=`), refusing an empty key or a repeated one. */
export function parsePairs(pairs: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`${what} must be key=value, not ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    if (out.has(key)) throw usageError(`${what} ${JSON.stringify(key)} is given twice`);
    out.set(key, pair.slice(at + 1));
  }
  return out;
}

/** Milliseconds since the epoch, from digits or an ISO 8601 date-time (local time when no zone is given, as kafka-consumer-groups reads --to-datetime). */
export function parseTimestamp(v: string, what: string): number {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw usageError(`${what}: ${v} is too large`);
    return n;
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) {
    throw usageError(`${what} must be milliseconds since the epoch or an ISO 8601 date-time such as 2026-01-31T12:00:00Z (local time without a zone), not ${JSON.stringify(v)}`);
  }
  const ms = Date.parse(v.replace(' ', 'T'));
  if (Number.isNaN(ms) || ms < 0) throw usageError(`${what}: ${JSON.stringify(v)} is not a valid date-time`);
  return ms;
}

/** A duration like Kafka's --by-duration (ISO 8601 PnDTnHnMnS) or 90s / 15m / 2h / 7d. */
export function parseDurationMs(v: string, what: string): number {
  const short = /^(\d+)(ms|s|m|h|d)$/.exec(v);
  if (short) return Number(short[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[short[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(v);
  if (iso && v !== 'P' && !v.endsWith('T')) {
    const [, d, h, m, s] = iso;
    return Math.round(((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000);
  }
  throw usageError(`${what} must be a duration such as 15m, 2h, 7d or PT15M, not ${JSON.stringify(v)}`);
}
