/**
 * One SSE response (`GET /v1/topics/{topic}/events`): partition feeds (as on a WebSocket) written
 * as `text/event-stream` events, with the socket's write buffer as the only flow control (no
 * credit: an EventSource cannot send any): past the high-water mark the stream stops reading the
 * log until Node has handed the buffered bytes to the kernel.
 *
 * Quotas: the bytes written count toward the principal's consumer_byte_rate, as a Kafka Fetch's
 * and a WebSocket's deliveries do; over it, the stream holds its deliveries for the throttle time
 * (the pump sees a full buffer) and then goes on: slowed, nothing dropped or skipped.
 *
 *   record events: `id: <position>` + `data: {"topic","partition","offset","timestamp","key","value","headers",...}`
 *                  (the record as every face renders it, records/record-renderer.ts, with topic and
 *                  partition in front; it never holds a raw line break, which would end the field)
 *   first event:    `event: topic` + `data: {"topic","topicId","partitions"}`: the topic as it was when
 *                   the stream opened, with its Kafka topic id (new each time a topic of that name is
 *                   created; also in the `spool-topic-id` response header)
 *   control events: `event: assigned | revoked | error` + `data: {...}` (no id: they do not move the position)
 *   heartbeat: a `: heartbeat` comment every heartbeat interval, so proxies keep idle streams open.
 *
 * With a group the stream is a member (server-side, as a WebSocket member) and commits the
 * positions it has written every auto-commit interval, when partitions are revoked and when the
 * stream closes. A browser reconnecting with Last-Event-ID resumes each newly assigned partition
 * from the larger of its last-seen position and the committed offset.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '@spool/common';
import { ServerSideMember, type MemberCoordinator, type Scheduler, type TopicPartition } from '@spool/coordinator';
import { DeliveryPump, type DeliveryTransport } from '../records/delivery/delivery-pump.js';
import { PartitionFeed } from '../records/delivery/partition-feed.js';
import { committedOrReset } from '../records/delivery/start-position.js';
import type { PartitionReaders } from '../records/partition-reader.js';
import type { ReadFormats } from '../records/record-formats.js';
import { rendererFor, type RecordRenderer } from '../records/record-renderer.js';
import type { RenderedRecords } from '../records/rendered-records.js';
import { errorFrame } from '../ws/ws-errors.js';
import { eventIdAround } from './event-id.js';

export interface SseStreamOptions {
  readonly topic: string;
  /** The topic's Kafka topic id and partition count, read together when the request was taken. */
  readonly topicId: string;
  readonly partitions: number;
  readonly formats: ReadFormats;
  readonly highWaterMarkBytes: number;
  readonly readMaxBytes: number;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  /** Counts delivered bytes against the consumer quota; the throttle time it asks for (0: none). */
  readonly recordDelivered?: (bytes: number, records: number) => number;
}

export interface SseGroupOptions {
  readonly coordinator: MemberCoordinator;
  readonly scheduler: Scheduler;
  readonly group: string;
  readonly clientHost: string;
  readonly reset: 'earliest' | 'latest';
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly autoCommitIntervalMs: number;
  /** Positions from Last-Event-ID. */
  readonly resumeFrom: ReadonlyMap<number, number>;
}

export class SseStream implements DeliveryTransport {
  private readonly pump: DeliveryPump;
  private readonly feeds = new Map<number, PartitionFeed>();
  /** Next offset per partition after the last record written: what the event ids carry. */
  private readonly position = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private autoCommit: NodeJS.Timeout | undefined;
  private member: ServerSideMember | null = null;
  private closed = false;
  private throttledUntilMs = 0;
  private throttleTimer: NodeJS.Timeout | undefined;
  private readonly onWritten = (): void => this.pump.onWritten();
  private readonly renderer: RecordRenderer;
  /** `"topic":<t>,"partition":` as bytes, put in front of each record's fields. */
  private readonly topicField: string;

