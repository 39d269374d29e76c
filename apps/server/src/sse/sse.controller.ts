/**
 * Server-sent events: `GET /v1/topics/{topic}/events` streams a topic's records as
 * `text/event-stream` (see sse-stream.ts for the events). Query:
 *
 *   from        earliest | latest (default) | <offset> | timestamp:<ms>  (ad-hoc streams, and group
 *               members' partitions without a committed offset: earliest or latest)
 *   partitions  comma-separated partition numbers (ad-hoc; default all)
 *   keyFormat   auto (default) | json | string | binary (records/record-formats.ts)
 *   valueFormat auto (default) | json | string | binary; `format` is a shorthand for it
 *   group       join this consumer group: partitions are assigned, positions auto-committed
 *   lastEventId the same as the Last-Event-ID header, for clients that cannot set headers
 *
 * Errors found before the stream starts (unknown topic, bad query, bad Last-Event-ID, a stream
 * limit) are the usual JSON error envelope with its status; later ones are `event: error` events.
 * Limits: at most maxStreams open streams (503) and maxStreamsPerAddress from one client address
 * (429), counted from the hijack to the socket's close.
 */
import { Controller, Get, Headers, Inject, Optional, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SpoolError, silentLogger, type Logger } from '@spool/common';
import { describeRevocation, type ConnectionLease } from '@spool/security';
import { systemScheduler } from '@spool/coordinator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GroupCoordinatorService } from '../groups/group-coordinator.service.js';
import type { RootLogger } from '../logging/create-root-logger.js';
import { ROOT_LOGGER } from '../logging/logging.module.js';
import { resolveStartOffset, type StartFrom } from '../records/delivery/start-position.js';
import { PARTITION_READERS, type PartitionReaders } from '../records/partition-reader.js';
import { readFormatsOf } from '../records/record-formats.js';
import { decodeEventId } from './event-id.js';
import { SseStream } from './sse-stream.js';
import { identityOf, RequireAcl } from '../security/http-auth.js';
import { AccessControl, DISABLED_ACCESS } from '../security/access-control.js';
import { AddressCounter } from '../limits/address-counter.js';
import { SSE_OPTIONS, type SseOptions } from './sse.options.js';

function parseFrom(raw: string | undefined): StartFrom {
  if (raw === undefined || raw === '' || raw === 'latest') return 'latest';
  if (raw === 'earliest') return 'earliest';
  if (/^\d{1,16}$/.test(raw)) return { offset: Number(raw) };
  const ts = /^timestamp:(\d{1,16})$/.exec(raw);
  if (ts !== null) return { timestamp: Number(ts[1]) };
  throw new SpoolError('INVALID_REQUEST', `query parameter from must be earliest, latest, an offset or timestamp:<ms>, got ${JSON.stringify(raw)}`, { field: 'from' });
}

