/**
 * Restores a task's stores from their changelog topics before the task processes anything: every
 * record of partition N of `<appId>-<store>-changelog`, from the log start to the end offset read
 * when the restore began, is put into the (emptied) store. Read under read_committed, so an
 * exactly-once application restores only what committed transactions wrote. Progress is logged
 * every 10,000 records and at the end (records, of how many, elapsed ms), and told to the
 * application's StateRestoreListener per changelog partition: start, each batch, end.
 *
 * kafkajs has no manual partition assignment, so the restore consumer is a group of one member
 * (a fresh group id, deleted afterwards) whose assigner hands it exactly these partitions.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { KeyValueStore } from '../state/key-value-store.js';
import { copartitionedAssigner } from './copartitioned-assigner.js';
import type { StateRestoreListener, StreamsLogger } from './streams-config.js';

export interface RestoreTarget {
  readonly changelogTopic: string;
  readonly store: KeyValueStore;
}

export interface RestoreResult {
  readonly records: number;
  readonly elapsedMs: number;
}

const PROGRESS_EVERY = 10_000;

export async function restoreFromChangelogs(kafka: Kafka, applicationId: string, partition: number, targets: readonly RestoreTarget[], logger: StreamsLogger, keepAlive: () => Promise<void>, listener: StateRestoreListener = {}): Promise<RestoreResult> {
  const started = Date.now();
  const tell = (what: string, call: () => void) => {
    try {
      call();
    } catch (err) {
      logger.warn(`the restore listener's ${what} threw: ${(err as Error).message}`, { applicationId, partition });
    }
  };
  const admin = kafka.admin();
  await admin.connect();
  const endOffsets = new Map<string, { low: number; high: number }>();
  try {
    for (const { changelogTopic } of targets) {
      const offsets = (await admin.fetchTopicOffsets(changelogTopic)).find((p) => p.partition === partition);
      const low = Number(offsets?.low ?? 0);
      const high = Number(offsets?.high ?? 0);
      if (high > low) endOffsets.set(changelogTopic, { low, high });
    }
  } finally {
    await admin.disconnect();
  }
  const total = [...endOffsets.values()].reduce((n, o) => n + o.high - o.low, 0);
  if (total === 0) {
    logger.info(`restore of task ${partition}: changelogs empty, nothing to restore`, { applicationId, partition });
    return { records: 0, elapsedMs: Date.now() - started };
  }
  for (const [changelogTopic, o] of endOffsets) tell('onRestoreStart', () => listener.onRestoreStart?.({ task: partition, changelogTopic, startOffset: o.low, endOffset: o.high }));
  const restoredPerTopic = new Map<string, number>([...endOffsets.keys()].map((topic) => [topic, 0]));
  const storeOf = new Map(targets.map((t) => [t.changelogTopic, t.store]));
  const position = new Map<string, number>([...endOffsets].map(([topic, o]) => [topic, o.low]));
  const groupId = `${applicationId}-restore-${partition}-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [copartitionedAssigner(new Map([...endOffsets.keys()].map((topic) => [topic, [partition]])))],
    maxWaitTimeInMs: 100,
    readUncommitted: false,
  });
  let records = 0;
  let nextProgress = PROGRESS_EVERY;
  const done = new Promise<void>((resolve) => {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (!endOffsets.has(payload.topic) || payload.partition !== partition) return;
      position.set(payload.topic, Number(payload.lastOffset) + 1);
      if ([...endOffsets].every(([topic, o]) => (position.get(topic) ?? 0) >= o.high)) resolve();
    });
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...endOffsets.keys()], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const store = storeOf.get(batch.topic);
        if (store === undefined || batch.partition !== partition) return;
        const high = endOffsets.get(batch.topic)!.high;
        let inBatch = 0;
        let batchEndOffset = -1;
        for (const message of batch.messages) {
          if (Number(message.offset) >= high) break;
          batchEndOffset = Number(message.offset);
          if (message.key === null) continue;
          store.put(message.key, message.value);
          records += 1;
          inBatch += 1;
          if (records >= nextProgress) {
            nextProgress += PROGRESS_EVERY;
            logger.info(`restoring task ${partition}: ${records} of at most ${total} changelog records`, { applicationId, partition, records, total });
          }
        }
        if (batchEndOffset >= 0) {
          restoredPerTopic.set(batch.topic, (restoredPerTopic.get(batch.topic) ?? 0) + inBatch);
          tell('onBatchRestored', () => listener.onBatchRestored?.({ task: partition, changelogTopic: batch.topic, batchEndOffset, restored: inBatch }));
        }
      },
    });
    // Keeps the main consumer's membership alive while a long restore runs (it waits inside eachBatch).
    const keepAliveTimer = setInterval(() => void keepAlive().catch(() => {}), 1_000);
    try {
      await done;
    } finally {
      clearInterval(keepAliveTimer);
    }
  } finally {
    await consumer.disconnect();
  }
  for (const { store } of targets) await store.flush();
  for (const [changelogTopic, totalRestored] of restoredPerTopic) tell('onRestoreEnd', () => listener.onRestoreEnd?.({ task: partition, changelogTopic, totalRestored }));
  await deleteGroup(kafka, groupId);
  const elapsedMs = Date.now() - started;
  logger.info(`restored task ${partition}: ${records} changelog records into ${targets.length} store(s) in ${elapsedMs} ms`, { applicationId, partition, records, elapsedMs });
  return { records, elapsedMs };
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // An empty group expires on its own; failing to delete it early is harmless.
  } finally {
    await admin.disconnect();
  }
}
