// Consume-transform-produce throughput of kafkajs vs @confluentinc/kafka-javascript (their KafkaJS-style APIs) against a
// running Spool broker, for docs/decisions.md ("Streams Kafka client"): node bench/streams/kafka-client-eval.mjs
// <bootstrap> kafkajs|ckjs <records> (ckjs from test/clients, which scripts/setup.sh builds).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../package.json', import.meta.url));
const [bootstrap, client, countArg] = process.argv.slice(2);
const N = Number(countArg);
const run = `${client}-${Date.now()}`;
const input = `in-${run}`;
const output = `out-${run}`;

let Kafka;
let cfg;
if (client === 'kafkajs') {
  ({ Kafka } = require('kafkajs'));
  cfg = (c) => ({ clientId: 'bench', brokers: [bootstrap], logLevel: 0, ...c });
} else {
  const ck = createRequire(new URL('../../test/clients/package.json', import.meta.url))('@confluentinc/kafka-javascript');
  Kafka = ck.KafkaJS.Kafka;
  cfg = (c) => ({ kafkaJS: { clientId: 'bench', brokers: [bootstrap], logLevel: 0, ...c } });
}
const kafka = new Kafka(cfg({}));
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: input, numPartitions: 1 }, { topic: output, numPartitions: 1 }] });
await admin.disconnect();

// Fill the input with N records of ~40 bytes (same producer for both runs: kafkajs, not timed).
const { Kafka: KJ } = require('kafkajs');
const filler = new KJ({ clientId: 'fill', brokers: [bootstrap], logLevel: 0 }).producer();
await filler.connect();
for (let i = 0; i < N; i += 5000) {
  const messages = [];
  for (let j = i; j < Math.min(N, i + 5000); j++) messages.push({ key: `user-${j % 100}`, value: `the quick brown fox ${j}` });
  await filler.send({ topic: input, messages });
}
await filler.disconnect();

const producer = kafka.producer(client === 'kafkajs' ? {} : { 'linger.ms': 5 });
await producer.connect();
const consumer = kafka.consumer(client === 'kafkajs' ? { groupId: run } : { kafkaJS: { groupId: run, fromBeginning: true } });
await consumer.connect();
await consumer.subscribe(client === 'kafkajs' ? { topic: input, fromBeginning: true } : { topic: input });
let produced = 0;
const started = performance.now();
await new Promise((resolve, reject) => {
  consumer
    .run({
      eachBatch: async ({ batch }) => {
        const messages = batch.messages.map((m) => ({ key: m.key, value: m.value.toString().toUpperCase() }));
        await producer.send({ topic: output, messages });
        produced += messages.length;
        if (produced >= N) resolve();
      },
    })
    .catch(reject);
});
const ms = performance.now() - started;
console.log(JSON.stringify({ client, records: produced, ms: Math.round(ms), recordsPerSec: Math.round((produced / ms) * 1000) }));
await consumer.disconnect();
await producer.disconnect();
process.exit(0);
