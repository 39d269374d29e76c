/**
 * Fetch (apiKey 1): record batch v2 only (v4+). v13+ names topics by id only (KIP-516): an id no
 * topic has (never existed, or deleted, including a topic deleted and created again under the
 * same name, which has a new id) is UNKNOWN_TOPIC_ID for each of its partitions, so a fetcher
 * never reads a recreated topic as the one it was reading.
 *
 * Stored batch bytes go straight into the response (Log.read returns file bytes; the encoder
 * copies them once into the frame). Limits as Kafka applies them: each partition gets at most
 * its partitionMaxBytes, the response at most maxBytes, but the first partition with data always
 * gets at least one whole batch so that a consumer never stalls on a large batch.
 *
 * Consumers read below the high watermark (docs/replication.md; on a single node it is the log
 * end offset), and the response's highWatermark is that value.
 *
 * Long poll: while fewer than minBytes are available and maxWaitMs has not passed, the request
 * waits on Log.waitForHighWatermark of every fetched partition (woken when it rises, no polling),
 * then reads again. The wait ends early when the connection closes or the broker shuts down.
 *
 * Fetch sessions (KIP-227) are declined the way Kafka allows: every response carries sessionId 0,
 * so clients keep sending full fetch requests. A request for an existing session (sessionId != 0)
 * gets FETCH_SESSION_ID_NOT_FOUND, after which clients fall back to full requests.
 * A consumer's currentLeaderEpoch (v9+) is checked before leadership (cluster/partition-gate.ts):
 * FENCED_LEADER_EPOCH when older than the epoch this broker knows, UNKNOWN_LEADER_EPOCH when newer.
 *
 * A fetch from a replica (replica id >= 0: ReplicaState from v15, replicaId before) is a
 * follower replicating: it goes to libs/replication's serveReplicaFetch over the partitions this
 * broker leads (ReplicationService), which reads up to the log end offset rather than the high
 * watermark and records the follower's position (docs/replication.md). A single node has no
 * followers: NOT_LEADER_OR_FOLLOWER.
 *
 * Transactions (KIP-98): every partition answers its last stable offset (LSO: the first offset of
 * its oldest open transaction, else the high watermark; producer-state.ts). isolation_level=1
 * (read_committed, v4+) returns only whole batches below the LSO, and with them the aborted
 * transactions overlapping the returned range (producer id, first offset), so the client drops
 * those producers' records up to each abort marker; isolation_level=0 returns up to the high
 * watermark and abortedTransactions null, as Kafka does. A long poll under read_committed counts
 * only bytes below the LSO, and a marker's append (which moves the LSO) wakes it like any append.
 * The partition's producer state is built from the log on its first fetch after a start.
 */
import { KafkaApiKey, KafkaErrorCode, type FetchRequest, type FetchResponse, type FetchResponsePartitionData } from '@spool/protocol';
import { SpoolError } from '@spool/common';
import { LogManager, type Log, type ProducerStateRegistry } from '@spool/log-engine';
import { fetchReplicaId, serveReplicaFetch, type LeaderLookup } from '@spool/replication';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import { clientRequestRefusal, SINGLE_NODE_GATE, type PartitionGate } from '../../cluster/partition-gate.js';

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** Longest long poll honoured (Kafka has no cap; a shutdown ends waits anyway). */
const MAX_WAIT_MS = 60_000;

interface PartitionPlan {
  readonly topicIndex: number;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly log: Log | null;
  readonly error: { errorCode: number } | null;
}

function emptyPartition(partition: number, errorCode: number, log: Log | null): FetchResponsePartitionData {
  const end = log?.highWatermark ?? -1;
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: end,
    lastStableOffset: end,
    logStartOffset: log?.logStartOffset ?? -1,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: Buffer.alloc(0),
  };
}

export class FetchHandler implements KafkaApiHandler<FetchRequest, FetchResponse> {
  readonly apiKey = KafkaApiKey.Fetch;

  constructor(
    private readonly logManager: LogManager,
    private readonly producerStates: ProducerStateRegistry,
    /** Cluster mode: only the partition's leader serves fetches (NOT_LEADER_OR_FOLLOWER elsewhere). */
    private readonly leadership: PartitionGate = SINGLE_NODE_GATE,
    /** Cluster mode: the partitions this broker leads, for replica fetches; null on a single node. */
    private readonly replicas: () => LeaderLookup | null = () => null,
  ) {}

