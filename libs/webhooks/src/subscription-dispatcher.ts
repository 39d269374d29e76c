/**
 * Turns a subscription's records into messages (webhook requests) and decides when each may be
 * sent, then tracks which offsets are done so that the group commits only past them.
 *
 * One PartitionLane per partition this broker delivers (the group's assignment decides which).
 * The app pushes each partition's records in offset order (and advances past filtered ones);
 * the lane groups them into messages of at most `maxBatchRecords`, waiting up to
 * `maxBatchWaitMs` for a message to fill, and hands them to the sink (the BullMQ engine).
 *
 * Ordering:
 *   key   at most one message of a partition is in flight (being delivered or waiting for a
 *         retry). A failing message holds back the later records of its partition only; other
 *         partitions go on. Kafka's key -> partition mapping makes this "in order per key".
 *   none  messages of every partition go out in parallel, up to `concurrency` in flight for the
 *         subscription; a failing one holds back nothing (its offsets are still not committed
 *         past until it is delivered or dead-lettered).
 * Both modes keep at most `concurrency` messages of the subscription in flight.
 *
 * Commit rule: a lane's committedOffset is its first offset not yet delivered or dead-lettered
 * (offsets before it were delivered, dead-lettered or filtered out); the group commits that and
 * nothing beyond it, so a crash anywhere redelivers (at least once) and never skips (no gap).
 *
 * Single-threaded (the event loop): methods are called from the app's feed pump and the engine's
 * settle callbacks; none blocks.
 */

export type Ordering = 'key' | 'none';

export interface DispatchOptions {
  readonly subscription: string;
  readonly ordering: Ordering;
  readonly maxBatchRecords: number;
  readonly maxBatchWaitMs: number;
  /** Messages of this subscription in flight at once (this broker). */
  readonly concurrency: number;
}

/** A message for the sink: records of one partition, consecutive in offset order. */
export interface OutgoingMessage {
  readonly subscription: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** Each record's rendered JSON object (`{"offset":...}`). */
  readonly records: readonly Uint8Array[];
  /** The oldest record's timestamp (for append-to-delivery latency). */
  readonly oldestTimestamp: number;
}

export type SettleOutcome = 'delivered' | 'dead-lettered';

/** Where messages go (the delivery engine); settle is called once per message, unless cancelled first. */
export interface MessageSink {
  send(message: OutgoingMessage, settle: (outcome: SettleOutcome) => void): SentMessage;
}

export interface SentMessage {
  /** Stop caring about the message (its partition was revoked): settle will not be called. */
  cancel(): void;
}

interface PendingRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly json: Uint8Array;
}

interface Unit {
  readonly first: number;
  readonly last: number;
  settled: boolean;
  sent: SentMessage | null;
}

export class PartitionLane {
  /** Every offset below this was handed to the lane (pushed or passed over). */
  private readOffset: number;
  private pending: PendingRecord[] = [];
  private pendingHead = 0;
  private pendingSince = 0;
  /** Messages sent and not yet popped (settled ones stay until every earlier one settles). */
  private readonly units: Unit[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly dispatcher: SubscriptionDispatcher,
    readonly topic: string,
    readonly partition: number,
    startOffset: number,
    /** Called when the lane has room for records again after being full. */
    private readonly onRoom: () => void,
  ) {
    this.readOffset = startOffset;
  }

  /** The first offset not yet delivered or dead-lettered: what the group may commit. */
  get committedOffset(): number {
    let offset = this.readOffset;
    if (this.pendingHead < this.pending.length) offset = Math.min(offset, this.pending[this.pendingHead].offset);
    if (this.units.length > 0) offset = Math.min(offset, this.units[0].first);
    return offset;
  }

  get bufferedRecords(): number {
    return this.pending.length - this.pendingHead;
  }

  /** How many more records the lane takes now (0: wait for onRoom). */
  get room(): number {
    return this.closed ? 0 : Math.max(0, this.dispatcher.maxBufferedRecords - this.bufferedRecords);
  }

  /** Records in flight: sent and not settled. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Adds a record (offsets strictly increasing). */
  push(offset: number, timestamp: number, json: Uint8Array): void {
    if (this.closed) return;
    if (offset < this.readOffset) throw new Error(`lane ${this.topic}-${this.partition}: offset ${offset} pushed after ${this.readOffset - 1}`);
    if (this.bufferedRecords === 0) this.pendingSince = Date.now();
    this.pending.push({ offset, timestamp, json });
    this.readOffset = offset + 1;
  }

  /** Every offset below `offset` was handed over (records skipped by the filter, compaction gaps, control records). */
  advanceTo(offset: number): void {
    if (this.closed || offset <= this.readOffset) return;
    const before = this.committedOffset;
    this.readOffset = offset;
    if (this.committedOffset !== before) this.dispatcher.progressed(this);
  }

  /** Sends what may be sent now. */
  flush(): void {
    this.dispatcher.pump();
  }