  constructor(
    private readonly res: ServerResponse,
    private readonly readers: PartitionReaders,
    private readonly options: SseStreamOptions,
  ) {
    this.renderer = rendererFor(options.formats, readers.schemaDecoder);
    this.topicField = `{"topic":${JSON.stringify(options.topic)},"partition":`;
    this.pump = new DeliveryPump(this, {
      highWaterMarkBytes: options.highWaterMarkBytes,
      lowWaterMarkBytes: Math.floor(options.highWaterMarkBytes / 4),
      maxFrameRecords: 1000,
      maxFrameBytes: 256 * 1024,
      initialCreditRecords: Infinity,
      initialCreditBytes: Infinity,
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'spool-topic-id': options.topicId,
    });
    res.write('retry: 1000\n: spool\n\n');
    // Named, so an EventSource's onmessage (records only) never sees it.
    this.writeEvent('topic', { topic: options.topic, topicId: options.topicId, partitions: options.partitions });
    this.heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs);
    this.heartbeat.unref();
    res.on('close', () => this.close());
  }

  /** Ad-hoc: deliver these partitions from these offsets. */
  start(offsets: ReadonlyMap<number, number>): void {
    for (const [partition, offset] of offsets) {
      this.position.set(partition, offset);
      this.addFeed(partition, offset);
    }
  }

  /** Group: join and deliver what the coordinator assigns. */
  async join(group: SseGroupOptions): Promise<void> {
    const member = new ServerSideMember(
      group.coordinator,
      group.scheduler,
      {
        groupId: group.group,
        clientId: 'spool-sse',
        clientHost: group.clientHost,
        topics: [this.options.topic],
        assignor: 'range',
        sessionTimeoutMs: group.sessionTimeoutMs,
        rebalanceTimeoutMs: group.rebalanceTimeoutMs,
      },
      {
        onAssigned: ({ generationId, partitions }) => {
          const started = partitions.map((p) => {
            const resumed = group.resumeFrom.get(p.partition);
            const reader = this.readers.reader(p.topic, p.partition);
            let offset = committedOrReset(reader, p.committedOffset, group.reset);
            if (resumed !== undefined && resumed > offset && resumed <= reader.highWatermark()) offset = resumed;
            this.position.set(p.partition, offset);
            this.committed.set(p.partition, p.committedOffset ?? -1);
            this.addFeed(p.partition, offset);
            return { topic: p.topic, partition: p.partition, offset };
          });
          this.writeEvent('assigned', { group: group.group, generationId, partitions: started });
        },
        onRevoked: async ({ generationId, partitions }) => {
          for (const p of partitions) this.removeFeed(p.partition);
          await this.commit(partitions);
          for (const p of partitions) this.position.delete(p.partition);
          this.writeEvent('revoked', { group: group.group, generationId, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) });
        },
        onFatalError: (code) => this.writeEvent('error', { code, message: `group membership ended with ${code}` }),
      },
    );
    this.member = member;
    this.autoCommit = setInterval(() => void this.commit(member.ownedPartitions), group.autoCommitIntervalMs);
    this.autoCommit.unref();
    await member.start();
  }

  bufferedAmount(): number {
    // While the consumer quota throttles this stream, the pump sees a full buffer and waits.
    if (this.throttledUntilMs > Date.now()) return Number.MAX_SAFE_INTEGER;
    return this.res.writableLength;
  }

  /** One chunk of events, a record each: `id: <position>` and the record's JSON bytes after the topic and partition. */
  deliver(feed: PartitionFeed, records: RenderedRecords, from: number, to: number): void {
    const { before, after } = eventIdAround(this.position, feed.partition);
    // Built once for every stream with the same id around the events (RenderedRecords.eventsFor).
    const chunk = records.eventsFor(`id: ${before}`, `${after}\ndata: ${this.topicField}${feed.partition},`, from, to);
    this.position.set(feed.partition, records.offsets[to - 1] + 1);
    this.res.write(chunk, this.onWritten);
    this.throttle(this.options.recordDelivered?.(chunk.length, to - from) ?? 0);
  }

  private throttle(throttleMs: number): void {
    if (throttleMs <= 0 || this.closed) return;
    this.throttledUntilMs = Date.now() + throttleMs;
    clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(() => this.pump.onWritten(), throttleMs + 1);
  }

  private writeEvent(event: string, data: object): void {
    if (!this.closed) this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, this.onWritten);
  }

  private addFeed(partition: number, offset: number): void {
    const feed = new PartitionFeed(this.readers, this.readers.reader(this.options.topic, partition), {
      topic: this.options.topic,
      partition,
      startOffset: offset,
      renderer: this.renderer,
      readMaxBytes: this.options.readMaxBytes,
      onReady: () => this.pump.schedule(),
      onError: (failed, err) => {
        this.writeEvent('error', errorFrame(err, undefined, this.options.logger, { topic: failed.topic, partition, offset: failed.position }));
        this.feeds.delete(partition);
      },
    });
    this.feeds.set(partition, feed);
    this.pump.add(feed);
  }

  private removeFeed(partition: number): void {
    const feed = this.feeds.get(partition);
    if (feed === undefined) return;
    this.pump.remove(feed);
    this.feeds.delete(partition);
  }

  /** Commits the written positions of `partitions` that moved since the last commit. */
  private async commit(partitions: readonly TopicPartition[]): Promise<void> {
    if (this.member === null) return;
    const offsets = partitions
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: this.position.get(p.partition) }))
      .filter((o): o is { topic: string; partition: number; offset: number } => o.offset !== undefined && o.offset !== this.committed.get(o.partition));
    if (offsets.length === 0) return;
    const code = await this.member.commit(offsets);
    if (code === 'NONE') for (const o of offsets) this.committed.set(o.partition, o.offset);
    else this.options.logger.debug({ code, group: this.member.memberId }, 'sse auto-commit refused');
  }

  /**
   * Ends the stream with an `event: error` (the credential expired): the browser's EventSource
   * reconnects after `retry`, and the new request needs a fresh token.
   */
  end(error: object): void {
    if (this.closed) return;
    this.writeEvent('error', error);
    this.res.end();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.autoCommit);
    clearTimeout(this.throttleTimer);
    this.pump.close();
    const member = this.member;
    if (member !== null) {
      // Commit what was written, then leave (revoke first: no two owners).
      void this.commit(member.ownedPartitions)
        .catch(() => undefined)
        .then(() => member.leave())
        .catch((err: unknown) => this.options.logger.warn({ err }, 'sse leave failed'));
    }
  }
}
