// One instance of each of three @spool/streams applications in one process, for the crash tests
// (apps/server/test/streams-crash.e2e-spec.ts), run from the compiled library (dist/, `npm run build`):
//
//   node streams-app.mjs <bootstrap> <at_least_once|exactly_once_v2> <stateDir> <prefix>
//
// The three applications of issue 16's integration tests, each its own consumer group (application id
// `<prefix>-<name>`), so a SIGKILL of this process kills an instance of all three mid-run:
//   wordcount  <prefix>-lines (text) -> words -> groupBy(word) through a repartition topic -> count
//              -> <prefix>-word-counts (key word, value the count as text)
//   pageviews  <prefix>-views (key user) -> 1-minute tumbling windows, 10 s grace -> count -> suppress until
//              the window closes -> <prefix>-views-per-minute (key {"key":user,"window":{...}}, value the count)
//   orders     <prefix>-orders (JSON {id, customerId, amount}) re-keyed by customer through a repartition topic,
//              joined with the table <prefix>-customers (JSON {name}; store `customers`)
//              -> <prefix>-orders-enriched (JSON {orderId, customer, amount})
// Prints one JSON line per event on stdout, each naming its application: {"event":"running"} once all three
// started, {"event":"metrics","app":"wordcount","tasks":[0,1],"processed":N}, {"event":"log","app":...,"message":...}.
import { Kafka, logLevel } from 'kafkajs';
// The compiled library, by URL: this process runs outside the repo's TypeScript and aliases (npm run build made it).
const { KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows } = await import(new URL('../../dist/libs/streams/src/index.js', import.meta.url).href);

const [bootstrap, guarantee, stateDir, prefix] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

const topologies = {
  wordcount() {
    const builder = new StreamsBuilder();
    builder
      .stream(`${prefix}-lines`)
      .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
      .groupBy((_key, word) => word)
      .count({ name: 'word-counts' })
      .toStream()
      .to(`${prefix}-word-counts`);
    return builder.build();
  },
  pageviews() {
    const builder = new StreamsBuilder();
    builder
      .stream(`${prefix}-views`)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
      .count({ name: 'views' })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to(`${prefix}-views-per-minute`, { valueSerde: Serdes.json() });
    return builder.build();
  },
  orders() {
    const builder = new StreamsBuilder();
    const customers = builder.table(`${prefix}-customers`, { valueSerde: Serdes.json(), name: 'customers' });
    builder
      .stream(`${prefix}-orders`, { valueSerde: Serdes.json() })
      .selectKey((_key, order) => order.customerId)
      .join(customers, (order, customer) => ({ orderId: order.id, customer: customer.name, amount: order.amount }))
      .to(`${prefix}-orders-enriched`);
    return builder.build();
  },
};

const apps = new Map();
for (const [name, topology] of Object.entries(topologies)) {
  const kafka = new Kafka({ clientId: `${prefix}-${name}-${process.pid}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100 } });
  const logger = {
    info: (message, fields) => print({ event: 'log', app: name, level: 'info', message, ...fields }),
    warn: (message, fields) => print({ event: 'log', app: name, level: 'warn', message, ...fields }),
    error: (message, fields) => print({ event: 'log', app: name, level: 'error', message, ...fields }),
  };
  const applicationId = `${prefix}-${name}`;
  apps.set(name, new KafkaStreams(topology(), { applicationId, kafka, processingGuarantee: guarantee, stateDir, sessionTimeoutMs: 6_000, transactionTimeoutMs: 10_000, logger }));
}
await Promise.all([...apps.values()].map((app) => app.start()));
print({ event: 'running' });
const last = new Map();
setInterval(() => {
  for (const [name, app] of apps) {
    const { tasks, processedRecords } = app.metrics();
    const now = JSON.stringify({ tasks, processed: processedRecords });
    if (now !== last.get(name)) print({ event: 'metrics', app: name, tasks, processed: processedRecords });
    last.set(name, now);
  }
}, 100);
process.on('SIGTERM', () => void Promise.all([...apps.values()].map((app) => app.close())).then(() => process.exit(0)));
