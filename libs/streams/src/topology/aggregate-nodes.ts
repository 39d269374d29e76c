/**
 * Stateful nodes that turn a grouped stream into a table: the aggregate of each key (or of each key
 * and window) lives in the node's store and every update is forwarded downstream (no caching:
 * each input record gives one output update). Records with a null key or value are skipped, as in
 * Kafka Streams (there is no group to put them in).
 */
import type { StreamRecord, Windowed } from '../record.js';
import { decodeJson, encodeJson, keyPrefix, withTimes } from '../state/store-keys.js';
import { advanceStreamTime, ProcessorNode, type ProcessorContext } from './processor-node.js';
import { StoreRetention, timeNearKeyEnd } from './store-retention.js';
import type { SessionWindows, TimeWindows } from './windows.js';

/** Next aggregate from the current one (undefined: the key or window has none yet). */
export type AggregateFn = (key: unknown, value: unknown, current: unknown) => unknown;
export type MergeFn = (key: unknown, left: unknown, right: unknown) => unknown;

export class AggregateNode extends ProcessorNode {
  constructor(
    name: string,
    readonly storeName: string,
    private readonly aggregate: AggregateFn,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) return;
    const store = ctx.store(this.storeName);
    const storeKey = encodeJson(record.key);
    const current = store.get(storeKey);
    const next = this.aggregate(record.key, record.value, current === undefined ? undefined : decodeJson(current));
    store.put(storeKey, encodeJson(next));
    this.forward({ key: record.key, value: next, timestamp: record.timestamp }, ctx);
  }
}

export class WindowedAggregateNode extends ProcessorNode {
  /** Closed windows leave the store (key: ... int64 windowStartMs; closed at start + size + grace). */
  private readonly retention: StoreRetention;

  constructor(
    name: string,
    readonly storeName: string,
    private readonly windows: TimeWindows,
    private readonly aggregate: AggregateFn,
  ) {
    super(name);
    const retentionMs = windows.sizeMs + windows.graceMs;
    this.retention = new StoreRetention(storeName, retentionMs, (key) => timeNearKeyEnd(key, 8) + retentionMs);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) return;
    const streamTimeMs = advanceStreamTime(this, ctx, record.timestamp);
    const store = ctx.store(this.storeName);
    const prefix = keyPrefix(record.key);
    let late = true;
    for (const window of this.windows.windowsFor(record.timestamp)) {
      // Kafka's rule: a window takes records while stream time < end + grace.
      if (window.endMs + this.windows.graceMs <= streamTimeMs) continue;
      late = false;
      const storeKey = withTimes(prefix, window.startMs);
      const current = store.get(storeKey);
      const next = this.aggregate(record.key, record.value, current === undefined ? undefined : decodeJson(current));
      store.put(storeKey, encodeJson(next));
      const key: Windowed<unknown> = { key: record.key, window };
      this.forward({ key, value: next, timestamp: record.timestamp }, ctx);
    }
    if (late) ctx.recordLateDrop(this, record);
    this.retention.maybePurge(ctx, streamTimeMs);
  }
}

export class SessionAggregateNode extends ProcessorNode {
  /** Sessions no record can reach any more leave the store (store-retention.ts; key: ... int64 start int64 end). */
  private readonly retention: StoreRetention;

