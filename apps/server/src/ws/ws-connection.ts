/**
 * One WebSocket connection on `/v1/ws`: parses client frames, keeps the connection's
 * subscriptions and group memberships, and delivers records through one DeliveryPump (credit +
 * bufferedAmount backpressure; see delivery/delivery-pump.ts). A malformed or failing frame is
 * answered with an error frame and the connection goes on; nothing a client sends can throw out
 * of this class. Closing the socket stops every feed and leaves every group at once.
 */
import type { Duplex } from 'node:stream';
import { SpoolError, type Logger } from '@spool/common';
import type { MemberCoordinator, Scheduler } from '@spool/coordinator';
import type { WebSocket } from 'ws';
import { appendedRecords, type ProduceService } from '../produce/produce.service.js';
import { DeliveryPump, type DeliveryTransport } from '../records/delivery/delivery-pump.js';
import { PartitionFeed } from '../records/delivery/partition-feed.js';
import { committedOrReset, resolveStartOffset } from '../records/delivery/start-position.js';
import type { PartitionReaders } from '../records/partition-reader.js';
import type { ReadFormats } from '../records/record-formats.js';
import { rendererFor } from '../records/record-renderer.js';
import type { RenderedRecords } from '../records/rendered-records.js';
import { handleProduceFrame } from './ws-produce.js';
import { CLOSE_TRY_AGAIN_LATER, CLOSE_UNAUTHENTICATED, WsAuth, type WsAuthHost } from './ws-auth.js';
import type { AccessControl } from '../security/access-control.js';
import type { ConnectionLease, Identity } from '@spool/security';
import { errorFrame } from './ws-errors.js';
import { assertJsonDepth } from '../limits/json-depth.js';
import { parseClientFrame, type ClientFrame, type CommitFrame, type JoinFrame, type PauseFrame, type SubscribeFrame } from './ws-frames.js';
import { WsMembership, type MembershipHost } from './ws-membership.js';
import type { WsOptions } from './ws.options.js';

export interface WsConnectionDeps {
  readonly readers: PartitionReaders;
  readonly produce: ProduceService;
  /** Throws COORDINATOR_LOAD_IN_PROGRESS while the coordinator is loading; in cluster mode it reaches each group's coordinator wherever it is. */
  readonly coordinator: () => MemberCoordinator;
  readonly scheduler: Scheduler;
  readonly options: WsOptions;
  readonly logger: Logger;
  readonly access: AccessControl;
  /** Whether a topic exists (a produce to one that does not also needs what creating it needs). */
  readonly topicExists: (topic: string) => boolean;
}

interface Subscription {
  readonly id: string;
  readonly feeds: Set<PartitionFeed>;
  readonly membership: WsMembership | null;
  readonly formats: ReadFormats;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
/** Records frames are JSON text built as bytes: send them as text frames. */
const TEXT_FRAME = { binary: false } as const;
/** WebSocket.OPEN (the ws type import is type-only here). */
const OPEN = 1;

export class WsConnection implements DeliveryTransport, MembershipHost, WsAuthHost {
  readonly clientHost: string;
  private readonly auth: WsAuth;
  private readonly pump: DeliveryPump;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly feedsByPartition = new Map<string, PartitionFeed>();
  private readonly ownerOf = new Map<PartitionFeed, string>();
  /** Per feed, the records frame's fields before "bytes" (type, id, topic, partition), JSON-escaped once. */
  private readonly frameHeads = new Map<PartitionFeed, string>();
  private inflightProduce = 0;
  private throttledUntilMs = 0;
  private throttleTimer: NodeJS.Timeout | undefined;
  /** While the producer quota throttles this connection, its socket is not read (until this time). */
  private produceThrottledUntilMs = 0;
  private produceThrottleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastHeardMs = Date.now();
  private readonly onWritten = (): void => this.pump.onWritten();

  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Duplex,
    clientHost: string,
    private readonly deps: WsConnectionDeps,
    /** Proven at the upgrade, or null: then the first frame must authenticate (security on). */
    identity: Identity | null = null,
    /** The max_connections lease taken for `identity` at the upgrade (released at close). */
    lease: ConnectionLease | null = null,
  ) {
    this.clientHost = clientHost;
    this.auth = new WsAuth(deps.access, clientHost, identity, this, deps.options.authTimeoutMs, lease);
    const o = deps.options;
    this.pump = new DeliveryPump(this, {
      highWaterMarkBytes: o.highWaterMarkBytes,
      lowWaterMarkBytes: o.lowWaterMarkBytes,
      maxFrameRecords: o.maxFrameRecords,
      maxFrameBytes: o.maxFrameBytes,
      initialCreditRecords: o.initialCreditRecords,
      initialCreditBytes: o.initialCreditBytes,
    });
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', () => (this.lastHeardMs = Date.now()));
    socket.on('close', () => this.onClose());
    socket.on('error', (err) => deps.logger.debug({ err, clientHost }, 'websocket error'));
    this.sendFrame({
      type: 'hello',
      credit: { records: o.initialCreditRecords, bytes: o.initialCreditBytes },
      maxPayloadBytes: o.maxPayloadBytes,
      pingIntervalMs: o.pingIntervalMs,
      ...(this.auth.pending && { authentication: 'required' }),
    });
  }

