/**
 * Test doubles for the coordinator's ports: an in-memory OffsetLog (the app wires the log
 * engine's `__consumer_offsets` in the server), a fixed TopicMetadataSource, and a coordinator
 * on a ManualClock + ManualScheduler with deterministic member ids.
 */
import { ManualClock } from '@spool/common';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { OffsetLog, OffsetLogMarker, OffsetLogRecord, OffsetLogTxn, TopicMetadataSource } from './coordinator-ports.js';
import { GroupCoordinator } from './group-coordinator.js';
import { ManualScheduler } from './scheduler.js';

export class InMemoryOffsetLog implements OffsetLog {
  readonly records: OffsetLogRecord[] = [];
  /** Transaction markers, by the number of records before them. */
  private readonly markers = new Map<number, OffsetLogMarker[]>();
  /** When set, the next append rejects with it (and is not written). */
  failNextAppend: Error | null = null;

  async append(records: readonly OffsetLogRecord[], txn?: OffsetLogTxn): Promise<void> {
    if (this.failNextAppend !== null) {
      const err = this.failNextAppend;
      this.failNextAppend = null;
      throw err;
    }
    this.records.push(...records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), ...(txn !== undefined && { txn }) })));
  }

  /** A transaction marker, as WriteTxnMarkers appends it to the partition. */
  appendMarker(producerId: number, producerEpoch: number, committed: boolean): void {
    const at = this.markers.get(this.records.length) ?? [];
    at.push({ marker: committed ? 'commit' : 'abort', producerId, producerEpoch });
    this.markers.set(this.records.length, at);
  }

  async *replay(): AsyncIterable<OffsetLogRecord | OffsetLogMarker> {
    for (let i = 0; i <= this.records.length; i++) {
      yield* this.markers.get(i) ?? [];
      if (i < this.records.length) yield this.records[i];
    }
  }
}

export class StaticTopics implements TopicMetadataSource {
  readonly counts = new Map<string, number>();
  /** Topic ids, as Kafka prints them: 16 bytes, base64url; a new one per (re)creation. */
  private readonly ids = new Map<string, string>();
  private nextId = 1;
  constructor(counts: Record<string, number> = {}) {
    for (const [t, n] of Object.entries(counts)) this.set(t, n);
  }
  /** Creates the topic (with a new id) or changes its partition count (same id). */
  set(topic: string, partitions: number): void {
    this.counts.set(topic, partitions);
    if (!this.ids.has(topic)) {
      const bytes = Buffer.alloc(16);
      bytes.writeUInt32BE(this.nextId++, 12);
      this.ids.set(topic, bytes.toString('base64url'));
    }
  }
  delete(topic: string): void {
    this.counts.delete(topic);
    this.ids.delete(topic);
  }
  partitionCount(topic: string): number | null {
    return this.counts.get(topic) ?? null;
  }
  topicId(topic: string): string | null {
    return this.ids.get(topic) ?? null;
  }
  topicName(topicId: string): string | null {
    for (const [name, id] of this.ids) if (id === topicId) return name;
    return null;
  }
  topicNames(): string[] {
    return [...this.counts.keys()];
  }
}

export const TEST_CONFIG: Partial<CoordinatorConfig> = {
  groupMinSessionTimeoutMs: 1_000,
  groupInitialRebalanceDelayMs: 0,
};

export interface TestCoordinator {
  coordinator: GroupCoordinator;
  clock: ManualClock;
  scheduler: ManualScheduler;
  log: InMemoryOffsetLog;
  topics: StaticTopics;
}

export async function startTestCoordinator(
  options: { log?: InMemoryOffsetLog; topics?: StaticTopics; config?: Partial<CoordinatorConfig>; clock?: ManualClock } = {},
): Promise<TestCoordinator> {
  const clock = options.clock ?? new ManualClock(1_700_000_000_000);
  const scheduler = new ManualScheduler(clock);
  const log = options.log ?? new InMemoryOffsetLog();
  const topics = options.topics ?? new StaticTopics({ orders: 6 });
  let next = 0;
  const coordinator = new GroupCoordinator({
    offsetLog: log,
    topics,
    clock,
    scheduler,
    config: { ...TEST_CONFIG, ...options.config },
    newMemberId: (clientId) => `${clientId}-${String(next++).padStart(4, '0')}`,
  });
  await coordinator.start();
  return { coordinator, clock, scheduler, log, topics };
}

/** Lets every pending promise continuation run (appends resolve on later microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
