/**
 * Moves rendered records from a stream's partition feeds to its transport, within two limits:
 *
 * - **credit** (WebSocket): the client grants records and bytes with `credit` frames; the pump
 *   sends only within what is left (a frame may carry one record more than the byte credit when
 *   the credit is positive but smaller than that record, so no record is ever stuck). SSE streams
 *   have unlimited credit and rely on the second limit alone.
 * - **backpressure**: once the transport's buffered bytes (ws `bufferedAmount`, or what Node has
 *   not yet handed to the kernel for SSE) pass `highWaterMarkBytes`, the pump stops taking
 *   records; feeds stop reading once their one read is buffered. The transport calls
 *   `onWritten()` from its write callbacks, and the pump resumes below `lowWaterMarkBytes`.
 *   Nothing is dropped: undelivered records stay in the log and are read when the pump resumes.
 *
 * Partitions are served round-robin, one frame per partition per round, so one busy partition
 * cannot starve the others. The pump runs as a task of the delivery scheduler (delivery-scheduler.ts:
 * every stream's pump in one FIFO queue worked through in slices, with the event loop polling for
 * I/O between slices, so fan-out never starves ingest) after something changed, never on a timer.
 */
import type { PartitionFeed } from './partition-feed.js';
import type { RenderedRecords } from '../rendered-records.js';
import { deliveryScheduler, type DeliveryScheduler } from './delivery-scheduler.js';

export interface DeliveryTransport {
  /** Bytes accepted for sending but not yet written to the kernel. */
  bufferedAmount(): number;
  /** Sends one frame with records `from`..`to`-1 of `records`, read by `feed` (in offset order, non-empty). */
  deliver(feed: PartitionFeed, records: RenderedRecords, from: number, to: number): void;
}

export interface DeliveryPumpOptions {
  readonly highWaterMarkBytes: number;
  readonly lowWaterMarkBytes: number;
  readonly maxFrameRecords: number;
  readonly maxFrameBytes: number;
  /** Initial credit; Infinity for streams without credit (SSE). */
  readonly initialCreditRecords: number;
  readonly initialCreditBytes: number;
  /** Where the pump's runs are queued; the process's shared scheduler by default. */
  readonly scheduler?: DeliveryScheduler;
}

export class DeliveryPump {
  private readonly feeds: PartitionFeed[] = [];
  private creditRecords: number;
  private creditBytes: number;
  private scheduled = false;
  private blocked = false;
  private closed = false;
  private next = 0;
  private readonly scheduler: DeliveryScheduler;
  private readonly runTask = (): void => {
    this.scheduled = false;
    this.run();
  };

  constructor(
    private readonly transport: DeliveryTransport,
    private readonly options: DeliveryPumpOptions,
  ) {
    this.creditRecords = options.initialCreditRecords;
    this.creditBytes = options.initialCreditBytes;
    this.scheduler = options.scheduler ?? deliveryScheduler;
  }

  get credit(): { records: number; bytes: number } {
    return { records: this.creditRecords, bytes: this.creditBytes };
  }

  /** True while the transport is above its high-water mark (reading is paused for this stream). */
  get isBlocked(): boolean {
    return this.blocked;
  }

  add(feed: PartitionFeed): void {
    this.feeds.push(feed);
    this.schedule();
  }

  /** Stops and forgets the feed; what it had buffered is dropped (it is still in the log). */
  remove(feed: PartitionFeed): void {
    feed.stop();
    const i = this.feeds.indexOf(feed);
    if (i >= 0) this.feeds.splice(i, 1);
  }

  grant(records: number, bytes: number): void {
    this.creditRecords += records;
    this.creditBytes += bytes;
    this.schedule();
  }

  /** The transport wrote something out: resume if it drained below the low-water mark. */
  onWritten(): void {
    if (this.blocked && this.transport.bufferedAmount() <= this.options.lowWaterMarkBytes) {
      this.blocked = false;
      this.schedule();
    }
  }

  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.scheduler.enqueue(this.runTask);
  }

  close(): void {
    this.closed = true;
    for (const feed of this.feeds) feed.stop();
    this.feeds.length = 0;
  }

  private run(): void {
    if (this.closed) return;
    if (this.transport.bufferedAmount() >= this.options.highWaterMarkBytes) {
      this.blocked = true;
      return;
    }
    let progress = true;
    while (progress && !this.closed) {
      progress = false;
      const count = this.feeds.length;
      for (let n = 0; n < count && !this.closed; n++) {
        const feed = this.feeds[(this.next + n) % count];
        if (feed.stopped || feed.paused) continue;
        if (feed.hasPending && this.creditRecords >= 1 && this.creditBytes > 0) {
          const { records, from, to } = feed.take(Math.min(this.creditRecords, this.options.maxFrameRecords), Math.min(this.creditBytes, this.options.maxFrameBytes));
          this.creditRecords -= to - from;
          this.creditBytes -= records.bytesOf(from, to);
          this.transport.deliver(feed, records, from, to);
          progress = true;
          if (this.transport.bufferedAmount() >= this.options.highWaterMarkBytes) {
            this.blocked = true;
            this.next = (this.next + n + 1) % count;
            return;
          }
        }
        if (feed.needsFill && feed.fill()) progress = true;
      }
      if (count > 0) this.next = (this.next + 1) % count;
    }
  }
}
