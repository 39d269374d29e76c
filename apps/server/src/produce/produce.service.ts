/**
 * The produce path of the JSON faces (HTTP, NDJSON, WebSocket): pick each record's partition (explicit, else Kafka's murmur2 of the key,
 * else one sticky partition per request), build the batches of every partition, and only then
 * append, one Log.append per partition, partitions in parallel. Everything that can refuse the
 * request (unknown partition, a record too large) happens before the first append, so a refused
 * request appends nothing. An append that fails fails only its partition's records, reported
 * per record. Topics with schema validation (confluent.*.schema.validation) have their records'
 * keys and values encoded or checked first (schemas/produce-schemas.ts), all or nothing.
 */
import { SpoolError, isSpoolError, type Clock, type Logger, type SpoolErrorCode } from '@spool/common';
import type { LogManager } from '@spool/log-engine';
import { buildBatches } from './batch-builder.js';
import { groupByPartition } from './partition-groups.js';
import { StickyPartitionCounter } from './partitioner.js';
import { parseProduceRequest, type Acks, type PreparedRecord, type ProduceRequest } from './produce-request.js';
import type { EncodeError, EncodeReply } from './produce-worker.js';
import type { ProduceWorkers } from './produce-workers.js';
import type { ProduceForwarding } from '../cluster/partition-router.js';
import type { LeaderPartition } from '@spool/replication';
import { appendWithAcks, WEB_ACKS_TIMEOUT_MS, type RequiredAcks } from '../replication/replicated-append.js';

/** The JSON faces' acks as Kafka's numbers. */
const REQUIRED_ACKS: Readonly<Record<Acks, RequiredAcks>> = { none: 0, leader: 1, all: -1 };
import { DEFAULT_PRODUCE_FORMATS, type ProduceFormats } from '../records/record-formats.js';
import { HttpApiError } from '../http/errors/http-api.error.js';
import { applySchemas, validatesSchemas } from '../schemas/produce-schemas.js';
import type { TopicSchemas } from '../schemas/topic-schemas.js';

/** What produce needs to know about a topic. */
export interface ProduceTopicInfo {
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** Resolves a topic for produce: its partitions and configs, creating it when allowed; refuses internal topics. */
export interface ProduceTopics {
  resolveForProduce(topic: string): Promise<ProduceTopicInfo>;
  /** The topic if it exists (refusing internal topics), else null; never creates it. */
  existingForProduce(topic: string): ProduceTopicInfo | null;
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

/** How many records of a produce were appended (or, with acks=none, accepted): the tenant's produced records. */
export function appendedRecords(results: readonly ProduceResult[]): number {
  let n = 0;
  for (const r of results) if (r.error === undefined) n++;
  return n;
}

export interface ProduceServiceDeps {
  readonly logManager: LogManager;
  readonly topics: ProduceTopics;
  readonly clock: Clock;
  readonly maxRecordsPerRequest: number;
  /** How an append failure is reported (the transports' one error classification). */
  readonly describeError: (err: unknown) => ProduceErrorBody;
  readonly logger: Logger;
  /** Cluster mode: partitions led elsewhere are forwarded to their leader; none: a single node. */
  readonly forwarding?: ProduceForwarding;
  /** Workers for large JSON bodies (produceJson); none: everything on the main thread. */
  readonly workers?: ProduceWorkers;
  /**
   * Cluster mode: the replicated leader a partition's appends go through (null: not replicated here);
   * rejects with NOT_LEADER_OR_FOLLOWER (after a bounded wait when this broker's leadership is still being applied).
   */
  readonly leaderFor?: (topic: string, partition: number) => LeaderPartition | null | Promise<LeaderPartition | null>;
  /** Schema validation and encoding (topics with confluent.*.schema.validation); none: not applied. */
  readonly schemas?: TopicSchemas;
  /** Throws when a produce to `topic` may not go on now (a tenant at its retained-bytes limit); none: always may. */
  readonly admitProduce?: (topic: string) => void;
}

/** One partition's encoded batches and where its records sit in the request. */
interface EncodedPartition {
  readonly partition: number;
  readonly batches: Buffer;
  readonly indexes: ArrayLike<number>;
  readonly timestamps: ArrayLike<number>;
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
  async produce(topic: string, request: Pick<ProduceRequest, 'records' | 'acks'> & Partial<Pick<ProduceRequest, 'formats' | 'schemas'>>): Promise<ProduceResult[]> {
    this.deps.admitProduce?.(topic);
    const description = await this.topics.resolveForProduce(topic);
    const partitionCount = description.partitions;
    const records = await this.withSchemas(topic, request.records, request.formats ?? DEFAULT_PRODUCE_FORMATS, description.configs, request.schemas);
    const groups = groupByPartition(topic, records, partitionCount, () => this.sticky.next(topic, partitionCount));
    const now = this.clock.now();
    const maxMessageBytes = Number(description.configs['max.message.bytes'] ?? 1048588);
    const encoded = groups.map(
      (g): EncodedPartition => {
        const batches = buildBatches({ records: g.records, now, maxMessageBytes, topic, partition: g.partition });
        return { partition: g.partition, batches: batches.length === 1 ? batches[0] : Buffer.concat(batches), indexes: g.indexes, timestamps: g.records.map((r) => r.timestamp ?? now) };
      },
    );
    return this.appendEncoded(topic, description, encoded, records.length, request.acks);
  }

