/**
 * One partition being delivered to one stream (a WebSocket subscription or group assignment, or
 * an SSE response): reads whole batches from the partition's log at `fetchOffset`, decodes and
 * renders their records once (JSON text, ready to be framed), and holds them until the delivery
 * pump takes them within the stream's credit. At most one read is held per feed, so a slow
 * consumer costs the broker one read's worth of memory per partition; the rest stays in the log.
 *
 * Feeds of one partition that read the same offset at the same time share one read and render
 * (shared-reads.ts): the fan-out case, where one append wakes them all.
 *
 * When the feed has caught up it waits on Log.waitForAppend: the append itself wakes it (no
 * polling). `stop()` aborts that wait; a stopped feed never reads or calls back again.
 *
 * Offsets: `position` is the next offset to hand to the stream (everything below was handed to
 * it); `fetchOffset` is the next offset to read from the log (>= position).
 */
import { CONTROL_FLAG_MASK, decodeRecordBatch, iterateBatches } from '@spool/protocol';
import type { LogManager } from '@spool/log-engine';
import { decodeData, decodeHeaderValue, type RecordFormat } from '../../http/records/record-format.js';
import { sharedReadsFor, type RenderedRecord, type SharedReads } from './shared-reads.js';

export type { RenderedRecord } from './shared-reads.js';

export interface PartitionFeedOptions {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly format: RecordFormat;
  /** Soft limit of one log read (at least one whole batch is read, Kafka's rule). */
  readonly readMaxBytes: number;
  /** Called when records became available (or the feed failed): the pump should run. */
  readonly onReady: () => void;
  /** Called once if reading fails (e.g. OFFSET_OUT_OF_RANGE after retention); the feed has stopped. */
  readonly onError: (feed: PartitionFeed, err: unknown) => void;
}

/** Longest single wait for an append; the loop then re-reads (a safety net, not a poll). */
const APPEND_WAIT_MS = 300_000;

export class PartitionFeed {
  readonly topic: string;
  readonly partition: number;
  readonly format: RecordFormat;
  /** Next offset to hand to the stream. */
  position: number;
  /** Set by pause frames: the pump skips the feed; reading stops once the buffer is full. */
  paused = false;
  private fetchOffset: number;
  /** Shared with other feeds that read the same range (shared-reads.ts): never mutated. */
  private pending: readonly RenderedRecord[] = [];
  private head = 0;
  private fetching = false;
  private stoppedValue = false;
  private readonly abort = new AbortController();
  private readonly shared: SharedReads;
  private readonly renderBatches = (batches: Buffer, from: number): RenderedRecord[] => this.render(batches, from);

  constructor(
    private readonly logs: LogManager,
    private readonly options: PartitionFeedOptions,
  ) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.format = options.format;
    this.position = options.startOffset;
    this.fetchOffset = options.startOffset;
    this.shared = sharedReadsFor(logs);
  }

  get stopped(): boolean {
    return this.stoppedValue;
  }

  get hasPending(): boolean {
    return this.head < this.pending.length;
  }

  /** Buffer empty, not reading, not paused, not stopped: the pump should start a read. */
  get needsFill(): boolean {
    return !this.fetching && !this.stoppedValue && !this.paused && this.head >= this.pending.length;
  }

  /**
   * Takes up to `maxRecords` pending records whose JSON adds up to at most `maxBytes` (at least
   * one record when `maxBytes` > 0, so a record larger than the remaining credit still flows
   * once credit is positive) and advances `position` past them.
   */
  take(maxRecords: number, maxBytes: number): RenderedRecord[] {
    const out: RenderedRecord[] = [];
    let bytes = 0;
    while (this.head < this.pending.length && out.length < maxRecords) {
      const record = this.pending[this.head];
      if (out.length > 0 && bytes + record.bytes > maxBytes) break;
      out.push(record);
      bytes += record.bytes;
      this.head++;
    }
    if (this.head >= this.pending.length) {
      this.pending = [];
      this.head = 0;
    }
    if (out.length > 0) this.position = out[out.length - 1].offset + 1;
    return out;
  }

  /** Starts one read (waiting for an append if caught up); calls onReady when it has records. */
  fill(): void {
    if (!this.needsFill) return;
    this.fetching = true;
    void this.readOnce().then(
      () => {
        this.fetching = false;
        if (!this.stoppedValue) this.options.onReady();
      },
      (err: unknown) => {
        this.fetching = false;
        if (this.stoppedValue) return;
        this.stop();
        this.options.onError(this, err);
      },
    );
  }

  /** Stops reading and drops what is buffered; the position stays where delivery stopped. */
  stop(): void {
    if (this.stoppedValue) return;
    this.stoppedValue = true;
    this.pending = [];
    this.head = 0;
    this.abort.abort();
  }

  private async readOnce(): Promise<void> {
    while (!this.stoppedValue) {
      const read = await this.shared.read(this.topic, this.partition, this.fetchOffset, this.options.readMaxBytes, this.format, this.renderBatches);
      if (this.stoppedValue) return;
      if (read.atLogEnd) {
        await this.logs.getLog(this.topic, this.partition).waitForAppend(this.fetchOffset, APPEND_WAIT_MS, this.abort.signal);
        continue;
      }
      this.fetchOffset = read.nextOffset;
      if (read.records.length > 0) {
        this.pending = read.records;
        this.head = 0;
        return;
      }
      // Only control batches or records below the offset (compaction gaps): read on.
    }
  }

  /** Renders the records at or after `from` of `batches` (a pure function of its arguments and the format). */
  private render(batches: Buffer, from: number): RenderedRecord[] {
    const out: RenderedRecord[] = [];
    for (const batch of iterateBatches(batches)) {
      const lastOffset = batch.header.baseOffset + batch.header.lastOffsetDelta;
      if (lastOffset < from || (batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
      for (const record of decodeRecordBatch(batches, batch.pos).records) {
        if (record.offset < from) continue;
        const headers: Record<string, string | null> = {};
        for (const h of record.headers) headers[h.key] = decodeHeaderValue(h.value, this.format, record.offset, h.key);
        const json = JSON.stringify({
          offset: record.offset,
          timestamp: record.timestamp,
          key: decodeData(record.key, this.format, record.offset, 'key'),
          value: decodeData(record.value, this.format, record.offset, 'value'),
          headers,
        });
        out.push({ offset: record.offset, json, bytes: Buffer.byteLength(json) });
      }
    }
    return out;
  }
}
