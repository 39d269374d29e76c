/**
 * Helpers for the @spool/streams tests against a broker: produce records with kafkajs, and read a
 * topic to the end (read_committed) into a list, each checked by the test against an independent
 * computation of what the application should have written.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';

export function testKafka(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } });
}

export async function createTopics(kafka: Kafka, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface TestMessage {
  key: string | null;
  value: string | null;
  timestamp?: number;
}

export async function produce(kafka: Kafka, topic: string, messages: TestMessage[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(i, i + 500).map((m) => ({ key: m.key, value: m.value, ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  key: string | null;
  value: string | null;
  partition: number;
  offset: number;
}

/**
 * Reads `topic` from the beginning (read_committed) until `until(records)` holds, or fails after `timeoutMs` saying what it read.
 * Each offset is collected once: the reader is a kafkajs group consumer, which delivers at least once (a rebalance
 * under load re-reads from its last committed offset), and a test counting duplicates must see the log's, not the reader's.
 */
export async function readUntil(kafka: Kafka, topic: string, until: (records: ReadRecord[]) => boolean, timeoutMs = 90_000): Promise<ReadRecord[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random()}`, maxWaitTimeInMs: 100 });
  const records: ReadRecord[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} records from ${topic} without reaching the expected state; last: ${JSON.stringify(records.slice(-5))}`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            if (seen.has(`${partition}:${message.offset}`)) return;
            seen.add(`${partition}:${message.offset}`);
            records.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, partition, offset: Number(message.offset) });
            if (until(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** The last value per key (what a table built from the topic holds). */
export function lastValues(records: ReadRecord[]): Map<string | null, string | null> {
  return new Map(records.map((r) => [r.key, r.value]));
}

/** Polls `condition` every 100 ms until it holds or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
