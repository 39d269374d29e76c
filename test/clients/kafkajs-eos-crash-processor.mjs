// A consume-transform-produce processor on kafkajs transactions for the processor-crash test
// (apps/server/test/transactions-processor-crash.e2e-spec.ts), which SIGKILLs it at chosen steps:
// reads `input` in group `groupId` and, per batch, writes each value with "in-" replaced by "out-"
// to `output` in one transaction with the batch's consumed offsets (sendOffsets), then commits.
// It runs until killed.
//
//   node kafkajs-eos-crash-processor.mjs <bootstrap> <input> <output> <groupId> <transactionalId> <sessionTimeoutMs> <stepPauseMs> [<dieAtCommit> <dieDelayMs>]
//
// Prints one line per step on stdout, before the step's next request: "ready" (joined, about to
// consume), "begin", "sent <n>" (the records are in the log), "offsets" (sendOffsets answered: the
// offsets are in the transaction), "committing" (EndTxn about to be sent), "committed <n>" (EndTxn
// answered). It pauses `stepPauseMs` after "sent" and "offsets", so a kill the test sends on
// reading one of those lines lands at that point of the transaction; "committing" has no pause,
// so a kill then lands while EndTxn is in flight (or just after it was answered). A signal
// travels through the test's pipe first, though; for a kill inside EndTxn, <dieAtCommit> N makes
// the processor SIGKILL itself <dieDelayMs> after its N-th commit() call began (before the EndTxn
// request is written, while it is in flight, or after its answer, depending on the delay).
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, input, output, groupId, transactionalId, sessionTimeoutMs, stepPauseMs, dieAtCommit = '0', dieDelayMs = '0'] = process.argv.slice(2);
let commits = 0;
const pause = () => new Promise((resolve) => setTimeout(resolve, Number(stepPauseMs)));
const kafka = new Kafka({ clientId: 'eos-crash-processor', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100 } });
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10_000 });
const session = Number(sessionTimeoutMs);
const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 200, sessionTimeout: session, rebalanceTimeout: session, heartbeatInterval: Math.max(100, Math.floor(session / 10)) });
const say = (line) => process.stdout.write(`${line}\n`);

// A consumer that crashes for good (kafkajs does not restart it) ends the process, so the test sees it.
consumer.on(consumer.events.CRASH, ({ payload }) => {
  if (!payload.restart) {
    process.stderr.write(`consumer crashed: ${payload.error?.stack ?? payload.error}\n`);
    process.exit(2);
  }
});
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: input, fromBeginning: true });
say('ready');
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    if (batch.messages.length === 0) return;
    const txn = await producer.transaction();
    say('begin');
    try {
      await txn.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value.toString().replace('in-', 'out-') })) });
      say(`sent ${batch.messages.length}`);
      await pause();
      const next = (Number(batch.lastOffset()) + 1).toString();
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      say('offsets');
      await pause();
      say('committing');
      if (++commits === Number(dieAtCommit)) setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(dieDelayMs));
      await txn.commit();
      say(`committed ${batch.messages.length}`);
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  },
});