  /** Milliseconds since the peer last sent a frame or answered a ping. */
  silentForMs(now: number): number {
    return now - this.lastHeardMs;
  }

  /** The broker's event loop was held for `heldMs`: that time does not count as the peer's silence. */
  excuseSilence(heldMs: number, now: number): void {
    this.lastHeardMs = Math.min(now, this.lastHeardMs + heldMs);
  }

  /** Shortest session timeout of this connection's memberships (the peer must be heard within it). */
  get sessionTimeoutMs(): number {
    let min = Infinity;
    for (const s of this.subscriptions.values()) if (s.membership !== null) min = Math.min(min, s.membership.sessionTimeoutMs);
    return min;
  }

  // ------------------------------------------------------------ DeliveryTransport

  bufferedAmount(): number {
    // While the consumer quota throttles this connection, the pump sees a full buffer and waits:
    // delivery is slowed, nothing is dropped (the records stay in the log).
    if (this.throttledUntilMs > Date.now()) return Number.MAX_SAFE_INTEGER;
    return this.socket.bufferedAmount;
  }

  /** Counts `bytes` against the consumer quota (and `records` in the tenant's usage); over it, holds deliveries for the throttle time. */
  private recordDelivered(bytes: number, records: number): void {
    const identity = this.auth.current;
    if (identity === null) return;
    const throttleMs = this.deps.access.recordDelivered(identity, bytes, records);
    if (throttleMs <= 0) return;
    this.throttledUntilMs = Date.now() + throttleMs;
    clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(() => this.pump.onWritten(), throttleMs + 1);
  }

  /**
   * One records frame, built from the rendered bytes without parsing them (RenderedRecords.frameFor).
   * Without permessage-deflate the frame is written to the socket as it goes on the wire, header
   * included, so subscriptions with the same id at the same position of a partition write the very
   * same Buffer: built once, however many sockets it goes to. (ws writes its own frames
   * synchronously when nothing is being compressed, so these writes keep their order with its
   * acks and pings.) With permessage-deflate, ws compresses and frames it for this socket.
   */
  deliver(feed: PartitionFeed, records: RenderedRecords, from: number, to: number): void {
    const head = this.frameHeads.get(feed) ?? `{"type":"records","id":"","topic":${JSON.stringify(feed.topic)},"partition":${feed.partition},`;
    if (this.socket.extensions === '') {
      if (this.socket.readyState !== OPEN) return;
      const frame = records.frameFor(head, from, to, true);
      this.raw.write(frame, this.onWritten);
      this.recordDelivered(frame.length, to - from);
    } else {
      const frame = records.frameFor(head, from, to);
      this.socket.send(frame, TEXT_FRAME, this.onWritten);
      this.recordDelivered(frame.length, to - from);
    }
  }

  // ------------------------------------------------------------ MembershipHost

  startFeed(ownerId: string, topic: string, partition: number, committed: number | null, reset: 'earliest' | 'latest'): { offset: number } | null {
    const subscription = this.subscriptions.get(ownerId);
    if (subscription === undefined || this.closed) return null;
    try {
      this.checkPartitionLimit(1);
      const offset = committedOrReset(this.deps.readers.reader(topic, partition), committed, reset);
      this.addFeed(subscription, topic, partition, offset);
      return { offset };
    } catch (err) {
      this.sendFrame(errorFrame(err, ownerId, this.deps.logger, { topic, partition }));
      return null;
    }
  }

  stopFeed(ownerId: string, topic: string, partition: number): number | null {
    const feed = this.feedsByPartition.get(tpKey(topic, partition));
    if (feed === undefined || this.ownerOf.get(feed) !== ownerId) return null;
    this.removeFeed(feed);
    return feed.position;
  }

