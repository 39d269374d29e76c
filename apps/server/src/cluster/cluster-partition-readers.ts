/**
 * Cluster mode's PartitionReaders (records/partition-reader.ts): every face reads any partition on
 * any node. Each call decides anew where the partition is read (PartitionRouter.route), so a reader
 * kept by a WebSocket or SSE feed follows leadership as it moves:
 *
 *   local     this node leads: its own log (LocalPartitionReader);
 *   remote    another broker leads: Fetch / ListOffsets to it over Kafka's protocol
 *             (libs/broker-client); the batches come back as the leader stored them;
 *   refused   no leader (offline) or this node's copy is still opening: the error (retriable).
 *
 * The reader interface has synchronous logStartOffset() and highWatermark(); for a remote
 * partition they answer from the last values the leader sent (every Fetch response carries both),
 * primed by `prepare()`, which the faces await before they first need them (an HTTP fetch without
 * an offset, the offsets route, a subscription's start position, a group's assignment). Values a
 * little behind the leader only move a start position earlier (records delivered again, never
 * skipped): both offsets only grow.
 *
 * waitForAppend on a remote partition is a Fetch long poll on the leader (minBytes 1), on a
 * connection no other request uses meanwhile and shared by the waiters at the same offset
 * (remote-waits.ts says why), aborted when every waiter has left; a failed one waits half a second
 * before it resolves, so a caller's loop reading an unreachable leader does not spin.
 *
 * Every face reads read_committed (docs/transactions.md), wherever the partition is led: a
 * forwarded Fetch or ListOffsets carries isolation_level 1, so the leader bounds it by its last
 * stable offset (LSO) and long polls wait until records are below it; what a remote reader calls
 * its "high watermark" is the leader's LSO, and the aborted transactions the leader lists are
 * left out here (records/aborted-batches.ts), as the local reader leaves them out.
 */
import { fetchRecords, IsolationLevel, ListOffsetsTimestamp, listOffsets } from '@spool/broker-client';
import type { ClusterMetadata } from '@spool/cluster';
import { isSpoolError, SpoolError } from '@spool/common';
import { ProducerStateRegistry, type LogManager } from '@spool/log-engine';
import { iterateBatches } from '@spool/protocol';
import { withoutAbortedFromFetch } from '../records/aborted-batches.js';
import { LocalPartitionReader, offsetsOrError, type OffsetAndTimestamp, type PartitionOffsets, type PartitionRead, type PartitionReader, type PartitionReaders } from '../records/partition-reader.js';
import type { PartitionRouter } from './partition-router.js';
import { RemoteWaits } from './remote-waits.js';
import type { SchemaDecoder } from '../records/record-renderer.js';

/** Longest single long poll sent to a leader (the broker caps Fetch waits at 60 s too). */
const MAX_REMOTE_WAIT_MS = 60_000;
/** Pause after a failed remote wait, so a caller's read loop against a dead leader does not spin. */
const FAILED_WAIT_PAUSE_MS = 500;

interface LeaderOffsets {
  logStartOffset: number;
  highWatermark: number;
}

export class ClusterPartitionReaders implements PartitionReaders {
  private readonly offsets = new Map<string, LeaderOffsets>();
  private readonly incarnations = new Map<string, object>();

  constructor(
    readonly logs: LogManager,
    readonly cluster: ClusterMetadata,
    readonly router: PartitionRouter,
    /**
     * The broker's producer states: a partition led here is read read_committed (records/partition-reader.ts).
     * A reader of a topic no transaction writes (the schema registry's `_schemas`) may use its own.
     */
    readonly producerStates: ProducerStateRegistry = new ProducerStateRegistry(),
    /** Decodes schema-encoded records for json reads (records/record-renderer.ts). */
    readonly schemaDecoder?: SchemaDecoder,
    /**
     * Where long polls go (remote-waits.ts): ClusterService's lanes. Without them, one lane that is
     * `router` itself: for a reader that only waits (the schema registry's follower, which has a
     * router of its own for that).
     */
    readonly waits: RemoteWaits = new RemoteWaits(() => router, 1),
  ) {}

