/**
 * Retention of the time-keyed stores: an entry no record can read or update any more (a closed
 * window; a join-buffer record older than any record still accepted can join) is deleted from the
 * store, and so tombstoned in its changelog (the task's store logs every put, a null included), so
 * neither LMDB nor the compacted changelog grows with the number of windows ever seen.
 *
 * The rule is exact, not approximate: an entry goes only once stream time has passed the point
 * after which the node would ignore it anyway, so purging never changes a result, only the space.
 *   window store   retention = size + grace: the window [start, end) closes at end + grace
 *                  (Kafka Streams' default window-store retention).
 *   join buffer    retention = 2 * difference + grace: the oldest record still accepted is
 *                  stream time - difference - grace, and it joins back to its own time - difference.
 *   session store  retention = 3 * gap + grace past the session's end, and only while the key's next
 *                  session starts more than 2 * gap after that end. A record can touch session S only
 *                  within gap of it; it is accepted only if the merged session ends after stream
 *                  time - gap - grace, which needs a later session within 2 * gap of S's end to bridge
 *                  to. A new session that could be such a bridge starts after stream time - gap -
 *                  grace >= S.end + 2 * gap once S is past its retention, so none can appear later.
 *                  (Kafka Streams keeps gap + grace and may forget a session a record could still
 *                  merge; this keeps results independent of when a purge runs.)
 *
 * When: Kafka Streams drops whole segments of `max(retention / 2, 60 s)` of stream time; here a
 * purge is a scan of the store, run by the node when its stream time has moved one such interval
 * past the last purge (and at the first record after the task starts, which covers restored
 * stores and a stream time seeded from committed offsets). Between purges, closed entries wait.
 */
import type { ProcessorContext } from './processor-node.js';

/** Kafka's minimum segment interval for window stores. */
const MIN_PURGE_INTERVAL_MS = 60_000;

export class StoreRetention {
  /** Stream time between two scans of the store. */
  readonly purgeIntervalMs: number;

  /**
   * `expiredAfterMs(key)`: the stream time from which the entry with this store key is of no use
   * (a closed window: its end + grace).
   */
  constructor(
    readonly storeName: string,
    readonly retentionMs: number,
    private readonly expiredAfterMs: (key: Buffer) => number,
    /** Keeps an expired entry anyway while the entry after it in key order could still pull it back (sessions). */
    private readonly stillReachable: (key: Buffer, next: Buffer | undefined) => boolean = () => false,
  ) {
    this.purgeIntervalMs = Math.max(Math.floor(retentionMs / 2), MIN_PURGE_INTERVAL_MS);
  }

  /** Deletes the store's expired entries if a purge is due at `streamTimeMs`; returns how many. */
  maybePurge(ctx: ProcessorContext, streamTimeMs: number): number {
    const state = ctx.local(this, () => ({ nextPurgeAtMs: Number.NEGATIVE_INFINITY }));
    if (streamTimeMs < state.nextPurgeAtMs) return 0;
    state.nextPurgeAtMs = streamTimeMs + this.purgeIntervalMs;
    const store = ctx.store(this.storeName);
    const expired: Buffer[] = [];
    let previous: Buffer | undefined;
    const consider = (key: Buffer | undefined): void => {
      if (previous !== undefined && this.expiredAfterMs(previous) <= streamTimeMs && !this.stillReachable(previous, key)) expired.push(previous);
      previous = key;
    };
    for (const [key] of store.prefixScan(Buffer.alloc(0))) consider(Buffer.from(key));
    consider(undefined);
    for (const key of expired) store.put(key, null);
    return expired.length;
  }
}

/** The int64-BE time `fromEnd` bytes before the end of a store key (store-keys.ts layouts). */
export function timeNearKeyEnd(key: Buffer, fromEnd: number): number {
  return Number(key.readBigInt64BE(key.length - fromEnd));
}
