/**
 * The listener on a real socket with hand-made frames: pipelining answered in order, unsupported
 * versions, hostile sizes, malformed frames, a 10,000-frame fuzz, clean shutdown.
 */
import net from 'node:net';
import {
  KafkaApiKey,
  decodeKafkaResponseFrame,
  encodeKafkaRequestFrame,
  type ApiVersionsResponse,
  type MetadataResponse,
} from '@spool/protocol';
import { KafkaFrameParser } from './kafka-frame-parser.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

let broker: KafkaTestBroker;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  await broker.logManager.createTopic('t', 1);
});

afterAll(async () => {
  await broker?.close();
});

/** A raw client: writes bytes, collects response frames, notices the close. */
class RawClient {
  readonly socket: net.Socket;
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly parser = new KafkaFrameParser(1 << 30);
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => {
      this.frames.push(...this.parser.push(d));
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }
}

function apiVersionsFrame(version: number, correlationId: number): Buffer {
  return encodeKafkaRequestFrame(
    { requestApiKey: KafkaApiKey.ApiVersions, requestApiVersion: version, correlationId, clientId: 'raw' },
    { clientSoftwareName: 'raw', clientSoftwareVersion: '1' },
  );
}

function metadataFrame(correlationId: number): Buffer {
  return encodeKafkaRequestFrame(
    { requestApiKey: KafkaApiKey.Metadata, requestApiVersion: 9, correlationId, clientId: 'raw' },
    { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 't' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
  );
}

function longPollFetchFrame(correlationId: number, maxWaitMs: number): Buffer {
  const offset = broker.logManager.getLog('t', 0).logEndOffset;
  return encodeKafkaRequestFrame(
    { requestApiKey: KafkaApiKey.Fetch, requestApiVersion: 11, correlationId, clientId: 'raw' },
    {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
      forgottenTopicsData: [], rackId: '',
    },
  );
}

const correlationOf = (frame: Buffer): number => frame.readInt32BE(0);

describe('Kafka listener', () => {
  it('ApiVersions advertises the handled APIs; an unsupported version is answered v0 with UNSUPPORTED_VERSION and the list', async () => {
    const client = new RawClient(broker.kafkaPort);
    client.send(apiVersionsFrame(3, 1));
    client.send(encodeKafkaRequestFrame({ requestApiKey: KafkaApiKey.ApiVersions, requestApiVersion: 0, correlationId: 2, clientId: 'raw' }, {}));
    // v9 is beyond what anyone knows: the header is still readable.
    const future = apiVersionsFrame(3, 3);
    future.writeInt16BE(9, 6);
    client.send(future);
    await client.until(() => client.frames.length === 3);
    const v3 = decodeKafkaResponseFrame<ApiVersionsResponse>(KafkaApiKey.ApiVersions, 3, client.frames[0]).body;
    expect(v3.errorCode).toBe(0);
    expect(v3.apiKeys.map((a) => a.apiKey)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 36, 37, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60, 68, 69]);
    const unsupported = decodeKafkaResponseFrame<ApiVersionsResponse>(KafkaApiKey.ApiVersions, 0, client.frames[2]).body;
    expect(correlationOf(client.frames[2])).toBe(3);
    expect(unsupported.errorCode).toBe(35);
    expect(unsupported.apiKeys).toEqual(v3.apiKeys);
    client.socket.destroy();
  });

  it('answers pipelined requests in request order even when a later one completes first', async () => {
    const client = new RawClient(broker.kafkaPort);
    client.send(Buffer.concat([longPollFetchFrame(10, 400), metadataFrame(11), apiVersionsFrame(2, 12)]));
    await client.until(() => client.frames.length === 3);
    expect(client.frames.map(correlationOf)).toEqual([10, 11, 12]);
    const meta = decodeKafkaResponseFrame<MetadataResponse>(KafkaApiKey.Metadata, 9, client.frames[1]).body;
    expect(meta.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.kafkaPort, rack: null }]);
    client.socket.destroy();
  });

  it('a long-poll fetch returns as soon as a record is appended', async () => {
    const client = new RawClient(broker.kafkaPort);
    const started = Date.now();
    client.send(longPollFetchFrame(20, 10_000));
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames).toHaveLength(0);
    const { encodeRecordBatch } = await import('@spool/protocol');
    await broker.logManager.getLog('t', 0).append(encodeRecordBatch({ baseOffset: 0, records: [{ value: Buffer.from('wake') }] }));
    await client.until(() => client.frames.length === 1);
    expect(Date.now() - started).toBeLessThan(5_000);
    client.socket.destroy();
  });

  it('closes a connection whose size prefix exceeds socket.request.max.bytes, before reading a body', async () => {
    const client = new RawClient(broker.kafkaPort);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(100 * 1024 * 1024 + 1);
    client.send(prefix);
    await client.until(() => client.closed);
    expect(client.frames).toHaveLength(0);
  });

  it('a malformed frame closes only its own connection', async () => {
    const bystander = new RawClient(broker.kafkaPort);
    const bad = new RawClient(broker.kafkaPort);
    const frame = metadataFrame(30);
    bad.send(Buffer.concat([frame.subarray(0, 4), Buffer.alloc(frame.length - 4, 0xff)]));
    await bad.until(() => bad.closed);
    bystander.send(metadataFrame(31));
    await bystander.until(() => bystander.frames.length === 1);
    expect(bystander.closed).toBe(false);
    bystander.socket.destroy();
  });

  it('survives 10,000 seeded random, truncated and bit-flipped frames: healthy, data intact, memory bounded', async () => {
    const seed = 0x5eed;
    let state = seed;
    const random = (): number => {
      state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return state / 2 ** 32;
    };
    const templates = [apiVersionsFrame(3, 1), metadataFrame(2), longPollFetchFrame(3, 0)];
    const before = (await broker.logManager.getLog('t', 0).read(0, 1 << 20)).records;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let client = new RawClient(broker.kafkaPort);
    try {
      for (let i = 0; i < 10_000; i++) {
        const template = templates[Math.floor(random() * templates.length)];
        let body = Buffer.from(template.subarray(4));
        const mode = random();
        if (mode < 0.33) {
          body = body.subarray(0, Math.floor(random() * body.length)); // truncated
        } else if (mode < 0.66) {
          for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) body[Math.floor(random() * body.length)] ^= 1 << Math.floor(random() * 8);
        } else {
          body = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))); // random
        }
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        if (client.closed || client.socket.destroyed) client = new RawClient(broker.kafkaPort);
        client.send(Buffer.concat([size, body]));
        if (i % 200 === 199) {
          // Let the server catch up; a closed connection is replaced by the next iteration.
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    } catch (err) {
      throw new Error(`fuzz failed with seed ${seed}: ${(err as Error).message}`);
    } finally {
      client.socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    // Healthy: a fresh client is answered.
    const probe = new RawClient(broker.kafkaPort);
    probe.send(metadataFrame(99));
    await probe.until(() => probe.frames.length === 1);
    probe.socket.destroy();
    // Data intact: the partition holds exactly what it held (the fuzz never produced a valid batch).
    const after = (await broker.logManager.getLog('t', 0).read(0, 1 << 20)).records;
    expect(after.equals(before)).toBe(true);
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await probe.until(() => broker.listener.connectionCount <= 1, 5_000).catch(() => undefined);
  });
});
