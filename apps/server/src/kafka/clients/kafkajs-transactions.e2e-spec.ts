/**
 * kafkajs 2.2.4's transactions (a client nobody here wrote) against the broker's transaction
 * coordinator: commit and abort seen through a read_committed kafkajs consumer and through Fetch
 * under both isolation levels; a zombie fenced by a new instance with the same transactional.id;
 * an abandoned transaction aborted by transaction.timeout.ms; consume-transform-produce with
 * sendOffsets, whose committed offsets count only when the transaction commits.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startKafkaTestBroker, type KafkaTestBroker } from '../testing/kafka.test-util.js';

/** The coordinator checks for timed-out transactions this often (Kafka's default is 10 s). */
process.env.SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS = '200';
/** A few __transaction_state partitions (Kafka's 50 take long to create on a loaded machine; the coordinator is the same). */
process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS = '5';

const TEST_TIMEOUT_MS = 90_000;
let broker: KafkaTestBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  kafka = new Kafka({ clientId: 'spool-txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['tx-out', 'tx-fence', 'tx-timeout', 'ctp-in', 'ctp-out'].map((topic) => ({ topic, numPartitions: topic === 'ctp-in' ? 2 : 1 })) });
  await admin.disconnect();
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await broker?.close();
  delete process.env.SPOOL_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS;
  delete process.env.SPOOL_TRANSACTION_STATE_LOG_NUM_PARTITIONS;
});

/** Every value a read_committed kafkajs consumer (its default) reads from `topic` until `until` holds. */
async function readCommitted(topic: string, until: (values: string[]) => boolean, isolation: 'committed' | 'uncommitted' = 'committed'): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random()}`, readUncommitted: isolation === 'uncommitted', maxWaitTimeInMs: 100 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${JSON.stringify(values)} from ${topic}`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (until(values)) {
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
  return values;
}

describe('kafkajs transactions', () => {
  it('a committed transaction is read, an aborted one is not (read_committed); read_uncommitted sees both', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-commit-abort', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'tx-out', messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: 'tx-out', messages: [{ value: 'committed-1' }] });
    await committed.send({ topic: 'tx-out', messages: [{ value: 'committed-2' }] });
    await committed.commit();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'tx-out', messages: [{ value: 'after' }] });
    await plain.disconnect();
    await producer.disconnect();

    expect(await readCommitted('tx-out', (v) => v.includes('after'))).toEqual(['committed-1', 'committed-2', 'after']);
    expect(await readCommitted('tx-out', (v) => v.includes('after'), 'uncommitted')).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2', 'after']);
  }, TEST_TIMEOUT_MS);

  it('a new instance with the same transactional.id fences the old one: its open transaction is aborted, its commit refused', async () => {
    const zombie = kafka.producer({ transactionalId: 'tx-fenced', maxInFlightRequests: 1, idempotent: true, retry: { retries: 2 } });
    await zombie.connect();
    const open = await zombie.transaction();
    await open.send({ topic: 'tx-fence', messages: [{ value: 'zombie' }] });

    const fresh = kafka.producer({ transactionalId: 'tx-fenced', maxInFlightRequests: 1, idempotent: true });
    await fresh.connect(); // InitProducerId: the zombie's transaction is aborted, the epoch bumped
    const txn = await fresh.transaction();
    await txn.send({ topic: 'tx-fence', messages: [{ value: 'fresh' }] });
    await txn.commit();

    await expect(open.commit()).rejects.toThrow(/fenced|epoch/i);
    await zombie.disconnect().catch(() => undefined);
    await fresh.disconnect();
    expect(await readCommitted('tx-fence', (v) => v.includes('fresh'))).toEqual(['fresh']);
  }, TEST_TIMEOUT_MS);

  it('an abandoned transaction is aborted after transaction.timeout.ms; records after it become readable', async () => {
    const abandoned = kafka.producer({ transactionalId: 'tx-abandoned', transactionTimeout: 1_000, maxInFlightRequests: 1, idempotent: true });
    await abandoned.connect();
    const open = await abandoned.transaction();
    await open.send({ topic: 'tx-timeout', messages: [{ value: 'never-committed' }] });
    // Left open: the producer disconnects without ending it (as a crashed process would).
    await abandoned.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'tx-timeout', messages: [{ value: 'later' }] });
    await plain.disconnect();
    // Held back by the open transaction (below the LSO nothing is readable) until the coordinator aborts it.
    expect(await readCommitted('tx-timeout', (v) => v.includes('later'))).toEqual(['later']);
  }, TEST_TIMEOUT_MS);

  it('consume-transform-produce with sendOffsets: output and consumed offsets commit together', async () => {
    const input = kafka.producer();
    await input.connect();
    await input.send({ topic: 'ctp-in', messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}`, partition: i % 2 })) });
    await input.disconnect();

    const producer = kafka.producer({ transactionalId: 'ctp-app', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: 'ctp-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
    let processed = 0;
    let abortedOnce = false;
    const done = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const txn = await producer.transaction();
            await txn.send({ topic: 'ctp-out', messages: batch.messages.map((m) => ({ value: m.value!.toString().replace('in-', 'out-') })) });
            const next = (Number(batch.lastOffset()) + 1).toString();
            await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
            if (!abortedOnce) {
              // The first batch's transaction is aborted: neither its output nor its offsets count.
              abortedOnce = true;
              await txn.abort();
              throw new Error('aborted on purpose: kafkajs fetches the batch again');
            }
            await txn.commit();
            processed += batch.messages.length;
            if (processed >= 10) resolve();
          },
        })
        .catch(reject);
    });
    await done;
    await consumer.disconnect();
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] });
    await admin.disconnect();
    expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '5'],
      [1, '5'],
    ]);
    const out = await readCommitted('ctp-out', (v) => v.length >= 10);
    expect([...out].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `out-${i}`).sort());
  }, TEST_TIMEOUT_MS);
});