  /** Forgets the lane: nothing more is sent; messages in flight are cancelled. Returns the committed offset. */
  close(): number {
    if (this.closed) return this.committedOffset;
    const committed = this.committedOffset;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const unit of this.units) {
      if (!unit.settled) {
        unit.sent?.cancel();
        this.dispatcher.released(1);
      }
    }
    this.units.length = 0;
    this.pending = [];
    this.pendingHead = 0;
    this.dispatcher.removeLane(this);
    return committed;
  }

  /** Sends one message if allowed and ready; true if it sent. Called by the dispatcher's pump. */
  trySend(now: number): boolean {
    const options = this.dispatcher.options;
    const buffered = this.bufferedRecords;
    if (this.closed || buffered === 0) return false;
    if (options.ordering === 'key' && this.inFlight > 0) return false;
    if (!this.dispatcher.hasSlot()) return false;
    const waitedMs = now - this.pendingSince;
    if (buffered < options.maxBatchRecords && waitedMs < options.maxBatchWaitMs) {
      this.armTimer(options.maxBatchWaitMs - waitedMs);
      return false;
    }
    const take = Math.min(buffered, options.maxBatchRecords);
    const records = this.pending.slice(this.pendingHead, this.pendingHead + take);
    this.pendingHead += take;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (this.bufferedRecords > 0) this.pendingSince = now;
    const unit: Unit = { first: records[0].offset, last: records[records.length - 1].offset, settled: false, sent: null };
    this.units.push(unit);
    this.inFlight++;
    this.dispatcher.acquired();
    let oldestTimestamp = records[0].timestamp;
    for (const r of records) if (r.timestamp < oldestTimestamp) oldestTimestamp = r.timestamp;
    unit.sent = this.dispatcher.sink.send(
      { subscription: options.subscription, topic: this.topic, partition: this.partition, firstOffset: unit.first, lastOffset: unit.last, records: records.map((r) => r.json), oldestTimestamp },
      () => this.settled(unit),
    );
    if (buffered - take < this.dispatcher.maxBufferedRecords && buffered >= this.dispatcher.maxBufferedRecords) queueMicrotask(this.onRoom);
    return true;
  }

  private settled(unit: Unit): void {
    if (this.closed || unit.settled) return;
    unit.settled = true;
    this.inFlight--;
    const before = this.committedOffset;
    while (this.units.length > 0 && this.units[0].settled) this.units.shift();
    this.dispatcher.released(1);
    if (this.committedOffset !== before) this.dispatcher.progressed(this);
    this.dispatcher.pump();
  }

  private armTimer(delayMs: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dispatcher.pump();
    }, Math.max(1, delayMs));
  }
}

export class SubscriptionDispatcher {
  private readonly lanes: PartitionLane[] = [];
  private inFlight = 0;
  private next = 0;
  private pumping = false;
  private closed = false;

  constructor(
    readonly sink: MessageSink,
    public options: DispatchOptions,
    /** Called when a lane's committedOffset moved forward. */
    private readonly onProgress: (lane: PartitionLane) => void,
  ) {}

  /** Records a lane buffers before it asks the feed to wait. */
  get maxBufferedRecords(): number {
    return Math.max(4 * this.options.maxBatchRecords, 1000);
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  get laneCount(): number {
    return this.lanes.length;
  }

  openLane(topic: string, partition: number, startOffset: number, onRoom: () => void): PartitionLane {
    const lane = new PartitionLane(this, topic, partition, startOffset, onRoom);
    this.lanes.push(lane);
    return lane;
  }

  /** New batching, ordering or concurrency; takes effect for messages sent from now on. */
  update(options: DispatchOptions): void {
    this.options = options;
    this.pump();
  }

  /** Closes every lane (messages in flight are cancelled). */
  close(): void {
    this.closed = true;
    for (const lane of [...this.lanes]) lane.close();
  }

  /** Sends every message that may go now, partitions served round-robin. */
  pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      const now = Date.now();
      let progress = true;
      while (progress && this.hasSlot()) {
        progress = false;
        const count = this.lanes.length;
        for (let n = 0; n < count && this.hasSlot(); n++) {
          if (this.lanes[(this.next + n) % count]?.trySend(now)) progress = true;
        }
        if (count > 0) this.next = (this.next + 1) % count;
      }
    } finally {
      this.pumping = false;
    }
  }

  hasSlot(): boolean {
    return this.inFlight < this.options.concurrency;
  }

  /** @internal lane bookkeeping */
  acquired(): void {
    this.inFlight++;
  }

  /** @internal */
  released(count: number): void {
    this.inFlight -= count;
  }

  /** @internal */
  progressed(lane: PartitionLane): void {
    this.onProgress(lane);
  }

  /** @internal */
  removeLane(lane: PartitionLane): void {
    const i = this.lanes.indexOf(lane);
    if (i >= 0) this.lanes.splice(i, 1);
    if (!this.closed) this.pump();
  }
}
