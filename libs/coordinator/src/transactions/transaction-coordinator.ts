/**
 * Kafka's transaction coordinator (KIP-98; the state machine of Kafka's TransactionCoordinator
 * and TransactionStateManager, transaction version 1: the epoch is bumped by InitProducerId and
 * by fencing, not at every commit). A transactional id lives in partition
 * `abs(hash(transactionalId)) % partitionCount` of `__transaction_state`; the broker leading that
 * partition coordinates it (`loadPartition` / `unloadPartition`, as the group coordinator does).
 *
 * Per transactional id (TxnStatus):
 *
 *   Empty ──AddPartitions/AddOffsets──> Ongoing ──EndTxn(commit)──> PrepareCommit ──markers──> CompleteCommit
 *     ^                                    │    ──EndTxn(abort) ──> PrepareAbort  ──markers──> CompleteAbort
 *     └──────────InitProducerId (epoch + 1)─┴── (from Empty or Complete*; from Ongoing it fences:
 *                                                 epoch + 1, abort with that epoch, the caller retries)
 *
 *   transaction.timeout.ms: an Ongoing transaction older than its timeout is aborted the same way
 *   (the epoch bump fences the producer that abandoned it: its next request is PRODUCER_FENCED).
 *
 * Every change is written to the partition's TxnStateLog first and applied in memory only once
 * the append resolved, so what a client was told survives a crash. A Prepare* state is the
 * decision: once it is durable EndTxn answers, then the markers are written to every partition of
 * the transaction (retried until each leader took its marker), then Complete* is written. A
 * coordinator that loads a partition finds Prepare* transactions and finishes them; Ongoing ones
 * wait for their timeout. Requests for one transactional id run one at a time.
 */
import { systemClock, silentLogger, type Clock, type Logger } from '@spool/common';
import { consumerOffsetsPartitionFor } from '../offsets-partitions.js';
import { systemScheduler, type Scheduler, type TimerHandle } from '../scheduler.js';
import {
  TxnStatus,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  type TransactionLogValue,
  type TxnTopicPartition,
} from './transaction-log.codec.js';
import type { ProducerIdSource, TxnErrorCode, TxnMarkerChannel, TxnStateLog } from './transaction-ports.js';

/** Producer epochs are int16; the last one is kept for fencing (Kafka's rule). */
const MAX_PRODUCER_EPOCH = 32767;

export interface TransactionCoordinatorConfig {
  /** Partitions of `__transaction_state` (Kafka's transaction.state.log.num.partitions, 50). */
  readonly partitionCount: number;
  /** The longest transaction.timeout.ms a producer may ask for (transaction.max.timeout.ms, 15 min). */
  readonly maxTimeoutMs: number;
  /** How often Ongoing transactions are checked against their timeout (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
  readonly abortTimedOutIntervalMs: number;
  /** Pause before markers that a leader refused are sent again. */
  readonly markerRetryBackoffMs: number;
}

export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: TransactionCoordinatorConfig = {
  partitionCount: 50,
  maxTimeoutMs: 900_000,
  abortTimedOutIntervalMs: 10_000,
  markerRetryBackoffMs: 100,
};

export interface TransactionCoordinatorOptions {
  readonly producerIds: ProducerIdSource;
  readonly markers: TxnMarkerChannel;
  readonly config?: Partial<TransactionCoordinatorConfig>;
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
}

interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (a retried InitProducerId is recognised by it); -1 none. */
  lastProducerEpoch: number;
  timeoutMs: number;
  status: TxnStatus;
  partitions: TxnTopicPartition[];
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
  /** Tail of the requests for this id (one at a time). */
  lock: Promise<unknown>;
}

interface LoadedPartition {
  readonly log: TxnStateLog;
  readonly coordinatorEpoch: number;
  readonly token: number;
  loaded: boolean;
  readonly txns: Map<string, TxnMetadata>;
}

export type InitProducerIdResult = { readonly errorCode: 'NONE'; readonly producerId: number; readonly producerEpoch: number } | { readonly errorCode: Exclude<TxnErrorCode, 'NONE'> };

export interface TxnRequest {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Java's String.hashCode (Kafka's partitionFor for transactional ids too). */
export function transactionStatePartitionFor(transactionalId: string, partitionCount: number): number {
  return consumerOffsetsPartitionFor(transactionalId, partitionCount);
}

