// Top pages per minute with @spool/streams, shown live in a web page.
//
//   node top-pages.mjs [--bootstrap 127.0.0.1:9092] [--ws ws://127.0.0.1:8080/v1/ws] [--port 3000]
//
// The streams application reads `page-views` (JSON values {"user": "...", "page": "/pricing"}), counts views per
// page in 1-minute tumbling windows and writes every update to `page-counts` (key: the window's start, value:
// {"page", "count", "windowStartMs"}). An HTTP server on --port serves index.html, which subscribes to
// `page-counts` over the broker's WebSocket face and draws the current minute's top 10. Prints one JSON line
// {"event":"listening","url":...} once both run.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaStreams, Serdes, StreamsBuilder, TimeWindows } from '@spool/streams';

const { values: args } = parseArgs({
  options: {
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    ws: { type: 'string', default: 'ws://127.0.0.1:8080/v1/ws' },
    port: { type: 'string', default: '3000' },
    'state-dir': { type: 'string' },
  },
});

const builder = new StreamsBuilder();
builder
  .stream('page-views', { valueSerde: Serdes.json() })
  .selectKey((_key, view) => view.page)
  .groupByKey()
  .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
  .count({ name: 'views-per-page-minute' })
  .toStream()
  .map((windowed, count) => ({ key: String(windowed.window.startMs), value: { page: windowed.key, count, windowStartMs: windowed.window.startMs } }))
  .to('page-counts');

const kafka = new Kafka({ clientId: 'top-pages', brokers: [args.bootstrap], logLevel: logLevel.NOTHING });
const app = new KafkaStreams(builder.build(), { applicationId: 'top-pages', kafka, stateDir: args['state-dir'], logger: console });
await app.start();

// The page learns where the broker's WebSocket is from the query string this server adds.
const html = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
const server = createServer((req, res) => {
  if (req.url === '/' || req.url?.startsWith('/?') || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html.replace('__SPOOL_WS_URL__', JSON.stringify(args.ws).slice(1, -1)));
  } else {
    res.writeHead(404).end();
  }
});
server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${server.address().port}/` }) + '\n');
});

const stop = async () => {
  server.close();
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
