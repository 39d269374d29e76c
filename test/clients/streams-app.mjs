// A @spool/streams application as its own process, for the crash tests (apps/server/test/streams-crash.e2e-spec.ts),
// run from the compiled library (dist/, `npm run build`):
//
//   node streams-app.mjs <bootstrap> <applicationId> <at_least_once|exactly_once_v2> <stateDir> <input> <output>
//
// Topology: per key, a running count of the input records and the sequence number (the value) of the one that
// produced each update: input (key k, value "17") -> output (key k, value {"count":n,"seq":17}). A duplicate
// shows up as a sequence number twice in the output, a loss as one missing, and a store restored wrongly as a
// count that does not match the sequence numbers before it.
// Prints one JSON line per event on stdout: {"event":"running"}, {"event":"metrics","tasks":[0,1],"processed":N}, log lines.
import { Kafka, logLevel } from 'kafkajs';
// The compiled library, by URL: this process runs outside the repo's TypeScript and aliases (npm run build made it).
const { KafkaStreams, Serdes, StreamsBuilder } = await import(new URL('../../dist/libs/streams/src/index.js', import.meta.url).href);

const [bootstrap, applicationId, guarantee, stateDir, input, output] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

const builder = new StreamsBuilder();
builder
  .stream(input)
  .groupByKey()
  .aggregate(() => ({ count: 0, seq: -1 }), (_key, value, agg) => ({ count: agg.count + 1, seq: Number(value) }), { name: 'counts' })
  .toStream()
  .to(output, { valueSerde: Serdes.json() });

const kafka = new Kafka({ clientId: `${applicationId}-${process.pid}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100 } });
const logger = {
  info: (message, fields) => print({ event: 'log', level: 'info', message, ...fields }),
  warn: (message, fields) => print({ event: 'log', level: 'warn', message, ...fields }),
  error: (message, fields) => print({ event: 'log', level: 'error', message, ...fields }),
};
const app = new KafkaStreams(builder.build(), { applicationId, kafka, processingGuarantee: guarantee, stateDir, sessionTimeoutMs: 6_000, transactionTimeoutMs: 10_000, logger });
await app.start();
print({ event: 'running' });
let last = '';
setInterval(() => {
  const { tasks, processedRecords } = app.metrics();
  const now = JSON.stringify({ tasks, processed: processedRecords });
  if (now !== last) print({ event: 'metrics', tasks, processed: processedRecords });
  last = now;
}, 100);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