export class TransactionCoordinator {
  readonly config: TransactionCoordinatorConfig;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly partitions = new Map<number, LoadedPartition>();
  private nextToken = 0;
  private timer: TimerHandle | null = null;
  private closed = false;

  constructor(private readonly options: TransactionCoordinatorOptions) {
    this.config = { ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG, ...options.config };
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.logger = (options.logger ?? silentLogger).child({ component: 'transaction-coordinator' });
    this.scheduleTimeoutCheck();
  }

  partitionFor(transactionalId: string): number {
    return transactionStatePartitionFor(transactionalId, this.config.partitionCount);
  }

  /** Stops the timeout check; completions in flight stop at their next step. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.partitions.clear();
  }

  // ------------------------------------------------------------------ partitions

  /**
   * Takes over partition `partition` of `__transaction_state` (this broker became its leader at
   * `coordinatorEpoch`, the partition's leader epoch, which every marker carries): replays it, then
   * finishes the transactions it finds prepared. Its ids answer COORDINATOR_LOAD_IN_PROGRESS until
   * the promise resolves.
   */
  async loadPartition(partition: number, log: TxnStateLog, coordinatorEpoch: number): Promise<void> {
    const state: LoadedPartition = { log, coordinatorEpoch, token: ++this.nextToken, loaded: false, txns: new Map() };
    this.partitions.set(partition, state);
    const values = new Map<string, TransactionLogValue>();
    try {
      for await (const record of log.replay()) {
        const id = decodeTransactionLogKey(record.key);
        if (record.value === null) values.delete(id);
        else values.set(id, decodeTransactionLogValue(record.value));
      }
    } catch (err) {
      if (this.partitions.get(partition) === state) this.partitions.delete(partition);
      throw err;
    }
    if (this.partitions.get(partition) !== state) return; // unloaded meanwhile
    for (const [id, v] of values) {
      state.txns.set(id, {
        transactionalId: id,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        lastProducerEpoch: -1,
        timeoutMs: v.transactionTimeoutMs,
        status: v.status,
        partitions: [...v.partitions],
        startTimestampMs: v.startTimestampMs,
        lastUpdateTimestampMs: v.lastUpdateTimestampMs,
        lock: Promise.resolve(),
      });
    }
    state.loaded = true;
    let resumed = 0;
    for (const meta of state.txns.values()) {
      if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort) {
        resumed++;
        void this.withLock(meta, async () => undefined).then(() => this.completeTransaction(partition, state, meta));
      }
    }
    this.logger.info({ partition, transactionalIds: state.txns.size, resumed }, 'loaded __transaction_state partition');
  }

  /** Gives partition `partition` up (another broker leads it now): its ids answer NOT_COORDINATOR. */
  unloadPartition(partition: number): void {
    if (this.partitions.delete(partition)) this.logger.info({ partition }, 'unloaded __transaction_state partition');
  }

  /** Whether this coordinator serves `transactionalId` now, else why not. */
  private partitionOf(transactionalId: string): LoadedPartition | Exclude<TxnErrorCode, 'NONE'> {
    if (this.closed) return 'COORDINATOR_NOT_AVAILABLE';
    const state = this.partitions.get(this.partitionFor(transactionalId));
    if (state === undefined) return 'NOT_COORDINATOR';
    return state.loaded ? state : 'COORDINATOR_LOAD_IN_PROGRESS';
  }

  // ------------------------------------------------------------------ APIs

  /**
   * InitProducerId with a transactional id: a new producer id (epoch 0) for a new id; else the
   * id's producer with its epoch bumped, which fences every older instance. An Ongoing
   * transaction is aborted first (CONCURRENT_TRANSACTIONS: the client asks again). `expected`
   * (v3+: the producer's current id and epoch, to resume after an error) must be the id's.
   */
  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs) return { errorCode: 'INVALID_TRANSACTION_TIMEOUT' };
    const state = this.partitionOf(transactionalId);
    if (typeof state === 'string') return { errorCode: state };
    let meta = state.txns.get(transactionalId);
    if (meta === undefined) {
      const producerId = await this.options.producerIds.nextProducerId();
      meta = state.txns.get(transactionalId); // another request may have created it meanwhile
      if (meta === undefined) {
        meta = {
          transactionalId, producerId, producerEpoch: -1, lastProducerEpoch: -1, timeoutMs, status: TxnStatus.Empty, partitions: [], startTimestampMs: -1,
          lastUpdateTimestampMs: this.clock.now(), lock: Promise.resolve(),
        };
        state.txns.set(transactionalId, meta);
      }
    }
    const m = meta;
    return this.withLock(m, async (): Promise<InitProducerIdResult> => {
      if (this.partitionOf(transactionalId) !== state) return { errorCode: 'NOT_COORDINATOR' };
      if (expected !== null && expected.producerId >= 0) {
        const current = expected.producerId === m.producerId && expected.producerEpoch === m.producerEpoch;
        const retried = expected.producerId === m.producerId && expected.producerEpoch === m.lastProducerEpoch && m.status === TxnStatus.Empty;
        if (retried) return { errorCode: 'NONE', producerId: m.producerId, producerEpoch: m.producerEpoch };
        if (!current) return { errorCode: 'PRODUCER_FENCED' };
      }
      switch (m.status) {
        case TxnStatus.PrepareCommit:
        case TxnStatus.PrepareAbort:
        case TxnStatus.PrepareEpochFence:
          return { errorCode: 'CONCURRENT_TRANSACTIONS' };
        case TxnStatus.Ongoing: {
          const code = await this.abortFenced(state, m, 'a new producer instance initialised the transactional id');
          return { errorCode: code === 'NONE' ? 'CONCURRENT_TRANSACTIONS' : code };
        }
        default:
          break;
      }
      let producerId = m.producerId;
      let producerEpoch = m.producerEpoch + 1;
      if (producerEpoch >= MAX_PRODUCER_EPOCH - 1) {
        producerId = await this.options.producerIds.nextProducerId();
        producerEpoch = 0;
      }
      const code = await this.persist(state, m, { producerId, producerEpoch, timeoutMs, status: TxnStatus.Empty, partitions: [], startTimestampMs: -1 });
      if (code !== 'NONE') return { errorCode: code };
      m.lastProducerEpoch = producerId === m.producerId ? producerEpoch - 1 : -1;
      return { errorCode: 'NONE', producerId, producerEpoch };
    });
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's `__consumer_offsets` partition): the
   * partitions join the transaction, which becomes Ongoing. Resolves once that is durable.
   */
  async addPartitions(req: TxnRequest, partitions: readonly TxnTopicPartition[]): Promise<TxnErrorCode> {
    const state = this.partitionOf(req.transactionalId);
    if (typeof state === 'string') return state;
    const meta = state.txns.get(req.transactionalId);
    if (meta === undefined) return 'INVALID_PRODUCER_ID_MAPPING';
    return this.withLock(meta, async (): Promise<TxnErrorCode> => {
      const refused = this.checkProducer(state, meta, req);
      if (refused !== null) return refused;
      if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort || meta.status === TxnStatus.PrepareEpochFence) return 'CONCURRENT_TRANSACTIONS';
      const added = partitions.filter((tp) => !meta.partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition));
      if (meta.status === TxnStatus.Ongoing && added.length === 0) return 'NONE';
      const startTimestampMs = meta.status === TxnStatus.Ongoing ? meta.startTimestampMs : this.clock.now();
      return this.persist(state, meta, { status: TxnStatus.Ongoing, partitions: [...meta.partitions, ...added], startTimestampMs });
    });
  }

  /** The `__consumer_offsets` partition AddOffsetsToTxn adds for `groupId`, given that topic's partition count. */
  static offsetsPartitionOf(groupId: string, offsetsPartitionCount: number): number {
    return consumerOffsetsPartitionFor(groupId, offsetsPartitionCount);
  }

  /**
   * EndTxn: commit or abort. Resolves once the decision (PrepareCommit / PrepareAbort) is durable;
   * the markers and the Complete state follow in the background. A retry of a decision already
   * taken answers NONE (complete) or CONCURRENT_TRANSACTIONS (its markers are still being written).
   */
  async endTransaction(req: TxnRequest, committed: boolean): Promise<TxnErrorCode> {
    const state = this.partitionOf(req.transactionalId);
    if (typeof state === 'string') return state;
    const meta = state.txns.get(req.transactionalId);
    if (meta === undefined) return 'INVALID_PRODUCER_ID_MAPPING';
    const partition = this.partitionFor(req.transactionalId);
    let begun = false;
    const code = await this.withLock(meta, async (): Promise<TxnErrorCode> => {
      const refused = this.checkProducer(state, meta, req);
      if (refused !== null) return refused;
      switch (meta.status) {
        case TxnStatus.Ongoing: {
          const written = await this.persist(state, meta, { status: committed ? TxnStatus.PrepareCommit : TxnStatus.PrepareAbort });
          begun = written === 'NONE';
          return written;
        }
        case TxnStatus.CompleteCommit:
          return committed ? 'NONE' : 'INVALID_TXN_STATE';
        case TxnStatus.CompleteAbort:
          return committed ? 'INVALID_TXN_STATE' : 'NONE';
        case TxnStatus.PrepareCommit:
          return committed ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE';
        case TxnStatus.PrepareAbort:
          return committed ? 'INVALID_TXN_STATE' : 'CONCURRENT_TRANSACTIONS';
        case TxnStatus.PrepareEpochFence:
          return 'CONCURRENT_TRANSACTIONS';
        default:
          return 'INVALID_TXN_STATE';
      }
    });
    if (begun) void this.completeTransaction(partition, state, meta);
    return code;
  }

  /** What DescribeTransactions-like views and tests see of an id (null: not here or unknown). */
  describe(transactionalId: string): { producerId: number; producerEpoch: number; status: TxnStatus; partitions: readonly TxnTopicPartition[]; timeoutMs: number } | null {
    const state = this.partitionOf(transactionalId);
    if (typeof state === 'string') return null;
    const m = state.txns.get(transactionalId);
    return m === undefined ? null : { producerId: m.producerId, producerEpoch: m.producerEpoch, status: m.status, partitions: [...m.partitions], timeoutMs: m.timeoutMs };
  }

  // ------------------------------------------------------------------ internals

  private checkProducer(state: LoadedPartition, meta: TxnMetadata, req: TxnRequest): Exclude<TxnErrorCode, 'NONE'> | null {
    if (this.partitionOf(req.transactionalId) !== state) return 'NOT_COORDINATOR';
    if (meta.producerId !== req.producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (meta.producerEpoch !== req.producerEpoch) return 'PRODUCER_FENCED';
    return null;
  }

  /** Bumps the epoch (fencing the current producer) and aborts the Ongoing transaction with it. Call under the lock. */
  private async abortFenced(state: LoadedPartition, meta: TxnMetadata, why: string): Promise<TxnErrorCode> {
    const producerEpoch = meta.producerEpoch < MAX_PRODUCER_EPOCH - 1 ? meta.producerEpoch + 1 : meta.producerEpoch;
    const code = await this.persist(state, meta, { producerEpoch, status: TxnStatus.PrepareAbort });
    if (code !== 'NONE') return code;
    meta.lastProducerEpoch = -1;
    this.logger.info({ transactionalId: meta.transactionalId, producerId: meta.producerId, producerEpoch }, `aborting the ongoing transaction: ${why}`);
    void this.completeTransaction(this.partitionFor(meta.transactionalId), state, meta);
    return 'NONE';
  }

  /**
   * Writes the markers of a prepared transaction until every partition took its marker (or is
   * gone), then the Complete state. Stops if the partition is unloaded (the next coordinator
   * resumes from the Prepare state it reads).
   */
  private async completeTransaction(partition: number, state: LoadedPartition, meta: TxnMetadata): Promise<void> {
    const committed = meta.status === TxnStatus.PrepareCommit;
    if (!committed && meta.status !== TxnStatus.PrepareAbort) return;
    let pending = [...meta.partitions];
    const { producerId, producerEpoch } = meta;
    let attempts = 0;
    while (pending.length > 0) {
      if (this.partitions.get(partition) !== state) return;
      let results;
      try {
        results = await this.options.markers.write({ producerId, producerEpoch, coordinatorEpoch: state.coordinatorEpoch, committed, partitions: pending });
      } catch (err) {
        this.logger.warn({ err, transactionalId: meta.transactionalId }, 'writing transaction markers failed; retrying');
        results = pending.map((tp) => ({ ...tp, errorCode: 'UNKNOWN_SERVER_ERROR' as const }));
      }
      const failed = results.filter((r) => r.errorCode !== 'NONE' && !markerDone(r.errorCode));
      for (const r of results) {
        if (r.errorCode !== 'NONE' && markerDone(r.errorCode)) this.logger.warn({ transactionalId: meta.transactionalId, ...r }, 'a transaction marker was refused for good; that partition is left out');
      }
      pending = pending.filter((tp) => failed.some((f) => f.topic === tp.topic && f.partition === tp.partition));
      // Said on the first refusal and then every 50th (about every 5 s): a marker that keeps failing holds its partitions' LSO.
      if (failed.length > 0 && attempts++ % 50 === 0) this.logger.warn({ transactionalId: meta.transactionalId, producerId, producerEpoch, committed, attempts, refused: failed }, 'transaction markers refused; retrying');
      if (pending.length > 0) await new Promise<void>((resolve) => this.scheduler.schedule(this.config.markerRetryBackoffMs, resolve));
    }
    await this.withLock(meta, async () => {
      if (this.partitions.get(partition) !== state || meta.producerId !== producerId || meta.producerEpoch !== producerEpoch) return;
      for (;;) {
        const code = await this.persist(state, meta, { status: committed ? TxnStatus.CompleteCommit : TxnStatus.CompleteAbort, partitions: [] });
        if (code === 'NONE' || this.partitions.get(partition) !== state) return;
        await new Promise<void>((resolve) => this.scheduler.schedule(this.config.markerRetryBackoffMs, resolve));
      }
    });
  }

  /** Appends the id's new state, then applies it in memory. COORDINATOR_NOT_AVAILABLE (NOT_COORDINATOR: leadership lost) if the append failed. */
  private async persist(state: LoadedPartition, meta: TxnMetadata, change: Partial<Pick<TxnMetadata, 'producerId' | 'producerEpoch' | 'timeoutMs' | 'status' | 'partitions' | 'startTimestampMs'>>): Promise<TxnErrorCode> {
    const next = { ...pick(meta), ...change, lastUpdateTimestampMs: this.clock.now() };
    try {
      await state.log.append({
        key: encodeTransactionLogKey(meta.transactionalId),
        value: encodeTransactionLogValue({
          producerId: next.producerId,
          producerEpoch: next.producerEpoch,
          transactionTimeoutMs: next.timeoutMs,
          status: next.status,
          partitions: next.partitions,
          lastUpdateTimestampMs: next.lastUpdateTimestampMs,
          startTimestampMs: next.startTimestampMs,
        }),
      });
    } catch (err) {
      // As Kafka maps the append's error: this broker lost the partition's leadership, so the
      // client must find the new coordinator; anything else (the ISR too small or too slow) is
      // worth a retry here. Either way memory keeps the state before the change.
      const lostLeadership = (err as { code?: unknown } | null)?.code === 'NOT_LEADER_OR_FOLLOWER';
      this.logger.error({ err, transactionalId: meta.transactionalId }, 'appending to __transaction_state failed');
      return lostLeadership ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE';
    }
    Object.assign(meta, next);
    return 'NONE';
  }

  private withLock<T>(meta: TxnMetadata, task: () => Promise<T>): Promise<T> {
    const run = meta.lock.then(task, task);
    meta.lock = run.catch(() => undefined);
    return run;
  }

  /** Aborts Ongoing transactions older than their timeout, every abortTimedOutIntervalMs. */
  private scheduleTimeoutCheck(): void {
    if (this.closed) return;
    this.timer = this.scheduler.schedule(this.config.abortTimedOutIntervalMs, () => {
      this.abortTimedOut();
      this.scheduleTimeoutCheck();
    });
  }

  /** Visible for tests: one pass of the timeout check. */
  abortTimedOut(): void {
    const now = this.clock.now();
    for (const state of this.partitions.values()) {
      if (!state.loaded) continue;
      for (const meta of state.txns.values()) {
        if (meta.status !== TxnStatus.Ongoing || meta.startTimestampMs < 0 || meta.startTimestampMs + meta.timeoutMs > now) continue;
        void this.withLock(meta, async () => {
          if (meta.status !== TxnStatus.Ongoing || meta.startTimestampMs + meta.timeoutMs > this.clock.now()) return;
          await this.abortFenced(state, meta, `transaction.timeout.ms (${meta.timeoutMs} ms) passed`);
        });
      }
    }
  }
}

/** Marker errors that retrying cannot fix: the partition is gone, or the producer moved on past this epoch. */
function markerDone(code: TxnErrorCode): boolean {
  return code === 'UNKNOWN_TOPIC_OR_PARTITION' || code === 'INVALID_PRODUCER_EPOCH' || code === 'CORRUPT_MESSAGE' || code === 'INVALID_RECORD';
}

function pick(m: TxnMetadata): Pick<TxnMetadata, 'producerId' | 'producerEpoch' | 'timeoutMs' | 'status' | 'partitions' | 'startTimestampMs'> {
  return { producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, status: m.status, partitions: m.partitions, startTimestampMs: m.startTimestampMs };
}
