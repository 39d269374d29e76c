/**
 * Kafka's default partitioner, so that a keyed record lands on the partition a Kafka client
 * (the Java client's BuiltInPartitioner, librdkafka's "murmur2_random", kafkajs's
 * DefaultPartitioner) would pick for the same key bytes and partition count:
 *
 *   partition = toPositive(murmur2(keyBytes)) % partitionCount,  toPositive(h) = h & 0x7fffffff
 *
 * murmur2 here is the 32-bit MurmurHash2 variant of Kafka's `Utils.murmur2`: seed 0x9747b28c,
 * m = 0x5bd1e995, r = 24, four little-endian bytes at a time, tail bytes folded high to low.
 * `toPositive` masks the sign bit rather than taking Math.abs, exactly as Kafka does (abs of
 * INT_MIN would stay negative). Unkeyed records are not hashed: the caller spreads them
 * (StickyPartitionCounter below: one partition per produce request, next request the next one).
 *
 * Transport-independent: used by the HTTP produce path and, later, WebSocket produce.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 of `data`, as a signed 32-bit integer (Java's int). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner assigns to a record with these key bytes. */
export function partitionForKey(keyBytes: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return toPositive(murmur2(keyBytes)) % partitionCount;
}

/**
 * Spreads unkeyed records: every call to `next(topic, count)` returns the partition for one whole
 * produce request ("sticky per batch", as KIP-480 does per batch), moving round robin across
 * requests so that unkeyed traffic fills all partitions while each request still forms one
 * batch. The starting point per topic comes from `seed` (random by default) so that several
 * brokers do not all start on partition 0.
 */
export class StickyPartitionCounter {
  private readonly counters = new Map<string, number>();

  constructor(private readonly seed: () => number = () => Math.floor(Math.random() * 0x7fffffff)) {}

  next(topic: string, partitionCount: number): number {
    const current = this.counters.get(topic) ?? this.seed();
    this.counters.set(topic, (current + 1) & 0x7fffffff);
    return toPositive(current) % partitionCount;
  }

  /** Forgets a topic's position (after the topic is deleted). */
  forget(topic: string): void {
    this.counters.delete(topic);
  }
}
