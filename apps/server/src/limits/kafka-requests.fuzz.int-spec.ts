/**
 * Property-based fuzz of the Kafka listener: requests built from Kafka's message schemas
 * (../shared/kafka-protocol, through libs/protocol's sampleMessage: every field random as its
 * type and version allow) for every API the broker advertises and every version it takes, half
 * of them with a few bits of the body flipped, sent on a real socket.
 *
 * Properties: each request is answered (a response with its correlation id) or, if it cannot be
 * read, its connection is closed; the broker stays healthy (a fresh connection is answered) and
 * the test topic's data is unchanged (the fuzz never builds a valid record batch: the records
 * field is random bytes, refused as CORRUPT_MESSAGE). APIs that create, delete or reshape topics,
 * and the classic group membership calls (which may wait out a rebalance), are left out.
 * FUZZ_RUNS (default 10,000) and FUZZ_SEED; shrunk counterexamples go to REGRESSIONS.
 */
import fc from 'fast-check';
import net from 'node:net';
import { decodeKafkaResponseFrame, encodeKafkaRequestFrame, getKafkaApi, KafkaApiKey, sampleMessage, seededRandom, type ApiVersionsResponse } from '@spool/protocol';
import { KafkaFrameParser } from '../kafka/kafka-frame-parser.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../kafka/testing/kafka.test-util.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_001a);
/** CreateTopics, DeleteTopics, DeleteRecords, AlterConfigs, CreatePartitions, IncrementalAlterConfigs; JoinGroup, SyncGroup. */
const LEFT_OUT = new Set([19, 20, 21, 33, 37, 44, 11, 14]);

interface Case {
  readonly apiKey: number;
  readonly version: number;
  readonly sampleSeed: number;
  readonly flips: readonly number[];
}

/** Cases that once broke a property (none so far), replayed first. */
const REGRESSIONS: readonly Case[] = [];

/** One connection: sends frames, collects responses by correlation id, notices the close. */
class Conn {
  readonly socket: net.Socket;
  readonly answered = new Set<number>();
  closed = false;
  private readonly parser = new KafkaFrameParser(1 << 30);

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => {
      for (const frame of this.parser.push(d)) this.answered.add(frame.readInt32BE(0));
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

describe('Kafka requests fuzz (Kafka message schemas)', () => {
  let broker: KafkaTestBroker;

  beforeAll(async () => {
    broker = await startKafkaTestBroker({ kafka: { autoCreateTopicsEnable: false }, http: { autoCreateTopicsEnable: false } });
    await broker.logManager.createTopic('t', 1);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it(`answers or closes on each of ${RUNS} schema-built and bit-flipped requests, and stays healthy`, async () => {
    // What the broker advertises, and the versions it takes.
    const probe = new Conn(broker.kafkaPort);
    probe.socket.write(encodeKafkaRequestFrame({ requestApiKey: KafkaApiKey.ApiVersions, requestApiVersion: 3, correlationId: 1, clientId: 'fuzz' }, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }));
    const frames: Buffer[] = [];
    const parser = new KafkaFrameParser(1 << 30);
    probe.socket.on('data', (d) => frames.push(...parser.push(d)));
    expect(await until(() => frames.length === 1, 10_000)).toBe(true);
    probe.socket.destroy();
    const advertised = decodeKafkaResponseFrame<ApiVersionsResponse>(KafkaApiKey.ApiVersions, 3, frames[0]).body.apiKeys.filter((a) => !LEFT_OUT.has(a.apiKey) && getKafkaApi(a.apiKey) !== undefined);
    expect(advertised.length).toBeGreaterThan(10);

    const before = (await broker.logManager.getLog('t', 0).read(0, 1 << 20)).records;
    const cases: fc.Arbitrary<Case> = fc
      .tuple(fc.constantFrom(...advertised), fc.nat(), fc.nat(), fc.oneof(fc.constant([]), fc.array(fc.nat(), { minLength: 1, maxLength: 3 })))
      .map(([api, v, sampleSeed, flips]) => ({ apiKey: api.apiKey, version: api.minVersion + (v % (api.maxVersion - api.minVersion + 1)), sampleSeed, flips }));

    let conn = new Conn(broker.kafkaPort);
    let correlationId = 100;
    const answeredOrClosed = async (c: Case): Promise<boolean> => {
      const api = getKafkaApi(c.apiKey)!;
      const body = sampleMessage(api.request.schema, c.version, seededRandom(c.sampleSeed), { maxArrayLength: 2 });
      // A long-poll would be answered only after its wait: ask for none.
      if (c.apiKey === KafkaApiKey.Fetch) (body as { maxWaitMs: number }).maxWaitMs = 0;
      const id = correlationId++;
      const frame = encodeKafkaRequestFrame({ requestApiKey: c.apiKey, requestApiVersion: c.version, correlationId: id, clientId: 'fuzz' }, body);
      // Flips land after the size prefix and request header's key, version and correlation id (bytes 4..11).
      const headerEnd = 12;
      for (const f of c.flips) if (frame.length > headerEnd) frame[headerEnd + (f % (frame.length - headerEnd))] ^= 1 << (f % 8);
      if (conn.closed || conn.socket.destroyed) conn = new Conn(broker.kafkaPort);
      conn.socket.write(frame);
      const target = conn;
      const settled = await until(() => target.answered.has(id) || target.closed, 10_000);
      if (target.answered.has(id)) answered++;
      return settled;
    };
    let answered = 0;
    for (const c of REGRESSIONS) expect(await answeredOrClosed(c)).toBe(true);
    await fc.assert(fc.asyncProperty(cases, answeredOrClosed), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    conn.socket.destroy();
    // Most requests are read and answered (the property is not vacuous: not every request just closes its connection).
    expect(answered).toBeGreaterThan(RUNS / 4);

    // Healthy, and the data is as it was.
    const fresh = new Conn(broker.kafkaPort);
    fresh.socket.write(encodeKafkaRequestFrame({ requestApiKey: KafkaApiKey.ApiVersions, requestApiVersion: 3, correlationId: 7, clientId: 'fuzz' }, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }));
    expect(await until(() => fresh.answered.has(7), 10_000)).toBe(true);
    fresh.socket.destroy();
    const after = (await broker.logManager.getLog('t', 0).read(0, 1 << 20)).records;
    expect(after.equals(before)).toBe(true);
  }, 300_000);
});