  /** The records as the topic's schema validation wants them (schemas/produce-schemas.ts); unchanged when it has none. */
  private async withSchemas(topic: string, records: PreparedRecord[], formats: ProduceFormats, configs: Readonly<Record<string, string>>, chosen?: ProduceRequest['schemas']): Promise<PreparedRecord[]> {
    const schemas = this.deps.schemas;
    const validation = validatesSchemas(configs);
    if (schemas === undefined || (validation === null && chosen === undefined)) return records;
    if (!schemas.ready) await schemas.open();
    try {
      return applySchemas(schemas, topic, records, formats, validation, chosen);
    } catch (err) {
      // The schema may be one another node registered a moment ago (cluster mode): catch up once, check again.
      if (!(err instanceof HttpApiError) || (err.code !== 'SCHEMA_NOT_FOUND' && err.code !== 'SCHEMA_VALIDATION_FAILED')) throw err;
      await schemas.catchUp().catch(() => undefined);
      return applySchemas(schemas, topic, records, formats, validation, chosen);
    }
  }

  /**
   * Produces a JSON request body given as its bytes. With usable workers and an existing topic,
   * parsing, checks, partitioning and encoding run in a produce worker and only the appends here;
   * otherwise (or if the worker dies meanwhile) all of it here, exactly as
   * `produce(parseProduceRequest(JSON.parse(body)))`. Either way the same refusals, the same
   * partitions (the sticky partition of unkeyed records is taken before the hop) and the same
   * results. Resolves with the request's acks and the results.
   */
  async produceJson(topic: string, body: Buffer): Promise<{ acks: Acks; results: ProduceResult[] }> {
    this.deps.admitProduce?.(topic);
    const workers = this.deps.workers?.usable === true ? this.deps.workers : undefined;
    const existing = workers === undefined ? null : this.topics.existingForProduce(topic);
    const onThisThread = async () => {
      const text = body.toString('utf8');
      const request = parseProduceRequest(text.length === 0 ? undefined : JSON.parse(text), this.deps.maxRecordsPerRequest);
      return { acks: request.acks, results: await this.produce(topic, request) };
    };
    // Schemas (a validating topic, or a request naming one) encode records with the registry's
    // state: here, not in a worker. The body is only searched for the field names, not parsed.
    if (workers === undefined || existing === null || validatesSchemas(existing.configs) !== null || namesSchema(body)) return onThisThread();
    const partitionCount = existing.partitions;
    const now = this.clock.now();
    let reply: EncodeReply;
    try {
      reply = await workers.encode({
        body,
        topic,
        partitionCount,
        stickyPartition: this.sticky.next(topic, partitionCount),
        now,
        maxMessageBytes: Number(existing.configs['max.message.bytes'] ?? 1048588),
        maxRecordsPerRequest: this.deps.maxRecordsPerRequest,
      });
    } catch (err) {
      // The worker died (it appended nothing): do the request here.
      this.deps.logger.warn({ err, topic }, 'produce worker failed a request; producing it on the main thread');
      return onThisThread();
    }
    if (!reply.ok) throw rebuildError(reply.error);
    const encoded = reply.groups.map((g): EncodedPartition => ({ ...g, batches: Buffer.from(g.batches.buffer, g.batches.byteOffset, g.batches.byteLength) }));
    // Described again: the topic may have changed (or gone) during the hop.
    const description = await this.topics.resolveForProduce(topic);
    if (description.partitions !== partitionCount) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(topic)} changed from ${partitionCount} to ${description.partitions} partitions during the request; retry it`, {
        topic,
      });
    }
    return { acks: reply.acks, results: await this.appendEncoded(topic, description, encoded, reply.recordCount, reply.acks) };
  }

  /**
   * One Log.append per partition, in parallel. With acks=none the appends are started and the
   * partitions returned at once; otherwise resolves once every partition's append resolved, and
   * with acks=all on a replicated partition once every in-sync replica has its records
   * (replicated-append.ts; its errors are reported per record like an append's).
   */
  private async appendEncoded(topic: string, description: ProduceTopicInfo, encoded: readonly EncodedPartition[], recordCount: number, acks: Acks): Promise<ProduceResult[]> {
    const logAppendTime = description.configs['message.timestamp.type'] === 'LogAppendTime';
    const forwarding = this.deps.forwarding;
    const logs = encoded.map((e) => (forwarding === undefined || forwarding.route(topic, e.partition).kind === 'local' ? this.logManager.getLog(topic, e.partition) : null));
    const results = new Array<ProduceResult>(recordCount);
    const leaderFor = this.deps.leaderFor ?? (() => null);
    const appends = encoded.map(async (group, i) => {
      try {
        const log = logs[i];
        const appended =
          log !== null
            ? await appendWithAcks(await leaderFor(topic, group.partition), log, group.batches, REQUIRED_ACKS[acks], WEB_ACKS_TIMEOUT_MS)
            : await this.forward(topic, group.partition, group.batches, acks);
        for (let j = 0; j < group.indexes.length; j++) {
          results[group.indexes[j]] = {
            partition: group.partition,
            offset: appended.baseOffset + j,
            timestamp: logAppendTime && appended.logAppendTime !== null ? appended.logAppendTime : group.timestamps[j],
          };
        }
      } catch (err) {
        if (!isSpoolError(err)) this.deps.logger.error({ err, topic, partition: group.partition }, 'append failed');
        const error = this.deps.describeError(err);
        for (let j = 0; j < group.indexes.length; j++) results[group.indexes[j]] = { partition: group.partition, error };
      }
    });
    if (acks === 'none') {
      void Promise.all(appends);
      const accepted = new Array<ProduceResult>(recordCount);
      for (const g of encoded) for (let j = 0; j < g.indexes.length; j++) accepted[g.indexes[j]] = { partition: g.partition };
      return accepted;
    }
    await Promise.all(appends);
    return results;
  }

  /**
   * Cluster mode: a partition this node does not lead goes to its leader as the batches built here
   * (Kafka's Produce; the leader assigns offsets, its error code comes back as is); no leader, or
   * this node's copy still opening, is the retriable error. A route that turned local meanwhile (this
   * node just became the leader) appends here with the same acks as a local produce.
   */
  private async forward(topic: string, partition: number, batches: Buffer, acks: Acks): Promise<{ baseOffset: number; logAppendTime: number | null }> {
    const route = this.deps.forwarding!.route(topic, partition);
    if (route.kind === 'local') {
      const leader = await (this.deps.leaderFor ?? (() => null))(topic, partition);
      return appendWithAcks(leader, this.logManager.getLog(topic, partition), batches, REQUIRED_ACKS[acks], WEB_ACKS_TIMEOUT_MS);
    }
    if (route.kind === 'refused') throw route.error;
    return this.deps.forwarding!.forwardProduce(route.leader, topic, partition, batches, acks === 'all' ? 'all' : 'leader');
  }

  /** Appends already-partitioned records without per-record results (NDJSON ingest). */
  async appendGroups(topic: string, prepared: PreparedRecord[], partitionCount: number, configs: Record<string, string>, formats: ProduceFormats = DEFAULT_PRODUCE_FORMATS): Promise<AppendedRange[]> {
    this.deps.admitProduce?.(topic);
    const records = await this.withSchemas(topic, prepared, formats, configs);
    const groups = groupByPartition(topic, records, partitionCount, () => this.sticky.next(topic, partitionCount));
    const now = this.clock.now();
    const maxMessageBytes = Number(configs['max.message.bytes'] ?? 1048588);
    const encoded = groups.map((g) => buildBatches({ records: g.records, now, maxMessageBytes, topic, partition: g.partition }));
    return Promise.all(
      groups.map(async (group, i) => {
        const batches = encoded[i];
        const bytes = batches.length === 1 ? batches[0] : Buffer.concat(batches);
        const forwarding = this.deps.forwarding;
        const appended =
          forwarding === undefined || forwarding.route(topic, group.partition).kind === 'local'
            ? await appendWithAcks(await (this.deps.leaderFor ?? (() => null))(topic, group.partition), this.logManager.getLog(topic, group.partition), bytes, 1, WEB_ACKS_TIMEOUT_MS)
            : await this.forward(topic, group.partition, bytes, 'leader');
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
}

const KEY_SCHEMA_FIELD = Buffer.from('"keySchema"');
const VALUE_SCHEMA_FIELD = Buffer.from('"valueSchema"');

/** Whether a JSON body may name a schema (a false positive only costs the worker hop). */
function namesSchema(body: Buffer): boolean {
  return body.includes(VALUE_SCHEMA_FIELD) || body.includes(KEY_SCHEMA_FIELD);
}

/** The error a worker reported, as the main thread would have thrown it. */
function rebuildError(error: EncodeError): Error {
  if (error.kind === 'spool' && error.code !== undefined) return new SpoolError(error.code as SpoolErrorCode, error.message, error.details);
  if (error.kind === 'syntax') return new SyntaxError(error.message);
  return new Error(error.message);
}