  sendFrame(frame: object): void {
    if (this.closed) return;
    this.socket.send(JSON.stringify(frame), this.onWritten);
  }

  closeUnauthenticated(err: unknown, id: string | undefined): void {
    if (this.closed) return;
    this.sendFrame(errorFrame(err, id, this.deps.logger));
    this.socket.close(CLOSE_UNAUTHENTICATED, 'authentication failed');
  }

  closeTryAgainLater(err: unknown, id: string | undefined): void {
    if (this.closed) return;
    this.sendFrame(errorFrame(err, id, this.deps.logger));
    this.socket.close(CLOSE_TRY_AGAIN_LATER, 'connection limit reached');
  }

  onFatal(id: string, code: string): void {
    this.sendFrame({ type: 'error', id, code, message: `group membership ${JSON.stringify(id)} ended with ${code}`, retriable: false });
    this.dropSubscription(id);
  }

  // ------------------------------------------------------------ frames

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastHeardMs = Date.now();
    let frame: ClientFrame;
    try {
      if (isBinary) throw new SpoolError('INVALID_REQUEST', 'invalid frame: binary frames are not part of the protocol; send JSON text frames', { field: 'frame' });
      assertJsonDepth(data, this.deps.options.maxJsonDepth, 'the frame');
      frame = parseClientFrame(data.toString('utf8'));
    } catch (err) {
      const id = err instanceof SpoolError && typeof err.details.id === 'string' ? err.details.id : undefined;
      this.sendFrame(errorFrame(err, id, this.deps.logger));
      return;
    }
    const id = 'id' in frame ? frame.id : undefined;
    this.dispatch(frame, data.length).catch((err: unknown) => this.sendFrame(errorFrame(err, id, this.deps.logger)));
  }

  private async dispatch(frame: ClientFrame, frameBytes: number): Promise<void> {
    if (frame.type === 'authenticate') return this.auth.authenticate(frame.token, frame.id);
    if (this.auth.pending) {
      const id = 'id' in frame ? frame.id : undefined;
      return this.closeUnauthenticated(new SpoolError('SASL_AUTHENTICATION_FAILED', `Authentication required: send { "type": "authenticate", "token": ... } before ${frame.type}`, { reason: 'missing' }), id);
    }
    this.auth.check(frame, this.deps.topicExists);
    switch (frame.type) {
      case 'subscribe':
        return this.subscribe(frame);
      case 'join':
        return this.join(frame);
      case 'commit':
        return this.commit(frame);
      case 'credit':
        this.pump.grant(frame.records, frame.bytes);
        return;
      case 'pause':
      case 'resume':
        return this.pauseOrResume(frame);
      case 'produce':
        return this.produceFrame(frame, frameBytes);
      case 'unsubscribe':
      case 'leave':
        return this.unsubscribe(frame.type, frame.id);
    }
  }

  private async subscribe(frame: SubscribeFrame): Promise<void> {
    this.reserve(frame.id);
    const count = this.deps.readers.partitionCount(frame.topic);
    // Read with the count, in the same tick: the id names the incarnation whose partitions were counted.
    const topicId = this.deps.readers.topicId(frame.topic);
    const partitions = frame.partitions ?? Array.from({ length: count }, (_, i) => i);
    for (const p of partitions) {
      if (p >= count) throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${p} of ${frame.topic} does not exist: the topic has ${count} partitions`, { topic: frame.topic, partition: p });
      if (this.feedsByPartition.has(tpKey(frame.topic, p))) {
        throw new SpoolError('INVALID_REQUEST', `partition ${p} of ${frame.topic} is already delivered on this connection`, { topic: frame.topic, partition: p });
      }
    }
    this.checkPartitionLimit(partitions.length);
    const subscription: Subscription = { id: frame.id, feeds: new Set(), membership: null, formats: frame.formats };
    this.subscriptions.set(frame.id, subscription);
    try {
      const explicit = new Map((frame.positions ?? []).map((p) => [p.partition, p.offset]));
      await this.deps.readers.prepare(frame.topic, partitions);
      const offsets = await Promise.all(
        partitions.map((p) => {
          const at = explicit.get(p);
          return resolveStartOffset(this.deps.readers.reader(frame.topic, p), at === undefined ? frame.from : { offset: at });
        }),
      );
      if (this.closed || this.subscriptions.get(frame.id) !== subscription) return;
      // The ack goes out before any records frame: the pump sends on a later macrotask.
      this.sendFrame({ type: 'ack', id: frame.id, topic: frame.topic, topicId, partitions: partitions.map((partition, i) => ({ partition, offset: offsets[i] })) });
      partitions.forEach((p, i) => this.addFeed(subscription, frame.topic, p, offsets[i]));
    } catch (err) {
      this.subscriptions.delete(frame.id);
      throw err;
    }
  }

  private async join(frame: JoinFrame): Promise<void> {
    this.reserve(frame.id);
    for (const s of this.subscriptions.values()) {
      if (s.membership?.group === frame.group) throw new SpoolError('INVALID_REQUEST', `this connection is already a member of group ${JSON.stringify(frame.group)} (join ${JSON.stringify(s.id)})`, { group: frame.group });
    }
    const coordinator = this.deps.coordinator();
    const o = this.deps.options;
    const membership = new WsMembership(coordinator, this.deps.scheduler, frame, this, {
      sessionTimeoutMs: frame.sessionTimeoutMs ?? o.sessionTimeoutMs,
      rebalanceTimeoutMs: frame.rebalanceTimeoutMs ?? o.rebalanceTimeoutMs,
    });
    const subscription: Subscription = { id: frame.id, feeds: new Set(), membership, formats: frame.formats };
    this.subscriptions.set(frame.id, subscription);
    // Cluster mode: the leaders' offsets of partitions led elsewhere, for the start positions of the assignments to come.
    await prepareTopics(this.deps.readers, frame.topics);
    await membership.member.start();
    if (this.closed || this.subscriptions.get(frame.id) !== subscription) return;
    this.sendFrame({ type: 'ack', id: frame.id, group: frame.group, memberId: membership.member.memberId, generationId: membership.member.generationId });
  }

  private async commit(frame: CommitFrame): Promise<void> {
    let membership: WsMembership | null = null;
    for (const s of this.subscriptions.values()) if (s.membership?.group === frame.group) membership = s.membership;
    let code;
    if (membership !== null) {
      code = membership.fence(frame.offsets, frame.generationId) ?? (await membership.member.commit(frame.offsets));
    } else {
      code = await this.deps.coordinator().commitOffsets({ groupId: frame.group, memberId: '', generationId: -1, offsets: frame.offsets });
    }
    if (code !== 'NONE') {
      throw new SpoolError(code, `commit to group ${JSON.stringify(frame.group)} refused with ${code}`, { group: frame.group, ...(frame.generationId !== undefined && { generationId: frame.generationId }) });
    }
    this.sendFrame({ type: 'ack', id: frame.id, group: frame.group, offsets: frame.offsets });
  }

  private pauseOrResume(frame: PauseFrame): void {
    for (const feed of this.feedsByPartition.values()) {
      if (feed.topic !== frame.topic || (frame.partitions !== undefined && !frame.partitions.includes(feed.partition))) continue;
      feed.paused = frame.type === 'pause';
    }
    if (frame.type === 'resume') this.pump.schedule();
  }

  private async produceFrame(frame: Extract<ClientFrame, { type: 'produce' }>, frameBytes: number): Promise<void> {
    // Bounded produce memory: past the limit stop reading the socket until appends complete.
    if (++this.inflightProduce >= this.deps.options.maxInflightProduce) this.raw.pause();
    try {
      const results = await handleProduceFrame(this.deps.produce, frame);
      this.sendFrame({ type: 'ack', id: frame.id, topic: frame.topic, results });
      this.recordProduced(frameBytes, appendedRecords(results));
    } finally {
      if (--this.inflightProduce < this.deps.options.maxInflightProduce) this.resumeReading();
    }
  }

  /**
   * Counts a produce frame's bytes against the principal's producer quota (as an HTTP produce's
   * body counts); over it, the socket is not read for the throttle time, as Kafka mutes a
   * throttled connection: the client's next frames wait in the TCP buffers, none is refused or lost.
   */
  private recordProduced(bytes: number, records: number): void {
    const identity = this.auth.current;
    if (identity === null) return;
    const throttleMs = this.deps.access.recordStreamProduce(identity, bytes, records);
    if (throttleMs <= 0) return;
    this.produceThrottledUntilMs = Date.now() + throttleMs;
    this.raw.pause();
    clearTimeout(this.produceThrottleTimer);
    this.produceThrottleTimer = setTimeout(() => this.resumeReading(), throttleMs + 1);
  }

  /** Reads the socket again unless it is closed, throttled, or at its in-flight produce limit. */
  private resumeReading(): void {
    if (this.closed || this.produceThrottledUntilMs > Date.now() || this.inflightProduce >= this.deps.options.maxInflightProduce) return;
    this.raw.resume();
  }

  private async unsubscribe(type: 'unsubscribe' | 'leave', id: string): Promise<void> {
    const subscription = this.subscriptions.get(id);
    if (subscription === undefined || (type === 'leave') !== (subscription.membership !== null)) {
      throw new SpoolError('INVALID_REQUEST', `no ${type === 'leave' ? 'group membership' : 'subscription'} with id ${JSON.stringify(id)} on this connection`, { field: 'id' });
    }
    const positions = [...subscription.feeds].map((f) => ({ topic: f.topic, partition: f.partition, offset: f.position }));
    if (subscription.membership !== null) await subscription.membership.member.leave();
    this.dropSubscription(id);
    this.sendFrame({ type: 'ack', id, partitions: positions });
  }

  // ------------------------------------------------------------ feeds

  private reserve(id: string): void {
    if (this.subscriptions.has(id)) throw new SpoolError('INVALID_REQUEST', `id ${JSON.stringify(id)} is already in use on this connection`, { field: 'id' });
    if (this.subscriptions.size >= this.deps.options.maxSubscriptionsPerConnection) {
      throw new SpoolError('INVALID_REQUEST', `a connection may have at most ${this.deps.options.maxSubscriptionsPerConnection} subscriptions and memberships`, {
        reason: 'subscription-limit',
        limit: this.deps.options.maxSubscriptionsPerConnection,
      });
    }
  }

  private checkPartitionLimit(adding: number): void {
    const limit = this.deps.options.maxPartitionsPerConnection;
    if (this.feedsByPartition.size + adding > limit) {
      throw new SpoolError('INVALID_REQUEST', `a connection may read at most ${limit} partitions at once (${this.feedsByPartition.size} + ${adding} asked)`, { reason: 'partition-limit', limit });
    }
  }

  private addFeed(subscription: Subscription, topic: string, partition: number, offset: number): void {
    const feed = new PartitionFeed(this.deps.readers, this.deps.readers.reader(topic, partition), {
      topic,
      partition,
      startOffset: offset,
      renderer: rendererFor(subscription.formats, this.deps.readers.schemaDecoder),
      readMaxBytes: this.deps.options.readMaxBytes,
      onReady: () => this.pump.schedule(),
      onError: (failed, err) => {
        this.sendFrame(errorFrame(err, subscription.id, this.deps.logger, { topic, partition, offset: failed.position }));
        this.removeFeed(failed);
      },
    });
    subscription.feeds.add(feed);
    this.feedsByPartition.set(tpKey(topic, partition), feed);
    this.ownerOf.set(feed, subscription.id);
    this.frameHeads.set(feed, `{"type":"records","id":${JSON.stringify(subscription.id)},"topic":${JSON.stringify(topic)},"partition":${partition},`);
    this.pump.add(feed);
  }

  private removeFeed(feed: PartitionFeed): void {
    this.pump.remove(feed);
    const key = tpKey(feed.topic, feed.partition);
    if (this.feedsByPartition.get(key) === feed) this.feedsByPartition.delete(key);
    const owner = this.ownerOf.get(feed);
    if (owner !== undefined) this.subscriptions.get(owner)?.feeds.delete(feed);
    this.ownerOf.delete(feed);
    this.frameHeads.delete(feed);
  }

  private dropSubscription(id: string): void {
    const subscription = this.subscriptions.get(id);
    if (subscription === undefined) return;
    for (const feed of [...subscription.feeds]) this.removeFeed(feed);
    this.subscriptions.delete(id);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.auth.close();
    clearTimeout(this.throttleTimer);
    clearTimeout(this.produceThrottleTimer);
    this.pump.close();
    for (const s of this.subscriptions.values()) {
      // Socket close = immediate leave (revoke first, so the group never sees two owners).
      if (s.membership !== null) s.membership.member.leave().catch((err: unknown) => this.deps.logger.warn({ err, group: s.membership?.group }, 'leave on close failed'));
    }
    this.subscriptions.clear();
    this.feedsByPartition.clear();
  }
}

/** Primes the readers of every partition of `topics` that exist (unknown ones fail later, where they are read). */
async function prepareTopics(readers: PartitionReaders, topics: readonly string[]): Promise<void> {
  for (const topic of topics) {
    let count: number;
    try {
      count = readers.partitionCount(topic);
    } catch {
      continue;
    }
    await readers.prepare(topic, Array.from({ length: count }, (_, p) => p));
  }
}
