/**
 * Branded identifiers. Offsets and timestamps are plain numbers on the hot path (bigint costs
 * too much), so every disk and wire boundary converts through the checked helpers below: an
 * int64 above 2^53 is a clear error, never silent rounding.
 */
import { SpoolError } from './spool-error.js';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type TopicName = Brand<string, 'TopicName'>;
export type PartitionId = Brand<number, 'PartitionId'>;
export type Offset = Brand<number, 'Offset'>;
export type TimestampMs = Brand<number, 'TimestampMs'>;

/** Checks that `value` is a safe, non-negative integer and brands it as an Offset. */
export function toOffset(value: number, what = 'offset'): Offset {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SpoolError('INVALID_REQUEST', `${what} must be a non-negative safe integer, got ${value}`);
  }
  return value as Offset;
}

/** Checks that `value` is a safe integer (timestamps may be -1 on the wire for "none"). */
export function toTimestampMs(value: number, what = 'timestamp'): TimestampMs {
  if (!Number.isSafeInteger(value)) {
    throw new SpoolError('INVALID_TIMESTAMP', `${what} must be a safe integer, got ${value}`);
  }
  return value as TimestampMs;
}

/** Converts an int64 read from disk or the wire to a number, refusing values beyond 2^53. */
export function int64ToSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new SpoolError('CORRUPT_MESSAGE', `${what} ${value} is outside the safe integer range (2^53)`);
  }
  return Number(value);
}