  constructor(
    name: string,
    readonly storeName: string,
    private readonly windows: SessionWindows,
    private readonly aggregate: AggregateFn,
    private readonly merge: MergeFn,
  ) {
    super(name);
    const gap = windows.inactivityGapMs;
    const retentionMs = 3 * gap + windows.graceMs;
    this.retention = new StoreRetention(
      storeName,
      retentionMs,
      (key) => timeNearKeyEnd(key, 8) + retentionMs,
      (key, next) => next !== undefined && sameKeyPrefix(key, next, 16) && timeNearKeyEnd(next, 16) - timeNearKeyEnd(key, 8) <= 2 * gap,
    );
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) return;
    const streamTimeMs = advanceStreamTime(this, ctx, record.timestamp);
    const store = ctx.store(this.storeName);
    const prefix = keyPrefix(record.key);
    const gap = this.windows.inactivityGapMs;
    let startMs = record.timestamp;
    let endMs = record.timestamp;
    let merged: unknown = undefined;
    const overlapping: { storeKey: Buffer; startMs: number; endMs: number }[] = [];
    for (const [storeKey, bytes] of store.prefixScan(prefix)) {
      const sStart = Number(storeKey.readBigInt64BE(prefix.length));
      const sEnd = Number(storeKey.readBigInt64BE(prefix.length + 8));
      if (sEnd < record.timestamp - gap || sStart > record.timestamp + gap) continue;
      overlapping.push({ storeKey: Buffer.from(storeKey), startMs: sStart, endMs: sEnd });
      const agg = decodeJson(bytes);
      merged = merged === undefined ? agg : this.merge(record.key, merged, agg);
      startMs = Math.min(startMs, sStart);
      endMs = Math.max(endMs, sEnd);
    }
    if (endMs + this.windows.closeDelayMs <= streamTimeMs) {
      ctx.recordLateDrop(this, record);
      this.retention.maybePurge(ctx, streamTimeMs);
      return;
    }
    const next = this.aggregate(record.key, record.value, merged);
    for (const old of overlapping) {
      if (old.startMs === startMs && old.endMs === endMs) continue;
      store.put(old.storeKey, null);
      // The merged-away session is gone from the table: a tombstone for its windowed key.
      this.forward({ key: { key: record.key, window: { startMs: old.startMs, endMs: old.endMs } }, value: null, timestamp: record.timestamp }, ctx);
    }
    store.put(withTimes(prefix, startMs, endMs), encodeJson(next));
    this.forward({ key: { key: record.key, window: { startMs, endMs } }, value: next, timestamp: record.timestamp }, ctx);
    this.retention.maybePurge(ctx, streamTimeMs);
  }
}

/**
 * `suppress(untilWindowCloses)`: holds the latest update of each window and emits it once, when the
 * window closes (stream time >= end + closeDelayMs), in the order windows close. The buffer is a
 * store (with a changelog), so held updates survive a restart. Tombstones (merged-away sessions)
 * drop the held update instead of being emitted.
 */
export class SuppressNode extends ProcessorNode {
  constructor(
    name: string,
    readonly storeName: string,
    private readonly closeDelayMs: number,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    const streamTimeMs = advanceStreamTime(this, ctx, record.timestamp);
    const store = ctx.store(this.storeName);
    const windowed = record.key as Windowed<unknown>;
    const closeAtMs = windowed.window.endMs + this.closeDelayMs;
    const bufferKey = Buffer.concat([withTimes(Buffer.alloc(0), closeAtMs), encodeJson(windowed)]);
    // The earliest close time held, so most records need no scan (unknown after a restore: scan once).
    const state = ctx.local(this, () => ({ nextCloseAtMs: undefined as number | undefined }));
    if (closeAtMs <= streamTimeMs) {
      // Already closed (a late record inside no window's grace cannot get here; this is an update
      // forwarded for a window that closes with this very record): emit directly.
      store.put(bufferKey, null);
      if (record.value !== null) this.forward(record, ctx);
    } else if (record.value === null) {
      store.put(bufferKey, null);
    } else {
      store.put(bufferKey, encodeJson({ value: record.value, timestamp: record.timestamp }));
      if (state.nextCloseAtMs !== undefined && closeAtMs < state.nextCloseAtMs) state.nextCloseAtMs = closeAtMs;
    }
    if (state.nextCloseAtMs !== undefined && state.nextCloseAtMs > streamTimeMs) return;
    const closed: [Buffer, Buffer][] = [];
    state.nextCloseAtMs = Number.MAX_SAFE_INTEGER;
    for (const [key, bytes] of store.prefixScan(Buffer.alloc(0))) {
      const at = Number(key.readBigInt64BE(0));
      if (at > streamTimeMs) {
        state.nextCloseAtMs = at;
        break;
      }
      closed.push([Buffer.from(key), bytes]);
    }
    for (const [key, bytes] of closed) {
      store.put(key, null);
      const held = decodeJson<{ value: unknown; timestamp: number }>(bytes);
      this.forward({ key: decodeJson(key.subarray(8)), value: held.value, timestamp: held.timestamp }, ctx);
    }
  }
}

/** Whether two timed store keys (each ending in `timeBytes` bytes of times) belong to the same record key. */
function sameKeyPrefix(a: Buffer, b: Buffer, timeBytes: number): boolean {
  return a.length === b.length && a.subarray(0, a.length - timeBytes).equals(b.subarray(0, b.length - timeBytes));
}