  async handle(request: FetchRequest, ctx: KafkaRequestContext): Promise<FetchResponse> {
    if (request.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    if (fetchReplicaId(request, ctx.apiVersion) >= 0) {
      const leaders = this.replicas() ?? this.noReplicas();
      return serveReplicaFetch(request, ctx.apiVersion, { leaders, errorCodeOf: (err) => kafkaErrorOf(err).errorCode, signal: ctx.signal, maxWaitCapMs: MAX_WAIT_MS });
    }
    const plans = this.plan(request, ctx.apiVersion >= 13);
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), MAX_WAIT_MS);
    for (;;) {
      const { partitions, bytes, stableSeen } = await this.readAll(plans, request.maxBytes, request.isolationLevel === READ_COMMITTED);
      const remaining = deadline - Date.now();
      // As Kafka: answer at once when enough bytes are there or any partition has an error.
      const anyError = partitions.some((p) => p.errorCode !== KafkaErrorCode.NONE);
      if (bytes >= request.minBytes || anyError || remaining <= 0 || ctx.signal.aborted || plans.length === 0) {
        // One pass, not a filter per topic: a fetch of many topics would cost topics x partitions.
        const byTopic: (typeof partitions)[] = request.topics.map(() => []);
        partitions.forEach((p, j) => byTopic[plans[j].topicIndex].push(p));
        return {
          throttleTimeMs: 0,
          errorCode: KafkaErrorCode.NONE,
          sessionId: 0,
          responses: request.topics.map((topic, i) => ({ topic: topic.topic, topicId: topic.topicId, partitions: byTopic[i] })),
          nodeEndpoints: [],
        };
      }
      await this.waitForData(plans, remaining, ctx.signal, request.isolationLevel === READ_COMMITTED ? stableSeen : null);
    }
  }

  /** A node without replication leads no follower: every replica fetch is NOT_LEADER_OR_FOLLOWER. */
  private noReplicas(): LeaderLookup {
    return {
      leaderPartition: (topic, partition) => {
        this.logManager.getLog(topic, partition); // UNKNOWN_TOPIC_OR_PARTITION first
        throw new SpoolError('NOT_LEADER_OR_FOLLOWER', `${topic}-${partition} has no followers on this single node`);
      },
      topicNameById: (id) => this.logManager.topicNameById(id),
    };
  }

  private plan(request: FetchRequest, byTopicId: boolean): PartitionPlan[] {
    const plans: PartitionPlan[] = [];
    request.topics.forEach((topic, topicIndex) => {
      const name = byTopicId ? this.logManager.topicNameById(topic.topicId) : topic.topic;
      for (const p of topic.partitions) {
        let log: Log | null = null;
        let error: { errorCode: number } | null = null;
        try {
          const refusal = name === undefined ? null : clientRequestRefusal(this.leadership, name, p.partition, p.currentLeaderEpoch, () => this.logManager.getLog(name, p.partition));
          if (name === undefined) error = { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID };
          else if (refusal !== null) error = { errorCode: kafkaErrorOf(refusal).errorCode };
          else log = this.logManager.getLog(name, p.partition);
        } catch (err) {
          error = { errorCode: kafkaErrorOf(err).errorCode };
        }
        plans.push({ topicIndex, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, log, error });
      }
    });
    return plans;
  }

  private async readAll(
    plans: readonly PartitionPlan[],
    maxBytes: number,
    readCommitted: boolean,
  ): Promise<{ partitions: FetchResponsePartitionData[]; bytes: number; stableSeen: number[] }> {
    const partitions: FetchResponsePartitionData[] = [];
    /** Per plan, the LSO the read was bounded by (-1 without a log). */
    const stableSeen: number[] = [];
    let bytes = 0;
    for (const plan of plans) {
      stableSeen.push(-1);
      if (plan.log === null) {
        partitions.push(emptyPartition(plan.partition, plan.error?.errorCode ?? KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null));
        continue;
      }
      const budget = Math.min(plan.partitionMaxBytes, maxBytes - bytes);
      // Kafka: once the response is full, further partitions return no data (but their offsets).
      if (budget <= 0 && bytes > 0) {
        partitions.push(emptyPartition(plan.partition, KafkaErrorCode.NONE, plan.log));
        continue;
      }
      try {
        // Consumers read below the high watermark (what every in-sync replica holds), and under
        // read_committed below the last stable offset.
        const highWatermark = plan.log.highWatermark;
        const state = await this.producerStates.load(plan.log);
        const lastStableOffset = state.lastStableOffset(highWatermark);
        stableSeen[stableSeen.length - 1] = lastStableOffset;
        const read = await plan.log.read(plan.fetchOffset, Math.max(budget, 1), { maxOffset: readCommitted ? lastStableOffset : highWatermark });
        bytes += read.records.length;
        const abortedTransactions = readCommitted
          ? read.records.length === 0
            ? []
            : state.abortedTxns(read.firstOffset, read.nextOffset, read.logStartOffset).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
          : null;
        partitions.push({
          ...emptyPartition(plan.partition, KafkaErrorCode.NONE, plan.log),
          highWatermark,
          lastStableOffset,
          logStartOffset: read.logStartOffset,
          abortedTransactions,
          records: read.records,
        });
      } catch (err) {
        partitions.push(emptyPartition(plan.partition, kafkaErrorOf(err).errorCode, plan.log));
      }
    }
    return { partitions, bytes, stableSeen };
  }

  /**
   * Resolves when any fetched partition's high watermark passes its fetch offset, at the timeout,
   * or on abort. `stableSeen`: under read_committed, the LSO each plan's read stopped at (a move
   * past it ends the wait).
   */
  private async waitForData(plans: readonly PartitionPlan[], timeoutMs: number, signal: AbortSignal, stableSeen: readonly number[] | null): Promise<void> {
    if (stableSeen !== null) {
      // A marker recorded since the read already moved an LSO: read again at once.
      const moved = plans.some((p, i) => p.log !== null && (this.producerStates.loaded(p.log)?.lastStableOffset(p.log.highWatermark) ?? -1) > stableSeen[i]);
      if (moved) return;
    }
    const done = new AbortController();
    const onAbort = (): void => done.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const waits = plans.filter((p) => p.log !== null).map((p) => p.log!.waitForHighWatermark(Math.max(p.fetchOffset, p.log!.highWatermark), timeoutMs, done.signal));
      // Under read_committed a marker moves the LSO: its append wakes the waits above before the
      // producer state records it, so a closing transaction wakes the request too.
      if (stableSeen !== null) {
        for (const p of plans) {
          const state = p.log === null ? undefined : this.producerStates.loaded(p.log);
          if (state !== undefined && state.firstUnstableOffset !== null) waits.push(state.waitForTxnChange(timeoutMs, done.signal));
        }
      }
      await Promise.race(waits);
    } finally {
      signal.removeEventListener('abort', onAbort);
      done.abort(); // releases the other waiters
    }
  }
}
