/**
 * Joins of a stream: with a table (a lookup in the table's store per stream record; the table's own
 * updates trigger nothing, as in Kafka Streams) and with another stream inside a time window (each
 * side buffers its records in a store and probes the other side's buffer).
 */
import type { StreamRecord } from '../record.js';
import { decodeJson, encodeJson, keyPrefix, withTimeAndSequence } from '../state/store-keys.js';
import { advanceStreamTime, ProcessorNode, type ProcessorContext } from './processor-node.js';
import type { JoinMode } from './table-nodes.js';
import { StoreRetention, timeNearKeyEnd } from './store-retention.js';
import type { JoinWindows } from './windows.js';

export class StreamTableJoinNode extends ProcessorNode {
  constructor(
    name: string,
    private readonly tableStore: string,
    private readonly mode: JoinMode,
    private readonly joiner: (streamValue: unknown, tableValue: unknown) => unknown,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
      if (this.mode === 'left' && record.value !== null && record.value !== undefined) this.forward({ ...record, value: this.joiner(record.value, null) }, ctx);
      return;
    }
    const bytes = ctx.store(this.tableStore).get(encodeJson(record.key));
    if (bytes === undefined && this.mode === 'inner') return;
    this.forward({ key: record.key, value: this.joiner(record.value, bytes === undefined ? null : decodeJson(bytes)), timestamp: record.timestamp }, ctx);
  }
}

/** What both sides of one stream-stream join share: the join's stream time (by its name) and the retention of both buffers. */
export class StreamStreamJoinShared {
  /** Both buffers (key: ... int64 timestamp int32 sequence), purged by time whichever side a record arrives on. */
  readonly retentions: readonly StoreRetention[];

  constructor(
    /** The join's name: its stream time is committed under it. */
    readonly name: string,
    readonly window: JoinWindows,
    readonly joiner: (left: unknown, right: unknown) => unknown,
    buffers: readonly string[],
  ) {
    // A buffered record is of no use once stream time > its timestamp + 2 * difference + grace (see process).
    const retentionMs = 2 * window.timeDifferenceMs + window.graceMs;
    this.retentions = buffers.map((buffer) => new StoreRetention(buffer, retentionMs, (key) => timeNearKeyEnd(key, 12) + retentionMs + 1));
  }
}

export class StreamStreamJoinNode extends ProcessorNode {
  constructor(
    name: string,
    private readonly shared: StreamStreamJoinShared,
    private readonly thisBuffer: string,
    private readonly otherBuffer: string,
    private readonly thisIsLeft: boolean,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) return;
    const { timeDifferenceMs, graceMs } = this.shared.window;
    const streamTimeMs = advanceStreamTime(this.shared, ctx, record.timestamp);
    if (record.timestamp + timeDifferenceMs + graceMs < streamTimeMs) {
      ctx.recordLateDrop(this, record);
      return;
    }
    const seq = ctx.local(this, () => ({ next: 0 }));
    const prefix = keyPrefix(record.key);
    ctx.store(this.thisBuffer).put(withTimeAndSequence(prefix, record.timestamp, seq.next++), encodeJson(record.value));
    const other = ctx.store(this.otherBuffer);
    const expired: Buffer[] = [];
    for (const [storeKey, bytes] of other.prefixScan(prefix)) {
      const otherTs = Number(storeKey.readBigInt64BE(prefix.length));
      // A buffered record no record can join any more (the oldest record still accepted is
      // streamTime - difference - grace, and it joins back to its own timestamp - difference): drop it.
      if (otherTs + 2 * timeDifferenceMs + graceMs < streamTimeMs) {
        expired.push(Buffer.from(storeKey));
        continue;
      }
      if (Math.abs(otherTs - record.timestamp) > timeDifferenceMs) continue;
      const otherValue = decodeJson(bytes);
      const value = this.thisIsLeft ? this.shared.joiner(record.value, otherValue) : this.shared.joiner(otherValue, record.value);
      this.forward({ key: record.key, value, timestamp: Math.max(record.timestamp, otherTs) }, ctx);
    }
    for (const key of expired) other.put(key, null);
    for (const retention of this.shared.retentions) retention.maybePurge(ctx, streamTimeMs);
  }
}
