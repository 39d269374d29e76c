/**
 * Idempotent producers across restarts of the compiled server: a batch acknowledged before a
 * SIGKILL and resent after the restart (same producer id, epoch and sequence, as a client resends
 * a request whose answer it never got) is answered as a duplicate with its original offset and is
 * not appended again; the sequence rules still hold afterwards; and InitProducerId never hands out
 * an id twice, across SIGKILL and SIGTERM restarts.
 *
 * Raw frames (libs/protocol's codecs) stand in for a client here because no client resends a
 * given sequence on demand; kafkajs.e2e-spec.ts covers real idempotent producers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  encodeRecordBatch,
  KafkaApiKey,
  KafkaErrorCode,
  type InitProducerIdResponse,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '@spool/protocol';
import { KafkaRawClient } from './kafka-raw-client.test-util.js';
import { assertBuilt, ServerProcess } from './server-process.test-util.js';

const TOPIC = 'payments';

let dataDir: string;
let server: ServerProcess | undefined;
let client: KafkaRawClient | undefined;

beforeAll(() => assertBuilt());

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-producer-restart-'));
});

afterEach(async () => {
  client?.close();
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<{ server: ServerProcess; client: KafkaRawClient }> {
  server = await ServerProcess.startReady(dataDir);
  client = await KafkaRawClient.connect(server.kafkaPort);
  return { server, client };
}

async function initProducerId(c: KafkaRawClient): Promise<number> {
  const res = await c.request<InitProducerIdResponse>(KafkaApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  expect(res.errorCode).toBe(KafkaErrorCode.NONE);
  return res.producerId;
}

function batch(producerId: number, baseSequence: number, values: readonly string[]): Buffer {
  return encodeRecordBatch({
    producerId,
    producerEpoch: 0,
    baseSequence,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })),
  });
}

async function produce(c: KafkaRawClient, records: Buffer): Promise<ProduceResponsePartitionProduceResponse> {
  const res = await c.request<ProduceResponse>(KafkaApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
  return res.responses[0].partitionResponses[0];
}

async function logEndOffset(srv: ServerProcess): Promise<number> {
  const res = await srv.get(`/v1/topics/${TOPIC}/partitions/0/offsets`);
  const body = (await res.json()) as { latest: number };
  return body.latest;
}

describe('idempotent producers across restarts', () => {
  it('a batch resent after SIGKILL is a duplicate with its original offset; producer ids never repeat', async () => {
    let { server: srv, client: c } = await startServer();
    const created = await fetch(`${srv.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: TOPIC, partitions: 1 }) });
    expect(created.status).toBe(201);
    const ids = [await initProducerId(c)];
    const first = batch(ids[0], 0, ['a', 'b', 'c']);
    const second = batch(ids[0], 3, ['d', 'e']);
    expect(await produce(c, first)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(await produce(c, second)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 3 });

    await srv.crash();
    c.close();
    ({ server: srv, client: c } = await startServer());

    // The answers the producer never got: the same batches, the original offsets, nothing appended.
    expect(await produce(c, second)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 3 });
    expect(await produce(c, first)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(await logEndOffset(srv)).toBe(5);
    // The producer goes on where it was; a gap is still refused.
    expect(await produce(c, batch(ids[0], 5, ['f']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 5 });
    expect(await produce(c, batch(ids[0], 9, ['g']))).toMatchObject({ errorCode: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await logEndOffset(srv)).toBe(6);

    ids.push(await initProducerId(c));
    srv.child.kill('SIGTERM');
    expect((await srv.exited).code).toBe(0);
    c.close();
    ({ server: srv, client: c } = await startServer());
    ids.push(await initProducerId(c), await initProducerId(c));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids); // increasing: each start reserves a block above the last
  }, 120_000); // two starts of the compiled server on a loaded machine: a bound, not a measurement
});
