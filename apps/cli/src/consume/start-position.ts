/**
 * Where `spool consume` starts on each partition (--offset):
 *
 *   earliest | beginning   the partition's logStartOffset
 *   latest | end           its highWatermark (only new records; with --follow)
 *   <n>                    offset n on every partition read
 *   -<n>                   the last n records of each partition
 *   @<time>                the first record at or after a time: ms since the epoch or ISO 8601
 */
import { usageError } from '../cli.error.js';
import { parseTimestamp } from '../commands/options.js';

export type StartSpec =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'tail'; readonly count: number }
  | { readonly kind: 'timestamp'; readonly timestamp: number };

export function parseStartSpec(v: string): StartSpec {
  if (v === 'earliest' || v === 'beginning') return { kind: 'earliest' };
  if (v === 'latest' || v === 'end') return { kind: 'latest' };
  if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { kind: 'offset', offset: Number(v) };
  if (/^-\d+$/.test(v) && Number.isSafeInteger(-Number(v))) return { kind: 'tail', count: -Number(v) };
  if (v.startsWith('@')) return { kind: 'timestamp', timestamp: parseTimestamp(v.slice(1), '--offset @<time>') };
  throw usageError(`--offset must be earliest, latest, an offset, -<n> (the last n records) or @<time>, not ${JSON.stringify(v)}`);
}