  reader(topic: string, partition: number): PartitionReader {
    const record = this.cluster.topic(topic);
    if (record === undefined) {
      // Not a cluster topic (a node-local one, or none): the local store answers.
      this.logs.getLog(topic, partition);
      return new LocalPartitionReader(this.logs, this.producerStates, topic, partition);
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= record.partitions) {
      throw new SpoolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${topic}-${partition} does not exist`, { topic, partition });
    }
    return new ClusterPartitionReader(this, topic, partition);
  }

  partitionCount(topic: string): number {
    return this.cluster.topic(topic)?.partitions ?? this.logs.describeTopic(topic).partitions;
  }

  topicId(topic: string): string {
    return this.cluster.topic(topic)?.topicId ?? this.logs.describeTopic(topic).id;
  }

  /** Fetches the leader's log start offset and high watermark of each remote partition. */
  async prepare(topic: string, partitions: readonly number[]): Promise<void> {
    await Promise.all(
      partitions.map(async (partition) => {
        const route = this.router.route(topic, partition);
        if (route.kind !== 'remote') return;
        const [earliest, latest] = await Promise.all([
          this.remoteOffset(route.leader, topic, partition, ListOffsetsTimestamp.EARLIEST),
          this.remoteOffset(route.leader, topic, partition, ListOffsetsTimestamp.LATEST),
        ]);
        this.remember(topic, partition, earliest?.offset ?? 0, latest?.offset ?? 0);
      }),
    );
  }

  /**
   * Many partitions' offsets at once (admin views: group lag and resets, the topic list): local
   * ones from this node's log, remote ones with one ListOffsets per leader for the earliest and
   * one for the latest offsets of all its partitions (remembered, as prepare() does); a partition
   * that is unknown, offline or whose leader does not answer gets its error.
   */
  async leaderOffsets(partitions: readonly { readonly topic: string; readonly partition: number }[]): Promise<Array<PartitionOffsets | SpoolError>> {
    const answers: Array<PartitionOffsets | SpoolError | undefined> = partitions.map(() => undefined);
    const remote = new Map<number, number[]>(); // leader -> indexes into partitions
    partitions.forEach(({ topic, partition }, i) => {
      let reader: PartitionReader;
      try {
        reader = this.reader(topic, partition);
      } catch (err) {
        if (!isSpoolError(err)) throw err;
        answers[i] = err;
        return;
      }
      const route = reader instanceof ClusterPartitionReader ? this.router.route(topic, partition) : ({ kind: 'local' } as const);
      if (route.kind === 'refused') answers[i] = route.error;
      else if (route.kind === 'local') answers[i] = offsetsOrError(() => reader);
      else remote.set(route.leader, [...(remote.get(route.leader) ?? []), i]);
    });
    await Promise.all(
      [...remote].map(async ([leader, indexes]) => {
        const asked = indexes.map((i) => partitions[i]!);
        const ask = (timestamp: number) =>
          listOffsets(this.router.sender(leader), { isolationLevel: IsolationLevel.READ_COMMITTED, partitions: asked.map((p) => ({ ...p, timestamp })) }, { timeoutMs: this.router.peerRequestTimeoutMs });
        let earliest: Awaited<ReturnType<typeof ask>>;
        let latest: Awaited<ReturnType<typeof ask>>;
        try {
          [earliest, latest] = await Promise.all([ask(ListOffsetsTimestamp.EARLIEST), ask(ListOffsetsTimestamp.LATEST)]);
        } catch (err) {
          const error = isSpoolError(err) ? err : new SpoolError('NETWORK_EXCEPTION', `ListOffsets to broker ${leader} failed: ${(err as Error).message}`);
          for (const i of indexes) answers[i] = error;
          return;
        }
        const find = (result: typeof earliest, topic: string, partition: number) => result.partitions.find((r) => r.topic === topic && r.partition === partition);
        for (const i of indexes) {
          const { topic, partition } = partitions[i]!;
          const first = find(earliest, topic, partition);
          const last = find(latest, topic, partition);
          const error = first?.error ?? last?.error ?? null;
          if (error !== null) answers[i] = error;
          else if (first?.offset == null || last?.offset == null) answers[i] = new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${leader} answered ListOffsets for ${topic}-${partition} without its offsets`, { topic, partition });
          else {
            this.remember(topic, partition, first.offset, last.offset);
            answers[i] = { logStartOffset: first.offset, highWatermark: last.offset };
          }
        }
      }),
    );
    return answers.map((a) => a!);
  }

  cached(topic: string, partition: number): LeaderOffsets {
    return this.offsets.get(key(topic, partition)) ?? { logStartOffset: 0, highWatermark: 0 };
  }

  remember(topic: string, partition: number, logStartOffset: number | null, highWatermark: number | null): void {
    const entry = this.offsets.get(key(topic, partition)) ?? { logStartOffset: 0, highWatermark: 0 };
    if (logStartOffset !== null && logStartOffset >= 0) entry.logStartOffset = logStartOffset;
    if (highWatermark !== null && highWatermark >= 0) entry.highWatermark = highWatermark;
    this.offsets.set(key(topic, partition), entry);
  }

  /** One object per partition of a topic id (caches of rendered reads key on it): a topic deleted and created again is another incarnation. */
  incarnationOf(topic: string, partition: number): object {
    const id = `${this.cluster.topic(topic)?.topicId ?? topic}\u0000${partition}`;
    let object = this.incarnations.get(id);
    if (object === undefined) {
      object = { topic, partition };
      this.incarnations.set(id, object);
    }
    return object;
  }

  async remoteRead(leader: number, topic: string, partition: number, offset: number, maxBytes: number): Promise<PartitionRead> {
    // A read that held only an aborted transaction's data batches reads on (its marker, below the
    // LSO, ends it soon), as the local reader does.
    for (let from = offset; ; ) {
      const read = await this.remoteReadOnce(leader, topic, partition, from, maxBytes);
      if (read.batches.length > 0) return read;
      if (read.nextOffset === from) return { batches: read.batches, nextOffset: offset };
      from = read.nextOffset;
    }
  }

  private async remoteReadOnce(leader: number, topic: string, partition: number, offset: number, maxBytes: number): Promise<PartitionRead> {
    const budget = Math.max(1, maxBytes);
    const result = await fetchRecords(
      this.router.sender(leader),
      { maxWaitMs: 0, minBytes: 0, maxBytes: budget, isolationLevel: IsolationLevel.READ_COMMITTED, partitions: [{ topic, partition, fetchOffset: offset, partitionMaxBytes: budget }] },
      { timeoutMs: this.router.peerRequestTimeoutMs },
    );
    if (result.error !== null) throw result.error;
    const answered = result.partitions[0];
    if (answered === undefined) throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${leader} answered a fetch of ${topic}-${partition} without that partition`);
    if (answered.error !== null) throw answered.error;
    this.remember(topic, partition, answered.logStartOffset, stableEnd(answered));
    const records = answered.records ?? Buffer.alloc(0);
    // Whole batches only (a Kafka fetch may end with a partial one); copied out of the response frame.
    let end = 0;
    let nextOffset = offset;
    for (const batch of iterateBatches(records)) {
      end = batch.pos + batch.size;
      nextOffset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
    }
    if (end === 0) return { batches: Buffer.alloc(0), nextOffset: offset };
    const committed = withoutAbortedFromFetch(records.subarray(0, end), answered.abortedTransactions);
    return { batches: Buffer.from(committed), nextOffset };
  }

  async remoteWait(leader: number, topic: string, partition: number, offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || timeoutMs <= 0) return;
    const waitMs = Math.min(timeoutMs, MAX_REMOTE_WAIT_MS);
    // On a connection of its own, shared by every waiter at this offset (remote-waits.ts).
    await this.waits.wait(leader, `${leader}\u0000${topic}\u0000${partition}\u0000${offset}`, waitMs, signal, async (sender, shared) => {
      try {
        const result = await fetchRecords(
          sender(),
          { maxWaitMs: waitMs, minBytes: 1, maxBytes: 1, isolationLevel: IsolationLevel.READ_COMMITTED, partitions: [{ topic, partition, fetchOffset: offset, partitionMaxBytes: 1 }] },
          { timeoutMs: waitMs + this.router.peerRequestTimeoutMs, signal: shared },
        );
        const answered = result.partitions[0];
        if (result.error !== null || answered === undefined || answered.error !== null) throw result.error ?? answered?.error ?? new Error('no partition in the answer');
        this.remember(topic, partition, answered.logStartOffset, stableEnd(answered));
      } catch {
        if (shared.aborted) return;
        await pause(Math.min(FAILED_WAIT_PAUSE_MS, waitMs), shared);
      }
    });
  }

  async remoteOffset(leader: number, topic: string, partition: number, timestamp: number): Promise<OffsetAndTimestamp | null> {
    const result = await listOffsets(this.router.sender(leader), { isolationLevel: IsolationLevel.READ_COMMITTED, partitions: [{ topic, partition, timestamp }] }, { timeoutMs: this.router.peerRequestTimeoutMs });
    const answered = result.partitions[0];
    if (answered === undefined) throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${leader} answered ListOffsets for ${topic}-${partition} without that partition`);
    if (answered.error !== null) throw answered.error;
    return answered.offset === null || answered.offset < 0 ? null : { offset: answered.offset, timestamp: answered.timestamp ?? -1 };
  }
}

