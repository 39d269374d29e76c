/**
 * One partition being delivered to one stream (a WebSocket subscription or group assignment, or
 * an SSE response): reads whole batches at `fetchOffset` through the partition's reader, renders
 * their records once (RecordRenderer: JSON bytes, ready to be framed), and holds them until the
 * delivery pump takes them within the stream's credit. At most one read is held per feed, so a
 * slow consumer costs the broker one read's worth of memory per partition; the rest stays in the
 * log.
 *
 * Feeds of one partition that read the same offset at the same time share one read and render
 * (shared-reads.ts): the fan-out case, where one append wakes them all.
 *
 * When the feed has caught up it waits for the next append, woken by the append itself (no
 * polling), through one wait shared with every feed caught up at the same offset
 * (SharedReads.onAppend). `stop()` leaves that wait; a stopped feed never reads or calls back again.
 *
 * Offsets: `position` is the next offset to hand to the stream (everything below was handed to
 * it); `fetchOffset` is the next offset to read (>= position).
 */
import type { PartitionReader, PartitionReaders } from '../partition-reader.js';
import type { RecordRenderer } from '../record-renderer.js';
import { RenderedRecords } from '../rendered-records.js';
import { sharedReadsFor, type SharedReads } from './shared-reads.js';

export interface PartitionFeedOptions {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly renderer: RecordRenderer;
  /** Soft limit of one read (at least one whole batch is read, Kafka's rule). */
  readonly readMaxBytes: number;
  /** Called when records became available: the pump should run. */
  readonly onReady: () => void;
  /** Called once if reading fails (e.g. OFFSET_OUT_OF_RANGE after retention); the feed has stopped. */
  readonly onError: (feed: PartitionFeed, err: unknown) => void;
}

/** Records `from`..`to`-1 of `records`, taken by the pump for one frame. */
export interface TakenRecords {
  readonly records: RenderedRecords;
  readonly from: number;
  readonly to: number;
}

const NOTHING = RenderedRecords.empty(0);

export class PartitionFeed {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to hand to the stream. */
  position: number;
  /** Set by pause frames: the pump skips the feed; reading stops once the buffer is full. */
  paused = false;
  private fetchOffset: number;
  /** Shared with other feeds that read the same range (shared-reads.ts): never mutated. */
  private pending: RenderedRecords = NOTHING;
  private head = 0;
  private fetching = false;
  private stoppedValue = false;
  /** Leaves the shared append wait the feed is in, if any. */
  private leaveWait: (() => void) | null = null;
  private readonly shared: SharedReads;

  constructor(
    readers: PartitionReaders,
    private readonly reader: PartitionReader,
    private readonly options: PartitionFeedOptions,
  ) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.position = options.startOffset;
    this.fetchOffset = options.startOffset;
    this.shared = sharedReadsFor(readers);
  }

  get stopped(): boolean {
    return this.stoppedValue;
  }

  get hasPending(): boolean {
    return this.head < this.pending.count;
  }

  /** Buffer empty, not reading, not paused, not stopped: the pump should start a read. */
  get needsFill(): boolean {
    return !this.fetching && !this.stoppedValue && !this.paused && this.head >= this.pending.count;
  }

  /**
   * Takes up to `maxRecords` pending records whose JSON adds up to at most `maxBytes` (at least
   * one record when `maxBytes` > 0, so a record larger than the remaining credit still flows
   * once credit is positive) and advances `position` past them.
   */
  take(maxRecords: number, maxBytes: number): TakenRecords {
    const records = this.pending;
    const from = this.head;
    const last = Math.min(records.count, from + maxRecords);
    let to = from;
    let bytes = 0;
    while (to < last) {
      const size = records.bytes(to);
      if (to > from && bytes + size > maxBytes) break;
      bytes += size;
      to++;
    }
    this.head = to;
    if (to > from) this.position = records.offsets[to - 1] + 1;
    if (this.head >= records.count) {
      this.pending = NOTHING;
      this.head = 0;
    }
    return { records, from, to };
  }

  /**
   * Starts one read (waiting for an append if caught up); calls onReady when it has records.
   * Returns true when the records were at hand (in a recent read shared with other feeds) and
   * are pending already: the caller may take them at once, and onReady is not called.
   */
  fill(): boolean {
    if (!this.needsFill) return false;
    let recent = null;
    try {
      recent = this.shared.recentRead(this.reader, this.fetchOffset, this.options.renderer);
    } catch {
      // The partition is gone (topic deleted): the read below fails the same way, through onError.
    }
    if (recent !== null && recent.from < recent.records.count) {
      this.fetchOffset = Math.max(this.fetchOffset, recent.records.nextOffset);
      this.pending = recent.records;
      this.head = recent.from;
      return true;
    }
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
    return false;
  }

  /** Stops reading and drops what is buffered; the position stays where delivery stopped. */
  stop(): void {
    if (this.stoppedValue) return;
    this.stoppedValue = true;
    this.pending = NOTHING;
    this.head = 0;
    const leave = this.leaveWait;
    this.leaveWait = null;
    leave?.();
  }

  private async readOnce(): Promise<void> {
    while (!this.stoppedValue) {
      const read = await this.shared.read(this.reader, this.fetchOffset, this.options.readMaxBytes, this.options.renderer);
      if (this.stoppedValue) return;
      if (read.atLogEnd) {
        await new Promise<void>((resolve) => {
          const leave = this.shared.onAppend(this.reader, this.fetchOffset, () => {
            this.leaveWait = null;
            resolve();
          });
          // stop() leaves the wait and ends this one too.
          this.leaveWait = () => {
            leave();
            resolve();
          };
        });
        continue;
      }
      this.fetchOffset = Math.max(this.fetchOffset, read.records.nextOffset);
      if (read.from < read.records.count) {
        this.pending = read.records;
        this.head = read.from;
        return;
      }
      // Only control batches or records below the offset (compaction gaps): read on.
    }
  }
}
