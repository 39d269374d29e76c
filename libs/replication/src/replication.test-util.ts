/**
 * Test fixtures for the replication specs: real logs in temp dirs, record batches, and an ISR
 * store that applies libs/cluster's AlterPartition rule (alterPartitionChange) to a partition
 * state held in memory, with the failures etcd can answer. The etcd-backed path of the same
 * interface is exercised by leader-partition-etcd.int-spec.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, SpoolError, silentLogger, type Clock } from '@spool/common';
import { KafkaApiKey, KafkaErrorCode, encodeRecordBatch, type FetchRequest, type ListOffsetsRequest, type OffsetForLeaderEpochRequest } from '@spool/protocol';
import type { KafkaRequestSender, KafkaResponse, SendOptions } from '@spool/broker-client';
import type { LeaderPartition } from './leader-partition.js';
import { serveOffsetForLeaderEpoch, serveReplicaFetch, type LeaderLookup } from './replica-requests.js';
import { KAFKA_TOPIC_CONFIG_DEFAULTS, Log, createLogMetrics } from '@spool/log-engine';
import { ClusterError, alterPartitionChange, type BrokerRegistration, type LeaderIsrChange, type PartitionState } from '@spool/cluster';

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `spool-${prefix}-`));
}

export async function openLog(dir: string, opts: { clock?: Clock; topic?: string; partition?: number; highWatermarkFollowsLogEnd?: boolean } = {}): Promise<Log> {
  return Log.open({
    dir,
    topicPartition: { topic: opts.topic ?? 't', partition: opts.partition ?? 0 },
    config: { ...KAFKA_TOPIC_CONFIG_DEFAULTS },
    recoveryPoint: 0,
    logStartOffset: 0,
    hadCleanShutdown: true,
    clock: opts.clock ?? new ManualClock(),
    logger: silentLogger,
    metrics: createLogMetrics(),
    highWatermarkFollowsLogEnd: opts.highWatermarkFollowsLogEnd ?? false,
  });
}

/** A batch of `count` records valued `${prefix}-${i}`. */
export function batchOf(prefix: string, count: number): Buffer {
  return encodeRecordBatch({ baseOffset: 0, records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${prefix}-${i}`), timestamp: 1_000 })) });
}

export function registration(brokerId: number, brokerEpoch = 100 + brokerId, controlledShutdown = false): BrokerRegistration {
  return { brokerId, host: '127.0.0.1', kafkaPort: 9092, httpPort: 8080, rack: null, incarnationId: `i${brokerId}`, startTimeMs: 0, controlledShutdown, brokerEpoch };
}

export function partitionState(fields: Partial<PartitionState> & Pick<PartitionState, 'leader' | 'replicas' | 'isr'>): PartitionState {
  return {
    topic: 't',
    partition: 0,
    topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    leaderEpoch: 0,
    partitionEpoch: 0,
    addingReplicas: [],
    removingReplicas: [],
    leaderRecoveryState: 'RECOVERED',
    controllerEpoch: 1,
    leaderBrokerEpoch: null,
    modRevision: 1,
    ...fields,
  };
}

/**
 * One partition's state and the live brokers, with AlterPartition validated by the cluster's
 * own rule. `mode` decides what the next writes do: apply, fail (a ClusterError code), or hold
 * (resolve only when `release()` is called).
 */
export class IsrStore {
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly writes: LeaderIsrChange[] = [];
  mode: { kind: 'apply' } | { kind: 'fail'; code: ConstructorParameters<typeof ClusterError>[0] } | { kind: 'hold' } = { kind: 'apply' };
  private held: (() => void)[] = [];

  constructor(public state: PartitionState, private readonly brokerId: number) {}

  broker(brokerId: number): BrokerRegistration | undefined {
    return this.brokers.get(brokerId);
  }

  alterPartition(change: LeaderIsrChange): Promise<PartitionState> {
    this.writes.push(change);
    const mode = this.mode;
    if (mode.kind === 'fail') return Promise.reject(new ClusterError(mode.code, `refused: ${mode.code}`));
    const apply = (): PartitionState => {
      const next = alterPartitionChange(this.state, { ...change, brokerId: this.brokerId }, (b) => this.broker(b));
      if (next !== null) this.state = { ...this.state, ...next, modRevision: this.state.modRevision + 1 };
      return this.state;
    };
    if (mode.kind === 'hold') return new Promise((resolve, reject) => this.held.push(() => { try { resolve(apply()); } catch (err) { reject(err); } }));
    try {
      return Promise.resolve(apply());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Completes held writes (in order). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A leader answering a fetcher in-process (Kafka's tests have a MockLeaderEndPoint; this one is
 * real code): Fetch and OffsetForLeaderEpoch go through the same serving functions as the
 * broker's Kafka face (replica-requests.ts), ListOffsets reads the leader's log. The wire itself
 * is covered by the server's replication e2e test.
 */
export class InProcessLeader implements KafkaRequestSender {
  /** Requests seen, by API key. */
  readonly requests: number[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly leaders: Map<string, LeaderPartition> | LeaderLookup) {}

  private lookup(): LeaderLookup {
    const leaders = this.leaders;
    if (!(leaders instanceof Map)) return leaders;
    return {
      leaderPartition: (topic, partition) => {
        const leader = leaders.get(`${topic}-${partition}`);
        if (leader === undefined) throw new SpoolError('NOT_LEADER_OR_FOLLOWER', `not leading ${topic}-${partition}`);
        return leader;
      },
      topicNameById: () => undefined,
    };
  }

  async send<T>(apiKey: number, body: object, options: SendOptions = {}): Promise<KafkaResponse<T>> {
    this.requests.push(apiKey);
    const errorCodeOf = (err: unknown): number => {
      const code = (err as { code?: string }).code;
      return code !== undefined && code in KafkaErrorCode ? KafkaErrorCode[code as keyof typeof KafkaErrorCode] : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
    };
    switch (apiKey) {
      case KafkaApiKey.Fetch: {
        const apiVersion = Math.min(options.maxVersion ?? 16, 16);
        const response = await serveReplicaFetch(body as FetchRequest, apiVersion, { leaders: this.lookup(), errorCodeOf, signal: options.signal ?? this.abort.signal, maxWaitCapMs: 200 });
        return { apiVersion, body: response as T };
      }
      case KafkaApiKey.OffsetForLeaderEpoch: {
        const lookup = this.lookup();
        const response = serveOffsetForLeaderEpoch(body as OffsetForLeaderEpochRequest, (t, p, current, epoch) => lookup.leaderPartition(t, p).lastOffsetForLeaderEpoch(current, epoch), errorCodeOf);
        return { apiVersion: 4, body: response as T };
      }
      case KafkaApiKey.ListOffsets: {
        const request = body as ListOffsetsRequest;
        const lookup = this.lookup();
        return {
          apiVersion: 7,
          body: {
            throttleTimeMs: 0,
            topics: request.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => {
                const log = lookup.leaderPartition(t.name, p.partitionIndex).log;
                const offset = p.timestamp === -2 ? log.logStartOffset : log.logEndOffset;
                return { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp: -1, offset, leaderEpoch: -1 };
              }),
            })),
          } as T,
        };
      }
      default:
        throw new Error(`InProcessLeader does not serve API ${apiKey}`);
    }
  }

  close(): void {
    this.abort.abort();
  }
}
