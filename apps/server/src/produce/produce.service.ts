/**
 * The produce path of the JSON faces (HTTP, NDJSON, WebSocket): pick each record's partition (explicit, else Kafka's murmur2 of the key,
 * else one sticky partition per request), build the batches of every partition, and only then
 * append, one Log.append per partition, partitions in parallel. Everything that can refuse the
 * request (unknown partition, a record too large) happens before the first append, so a refused
 * request appends nothing. An append that fails fails only its partition's records, reported
 * per record.
 */
import { SpoolError, isSpoolError, type Clock, type Logger } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { buildBatches } from './batch-builder.js';
import { partitionForKey, StickyPartitionCounter } from './partitioner.js';
import type { PreparedRecord, ProduceRequest } from './produce-request.js';

/** What produce needs to know about a topic. */
export interface ProduceTopicInfo {
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** Resolves a topic for produce: its partitions and configs, creating it when allowed; refuses internal topics. */
export interface ProduceTopics {
  resolveForProduce(topic: string): Promise<ProduceTopicInfo>;
}

/** A failed partition append, as the faces report it per record. */
export interface ProduceErrorBody {
  readonly code: string;
  readonly message: string;
  readonly retriable: boolean;
  readonly details?: Record<string, unknown>;
}

/** One record's outcome, in request order (the HTTP ProduceResult shape). */
export interface ProduceResult {
  partition: number;
  offset?: number;
  timestamp?: number;
  error?: ProduceErrorBody;
}

export interface ProduceServiceDeps {
  readonly logManager: LogManager;
  readonly topics: ProduceTopics;
  readonly clock: Clock;
  readonly maxRecordsPerRequest: number;
  /** How an append failure is reported (the transports' one error classification). */
  readonly describeError: (err: unknown) => ProduceErrorBody;
  readonly logger: Logger;
}

/** Records of one partition with their positions in the request. */
interface PartitionGroup {
  readonly partition: number;
  readonly records: PreparedRecord[];
  readonly indexes: number[];
}

export interface AppendedRange {
  readonly partition: number;
  readonly baseOffset: number;
  readonly recordCount: number;
}

export class ProduceService {
  private readonly sticky = new StickyPartitionCounter();
  private readonly logManager: LogManager;
  private readonly topics: ProduceTopics;
  private readonly clock: Clock;

  constructor(private readonly deps: ProduceServiceDeps) {
    this.logManager = deps.logManager;
    this.topics = deps.topics;
    this.clock = deps.clock;
  }

  /**
   * Appends the request's records. With acks=none the appends are started and the partitions
   * returned at once (no offsets); otherwise it resolves when every partition's append has
   * resolved (written to the page cache, or fsynced when the topic's flush policy says so).
   */
  async produce(topic: string, request: Pick<ProduceRequest, 'records' | 'acks'>): Promise<ProduceResult[]> {
    const description = await this.topics.resolveForProduce(topic);
    const partitionCount = description.partitions;
    const groups = this.groupByPartition(topic, request.records, partitionCount);
    const now = this.clock.now();
    const maxMessageBytes = Number(description.configs['max.message.bytes'] ?? 1048588);
    const logAppendTime = description.configs['message.timestamp.type'] === 'LogAppendTime';
    const encoded = groups.map((g) => buildBatches({ records: g.records, now, maxMessageBytes, topic, partition: g.partition }));
    const logs = groups.map((g) => this.logManager.getLog(topic, g.partition));

    const results = new Array<ProduceResult>(request.records.length);
    const appends = groups.map(async (group, i) => {
      try {
        const batches = encoded[i];
        const appended = await logs[i].append(batches.length === 1 ? batches[0] : Buffer.concat(batches));
        for (let j = 0; j < group.indexes.length; j++) {
          const record = group.records[j];
          results[group.indexes[j]] = {
            partition: group.partition,
            offset: appended.baseOffset + j,
            timestamp: logAppendTime && appended.logAppendTime !== null ? appended.logAppendTime : (record.timestamp ?? now),
          };
        }
      } catch (err) {
        if (!isSpoolError(err)) this.deps.logger.error({ err, topic, partition: group.partition }, 'append failed');
        const error = this.deps.describeError(err);
        for (const index of group.indexes) results[index] = { partition: group.partition, error };
      }
    });
    if (request.acks === 'none') {
      void Promise.all(appends);
      const accepted = new Array<ProduceResult>(request.records.length);
      for (const g of groups) for (const index of g.indexes) accepted[index] = { partition: g.partition };
      return accepted;
    }
    await Promise.all(appends);
    return results;
  }

  /** Appends already-partitioned records without per-record results (NDJSON ingest). */
  async appendGroups(topic: string, records: PreparedRecord[], partitionCount: number, configs: Record<string, string>): Promise<AppendedRange[]> {
    const groups = this.groupByPartition(topic, records, partitionCount);
    const now = this.clock.now();
    const maxMessageBytes = Number(configs['max.message.bytes'] ?? 1048588);
    const encoded = groups.map((g) => buildBatches({ records: g.records, now, maxMessageBytes, topic, partition: g.partition }));
    return Promise.all(
      groups.map(async (group, i) => {
        const batches = encoded[i];
        const appended = await this.logManager.getLog(topic, group.partition).append(batches.length === 1 ? batches[0] : Buffer.concat(batches));
        return { partition: group.partition, baseOffset: appended.baseOffset, recordCount: group.records.length };
      }),
    );
  }

  get maxRecordsPerRequest(): number {
    return this.deps.maxRecordsPerRequest;
  }

  forgetTopic(topic: string): void {
    this.sticky.forget(topic);
  }

  private groupByPartition(topic: string, records: readonly PreparedRecord[], partitionCount: number): PartitionGroup[] {
    const byPartition = new Map<number, PartitionGroup>();
    let unkeyedPartition = -1;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      let partition: number;
      if (record.partition !== undefined) {
        if (record.partition >= partitionCount) {
          throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `records[${i}].partition ${record.partition} does not exist: topic ${JSON.stringify(topic)} has ${partitionCount} partitions`, {
            topic,
            partition: record.partition,
            partitionCount,
          });
        }
        partition = record.partition;
      } else if (record.key !== null) {
        partition = partitionForKey(record.key, partitionCount);
      } else {
        if (unkeyedPartition < 0) unkeyedPartition = this.sticky.next(topic, partitionCount);
        partition = unkeyedPartition;
      }
      let group = byPartition.get(partition);
      if (group === undefined) {
        group = { partition, records: [], indexes: [] };
        byPartition.set(partition, group);
      }
      group.records.push(record);
      group.indexes.push(i);
    }
    return [...byPartition.values()];
  }
}
