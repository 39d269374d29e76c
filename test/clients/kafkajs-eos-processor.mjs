// A consume-transform-produce processor on kafkajs transactions, for the crash tests
// (apps/server/test/transactions-crash.e2e-spec.ts): reads `input` in group `groupId`, and per
// batch writes each value with "in-" replaced by "out-" to `output` in one transaction together
// with the batch's consumed offsets (sendOffsets), then commits. It runs until killed.
//
//   node kafkajs-eos-processor.mjs <bootstrap> <input> <output> <groupId> <transactionalId>
//
// Prints one line per step on stdout: "begin", "sent <n>", "committed <n>" (n: records in the
// transaction), so the test can kill the broker while a transaction is open. A small pause
// between the send and the commit keeps transactions open long enough for that.
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, input, output, groupId, transactionalId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'eos-processor', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 5_000 });
const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 600 });
const say = (line) => process.stdout.write(`${line}\n`);

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: input, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    if (batch.messages.length === 0) return;
    const txn = await producer.transaction();
    say('begin');
    try {
      await txn.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value.toString().replace('in-', 'out-') })) });
      say(`sent ${batch.messages.length}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const next = (Number(batch.lastOffset()) + 1).toString();
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      await txn.commit();
      say(`committed ${batch.messages.length}`);
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  },
});