/** A cluster topic's partition, read wherever its leader is at the time of each call. */
class ClusterPartitionReader implements PartitionReader {
  private local: LocalPartitionReader | null = null;

  constructor(
    private readonly owner: ClusterPartitionReaders,
    readonly topic: string,
    readonly partition: number,
  ) {}

  logStartOffset(): number {
    const route = this.owner.router.route(this.topic, this.partition);
    return route.kind === 'local' ? this.localReader().logStartOffset() : this.owner.cached(this.topic, this.partition).logStartOffset;
  }

  highWatermark(): number {
    const route = this.owner.router.route(this.topic, this.partition);
    return route.kind === 'local' ? this.localReader().highWatermark() : this.owner.cached(this.topic, this.partition).highWatermark;
  }

  read(offset: number, maxBytes: number): Promise<PartitionRead> {
    const route = this.owner.router.route(this.topic, this.partition);
    if (route.kind === 'local') return this.localReader().read(offset, maxBytes);
    if (route.kind === 'refused') return Promise.reject(route.error);
    return this.owner.remoteRead(route.leader, this.topic, this.partition, offset, maxBytes);
  }

  waitForAppend(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const route = this.owner.router.route(this.topic, this.partition);
    if (route.kind === 'local') return this.localReader().waitForAppend(offset, timeoutMs, signal);
    if (route.kind === 'refused') return pause(Math.min(FAILED_WAIT_PAUSE_MS, timeoutMs), signal);
    return this.owner.remoteWait(route.leader, this.topic, this.partition, offset, timeoutMs, signal);
  }

  offsetForTimestamp(timestamp: number): Promise<OffsetAndTimestamp | null> {
    const route = this.owner.router.route(this.topic, this.partition);
    if (route.kind === 'local') return this.localReader().offsetForTimestamp(timestamp);
    if (route.kind === 'refused') return Promise.reject(route.error);
    return this.owner.remoteOffset(route.leader, this.topic, this.partition, timestamp);
  }

  incarnation(): object {
    return this.owner.incarnationOf(this.topic, this.partition);
  }

  private localReader(): LocalPartitionReader {
    this.local ??= new LocalPartitionReader(this.owner.logs, this.owner.producerStates, this.topic, this.partition);
    return this.local;
  }
}

/** Where a read_committed reader's records end: the leader's LSO (its high watermark from a broker that does not answer one). */
function stableEnd(answered: { highWatermark: number | null; lastStableOffset: number | null }): number | null {
  return answered.lastStableOffset ?? answered.highWatermark;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
