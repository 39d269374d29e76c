// @confluentinc/kafka-javascript (librdkafka 2.15) as a benchmark client beside kcat: the same two
// jobs kcat does in bench:kafka and the suite's produce/consume workloads, through the client's
// librdkafka-native API (Producer, KafkaConsumer), timed by the caller from spawn to exit:
//
//   node kafka-javascript-bench.mjs produce <bootstrap> <topic> <values file> ['<librdkafka config JSON>']
//       one record per line of the file (no key: librdkafka's sticky partitioner), then flush;
//       exits 0 once every record is acknowledged, 1 on any delivery error. Defaults: acks=all
//       (the client's), linger.ms=5, batch.num.messages=10000; the JSON overrides them (bench:kafka
//       passes kcat's settings);
//   node kafka-javascript-bench.mjs consume <bootstrap> <topic> <count>
//       every partition assigned from the beginning (no group, as kcat -C), exits once `count`
//       records arrived.
// Prints one JSON line: {"records": N, "ms": <time inside the process>}.
import { readFileSync } from 'node:fs';
import confluent from '@confluentinc/kafka-javascript';

const [command, bootstrap, topic, arg, configJson = '{}'] = process.argv.slice(2);
const started = performance.now();

function fail(err) {
  process.stderr.write(`${command} failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}

function done(records) {
  process.stdout.write(JSON.stringify({ records, ms: Math.round(performance.now() - started) }) + '\n');
  process.exit(0);
}

async function produce() {
  const text = readFileSync(arg);
  const producer = new confluent.Producer({
    'bootstrap.servers': bootstrap,
    'linger.ms': 5,
    'batch.num.messages': 10000,
    'queue.buffering.max.messages': 1000000,
    ...JSON.parse(configJson),
    dr_cb: true,
  });
  let sent = 0;
  let acked = 0;
  producer.on('delivery-report', (err) => {
    if (err) fail(err);
    acked++;
  });
  producer.setPollInterval(10);
  await new Promise((resolve, reject) => {
    producer.once('ready', resolve);
    producer.once('connection.failure', reject);
    producer.connect();
  });
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(10, start);
    if (end < 0) end = text.length;
    const value = text.subarray(start, end);
    for (;;) {
      try {
        producer.produce(topic, null, value);
        break;
      } catch (err) {
        // Local queue full: let librdkafka send and deliver, then try again.
        if (err.code !== confluent.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    sent++;
    start = end + 1;
  }
  await new Promise((resolve, reject) => producer.flush(60_000, (err) => (err ? reject(err) : resolve())));
  while (acked < sent) await new Promise((resolve) => setTimeout(resolve, 5));
  producer.disconnect();
  done(sent);
}

async function consume() {
  const count = Number(arg);
  const consumer = new confluent.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'group.id': 'spool-bench-unused',
      'enable.auto.commit': false,
      'fetch.max.bytes': 52428800,
      'max.partition.fetch.bytes': 8388608,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise((resolve, reject) => {
    consumer.once('ready', resolve);
    consumer.once('connection.failure', reject);
    consumer.connect();
  });
  const metadata = await new Promise((resolve, reject) => consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
  const partitions = metadata.topics.find((t) => t.name === topic).partitions.map((p) => ({ topic, partition: p.id, offset: 0 }));
  consumer.assign(partitions);
  consumer.setDefaultConsumeTimeout(100);
  let received = 0;
  while (received < count) {
    const messages = await new Promise((resolve, reject) => consumer.consume(10000, (err, m) => (err ? reject(err) : resolve(m))));
    received += messages.length;
  }
  consumer.disconnect();
  done(received);
}

try {
  if (command === 'produce') await produce();
  else if (command === 'consume') await consume();
  else fail(new Error(`unknown command ${command}: produce or consume`));
} catch (err) {
  fail(err);
}
