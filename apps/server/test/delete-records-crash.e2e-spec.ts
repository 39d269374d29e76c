/**
 * "A deletion of records, once answered, stays": the compiled server deletes records before an
 * offset in the middle of a segment (POST .../delete-records), is SIGKILLed right after the answer,
 * and on restart every face starts at that offset: HTTP `earliest` and fetches without an offset,
 * Kafka's ListOffsets earliest (kafkajs), and a fetch below it is 416. Without the
 * log-start-offset checkpoint written before the answer, the restarted log would start at the
 * first remaining segment's base offset, below the deleted offset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const TOPIC = 'trimmed';

let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(() => assertBuilt());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-delete-records-crash-'));
});

afterEach(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<{ srv: ServerProcess; kafkaPort: number }> {
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  server = ServerProcess.start({
    SPOOL_DATA_DIR: dataDir,
    SPOOL_HTTP_PORT: String(httpPort),
    SPOOL_KAFKA_PORT: String(kafkaPort),
    SPOOL_HOST: '127.0.0.1',
    SPOOL_LOG_LEVEL: 'warn',
  });
  await server.waitUntilReady();
  return { srv: server, kafkaPort };
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function earliestOverKafka(kafkaPort: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'delete-records-crash', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [partition] = await admin.fetchTopicOffsets(TOPIC);
    return Number(partition.low);
  } finally {
    await admin.disconnect();
  }
}

describe('DeleteRecords under SIGKILL', () => {
  it('keeps each answered logStartOffset across a kill right after the answer', async () => {
    let { srv } = await startServer();
    // Small segments, so a deletion removes whole segments and stops inside another one.
    expect((await post(`${srv.url}/v1/topics`, { name: TOPIC, partitions: 1, configs: { 'segment.bytes': '2048' } })).status).toBe(201);
    for (let i = 0; i < 20; i++) {
      const records = Array.from({ length: 10 }, (_, j) => ({ value: { n: i * 10 + j, pad: 'x'.repeat(40) } }));
      expect((await post(`${srv.url}/v1/topics/${TOPIC}/records`, { records })).status).toBe(200);
    }
    for (const offset of [17, 93, 151]) {
      const res = await post(`${srv.url}/v1/topics/${TOPIC}/partitions/0/delete-records`, { offset });
      expect(await res.json()).toEqual({ topic: TOPIC, partition: 0, logStartOffset: offset });
      srv.child.kill('SIGKILL');
      expect((await srv.exited).signal).toBe('SIGKILL');

      let kafkaPort: number;
      ({ srv, kafkaPort } = await startServer());
      const offsets = (await (await srv.get(`/v1/topics/${TOPIC}/partitions/0/offsets`)).json()) as { earliest: number; latest: number };
      expect(offsets).toMatchObject({ earliest: offset, latest: 200 });
      const fromStart = (await (await srv.get(`/v1/topics/${TOPIC}/partitions/0/records?maxRecords=1`)).json()) as { records: { offset: number; value: { n: number } }[] };
      expect(fromStart.records[0]).toMatchObject({ offset, value: { n: offset } });
      expect((await srv.get(`/v1/topics/${TOPIC}/partitions/0/records?offset=${offset - 1}`)).status).toBe(416);
      expect(await earliestOverKafka(kafkaPort)).toBe(offset);
    }
  }, 120_000);
});