function parsePartitions(raw: string | undefined, count: number, topic: string): number[] {
  if (raw === undefined || raw === '') return Array.from({ length: count }, (_, i) => i);
  return [...new Set(raw.split(','))].map((s) => {
    if (!/^\d{1,10}$/.test(s)) throw new SpoolError('INVALID_REQUEST', `query parameter partitions must be comma-separated partition numbers, got ${JSON.stringify(raw)}`, { field: 'partitions' });
    const p = Number(s);
    if (p >= count) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${p} of ${topic} does not exist: the topic has ${count} partitions`, { topic, partition: p });
    return p;
  });
}

@ApiExcludeController()
@Controller('v1/topics')
export class SseController {
  private readonly logger: Logger;
  private readonly perAddress: AddressCounter;
  private openStreams = 0;

  constructor(
    @Inject(PARTITION_READERS) private readonly readers: PartitionReaders,
    private readonly coordinators: GroupCoordinatorService,
    @Inject(SSE_OPTIONS) private readonly options: SseOptions,
    @Optional() @Inject(ROOT_LOGGER) rootLogger?: RootLogger,
    @Optional() private readonly access: AccessControl = DISABLED_ACCESS,
  ) {
    this.logger = rootLogger?.child({ component: 'sse' }) ?? silentLogger;
    this.perAddress = new AddressCounter(options.maxStreamsPerAddress);
  }

  /** Counts the stream until its socket closes, or refuses it (nothing hijacked yet) at a limit. */
  private admit(req: FastifyRequest, reply: FastifyReply): void {
    if (this.openStreams >= this.options.maxStreams) {
      throw new SpoolError('BROKER_NOT_AVAILABLE', `the broker serves at most ${this.options.maxStreams} event streams`, { reason: 'stream-limit', limit: this.options.maxStreams });
    }
    const address = req.ip;
    if (!this.perAddress.tryAcquire(address)) {
      throw new SpoolError('THROTTLING_QUOTA_EXCEEDED', `at most ${this.perAddress.limit} event streams from one client address`, { reason: 'connection-limit', limit: this.perAddress.limit });
    }
    // The principal's and tenant's max_connections quota (429 THROTTLING_QUOTA_EXCEEDED, reason connection-limit).
    const identity = identityOf(req);
    let lease: ConnectionLease | null;
    try {
      lease = identity === undefined ? null : this.access.acquireConnection(identity);
    } catch (err) {
      this.perAddress.release(address);
      throw err;
    }
    this.openStreams++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.openStreams--;
      this.perAddress.release(address);
      lease?.release();
    };
    onStreamClosed(req, reply, release);
  }

  @Get(':topic/events')
  @RequireAcl({ operation: 'READ', resourceType: 'TOPIC', from: 'topic' }, { operation: 'READ', resourceType: 'GROUP', from: 'query:group' })
  async events(
    @Param('topic') topic: string,
    @Query() query: Record<string, string | undefined>,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const count = this.readers.partitionCount(topic);
    const topicId = this.readers.topicId(topic);
    const formats = readFormatsOf(query, 'query parameter');
    const from = parseFrom(query.from);
    const resume = decodeEventId(lastEventIdHeader ?? query.lastEventId ?? '');
    // Deliveries count toward the principal's consumer_byte_rate quota, as a Kafka Fetch's do (slowed, never dropped).
    const identity = identityOf(req);
    const recordDelivered = identity === undefined ? undefined : (bytes: number, records: number): number => this.access.recordDelivered(identity, bytes, records);
    const streamOptions = { topic, topicId, partitions: count, formats, highWaterMarkBytes: this.options.highWaterMarkBytes, readMaxBytes: this.options.readMaxBytes, heartbeatMs: this.options.heartbeatMs, logger: this.logger, recordDelivered };

    if (query.group !== undefined && query.group !== '') {
      if (from !== 'earliest' && from !== 'latest') throw new SpoolError('INVALID_REQUEST', 'with group, from must be earliest or latest (the reset policy)', { field: 'from' });
      const coordinator = this.coordinators.memberCoordinator;
      // Cluster mode: the leaders' offsets of partitions led elsewhere, for the start positions of the assignments to come.
      await this.readers.prepare(topic, Array.from({ length: count }, (_, p) => p));
      this.admit(req, reply);
      reply.hijack();
      const stream = new SseStream(reply.raw, this.readers, streamOptions);
      this.endAtExpiry(stream, req);
      await stream.join({
        coordinator,
        scheduler: systemScheduler,
        group: query.group,
        clientHost: req.ip,
        reset: from,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        autoCommitIntervalMs: this.options.autoCommitIntervalMs,
        resumeFrom: resume,
      });
      return;
    }

    const partitions = parsePartitions(query.partitions, count, topic);
    const offsets = new Map<number, number>();
    await this.readers.prepare(topic, partitions);
    for (const p of partitions) {
      const resumed = resume.get(p);
      offsets.set(p, await resolveStartOffset(this.readers.reader(topic, p), resumed !== undefined ? { offset: resumed } : from));
    }
    this.admit(req, reply);
    reply.hijack();
    const stream = new SseStream(reply.raw, this.readers, streamOptions);
    this.endAtExpiry(stream, req);
    stream.start(offsets);
  }

  /**
   * A stream opened with an expiring credential (a browser's JWT) ends when it expires; one opened
   * with an API key ends when the key is revoked (or its tenant deleted).
   */
  private endAtExpiry(stream: SseStream, req: FastifyRequest): void {
    const identity = identityOf(req);
    if (identity === undefined) return;
    const stopWatching = this.access.onRevocation((revocation) => {
      if (AccessControl.revokes(revocation, identity)) {
        stream.end({ code: 'SASL_AUTHENTICATION_FAILED', message: `Authentication revoked: ${describeRevocation(revocation)}; reconnect with a valid credential`, retriable: false, details: { reason: 'revoked' } });
      }
    });
    req.raw.socket?.once('close', stopWatching);
    const expiresAtMs = identity.expiresAtMs;
    if (expiresAtMs === null) return;
    const expire = (): void => {
      if (Date.now() < expiresAtMs) {
        timer = setTimeout(expire, Math.min(expiresAtMs - Date.now(), 2_147_483_647));
        timer.unref();
        return;
      }
      stream.end({ code: 'SASL_AUTHENTICATION_FAILED', message: 'Authentication expired: reconnect with a new token', retriable: false, details: { reason: 'expired' } });
    };
    let timer = setTimeout(expire, Math.min(Math.max(0, expiresAtMs - Date.now()), 2_147_483_647));
    timer.unref();
    req.raw.socket?.once('close', () => clearTimeout(timer));
  }
}

/** Calls `release` once the stream's response is closed (ended, or its connection gone), or at once if it already is. */
function onStreamClosed(req: FastifyRequest, reply: FastifyReply, release: () => void): void {
  const socket = req.raw.socket;
  if (reply.raw.destroyed || reply.raw.writableFinished || socket === null || socket.destroyed) return release();
  reply.raw.once('close', release);
}
