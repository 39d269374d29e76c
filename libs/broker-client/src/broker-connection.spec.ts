import { KafkaApiKey, type MetadataResponse } from '@spool/protocol';
import { BrokerClientError } from './broker-client.error.js';
import { BrokerConnection, type BrokerConnectionOptions } from './broker-connection.js';
import { FakeBroker, metadataBody } from './fake-broker.test-util.js';
import { freeLoopbackPort } from './test-ports.test-util.js';

let fake: FakeBroker;
const open: BrokerConnection[] = [];

beforeEach(async () => {
  fake = await FakeBroker.start();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await fake.stop();
});

async function connect(extra: Partial<BrokerConnectionOptions> = {}): Promise<BrokerConnection> {
  const connection = await BrokerConnection.connect({ host: '127.0.0.1', port: fake.port, clientId: 'broker-7', ...extra });
  open.push(connection);
  return connection;
}

function metadataRequest(): object {
  return { topics: null, allowAutoTopicCreation: false };
}

async function failure(promise: Promise<unknown>): Promise<BrokerClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BrokerClientError) return err;
    throw err;
  }
  throw new Error('expected a BrokerClientError, the promise resolved');
}

describe('BrokerConnection: ApiVersions negotiation', () => {
  it('retries ApiVersions at the version the broker lists (KIP-511) and picks the highest common version per API', async () => {
    const connection = await connect();
    const versions = fake.requests.map((r) => r.frame.header.requestApiVersion);
    expect(versions).toEqual([4, 3]); // v4 refused with a v0 answer, then v3
    expect(fake.requests[1].frame.header.clientId).toBe('broker-7');
    expect(connection.versionsOf(KafkaApiKey.Fetch)).toEqual({ minVersion: 4, maxVersion: 12 });
    expect(connection.versionsOf(KafkaApiKey.JoinGroup)).toBeUndefined();

    fake.handler = (r) => r.respond(metadataBody('c1'));
    const res = await connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest());
    expect(res.apiVersion).toBe(12);
    expect(res.body.clusterId).toBe('c1');
    expect(fake.received[0].frame.headerVersion).toBe(2); // flexible version: request header v2
  });

  it('refuses, before sending, an API the broker does not serve or a version range that does not meet', async () => {
    const connection = await connect();
    const unserved = await failure(connection.send(KafkaApiKey.JoinGroup, {}));
    expect(unserved.code).toBe('UNSUPPORTED_VERSION');
    expect(unserved.message).toMatch(/JoinGroup .* the broker does not support it/);
    const tooOld = await failure(connection.send(KafkaApiKey.Fetch, {}, { minVersion: 13 }));
    expect(tooOld.code).toBe('UNSUPPORTED_VERSION');
    expect(tooOld.message).toMatch(/Fetch .* the broker supports 4-12, .* the request needs 13-any/);
    expect(fake.received).toHaveLength(0);
    expect(connection.isOpen).toBe(true);
  });

  it('fails the connect when the broker answers ApiVersions with an error, or lists no ApiVersions it can speak', async () => {
    fake.autoApiVersions = false;
    fake.handler = (r) => r.respond({ errorCode: 42 /* INVALID_REQUEST */, apiKeys: [] });
    const invalid = await failure(connect());
    expect(invalid.code).toBe('INVALID_REQUEST');
    expect(invalid.kafkaErrorCode).toBe(42);
    expect(invalid.message).toMatch(/ApiVersions v4 to 127.0.0.1:\d+: INVALID_REQUEST/);

    fake.handler = (r) => r.socket.write(r.encode({ errorCode: 35 /* UNSUPPORTED_VERSION */, apiKeys: [] }, 0));
    const none = await failure(connect());
    expect(none.code).toBe('UNSUPPORTED_VERSION');
    expect(none.message).toMatch(/serves no ApiVersions version this client speaks/);
  });
});

describe('BrokerConnection: pipelining and framing', () => {
  it('keeps many requests in flight and matches responses in order', async () => {
    const connection = await connect();
    fake.handler = () => undefined; // collect, answer all at once below
    const sent = Array.from({ length: 50 }, () => connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest()));
    await fake.until(() => fake.received.length === 50, '50 requests');
    expect(connection.inFlightCount).toBe(50);
    const ids = fake.received.map((r) => r.frame.header.correlationId);
    expect(new Set(ids).size).toBe(50);
    // All 50 responses in one write: the reader must cut them apart.
    fake.received[0].socket.write(Buffer.concat(fake.received.map((r, i) => r.encode(metadataBody(`c${i}`)))));
    const bodies = await Promise.all(sent);
    expect(bodies.map((b) => b.body.clusterId)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(connection.inFlightCount).toBe(0);
  });

  it('reads a response written one byte at a time', async () => {
    const connection = await connect();
    fake.handler = (r) => {
      const bytes = r.encode(metadataBody('dribbled'));
      let i = 0;
      const next = (): void => {
        if (i < bytes.length) r.socket.write(bytes.subarray(i, ++i), next);
      };
      next();
    };
    const res = await connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest());
    expect(res.body.clusterId).toBe('dribbled');
  });

  it('reads a response of several MB (most of it straight into its frame) and the small one written right behind it', async () => {
    const connection = await connect();
    fake.handler = () => undefined;
    const big = connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest());
    const small = connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest());
    await fake.until(() => fake.received.length === 2, 'two requests');
    const large = 'L'.repeat(3 * 1024 * 1024 + 17);
    fake.received[0].socket.write(Buffer.concat([fake.received[0].encode(metadataBody(large)), fake.received[1].encode(metadataBody('after'))]));
    expect((await big).body.clusterId).toBe(large);
    expect((await small).body.clusterId).toBe('after');
  });

  it('fails every request in flight and closes when a response carries an unexpected correlation id', async () => {
    const connection = await connect();
    const first = connection.send(KafkaApiKey.Metadata, metadataRequest());
    const second = connection.send(KafkaApiKey.Metadata, metadataRequest());
    await fake.until(() => fake.received.length === 2, 'two requests');
    fake.received[1].respond(metadataBody('second answered first'));
    const [a, b] = await Promise.all([failure(first), failure(second)]);
    expect(a.code).toBe('CORRUPT_MESSAGE');
    expect(a.message).toMatch(/correlation id \d+, but the oldest request in flight has \d+/);
    expect(b).toBe(a);
    expect(connection.isOpen).toBe(false);
    expect((await failure(connection.send(KafkaApiKey.Metadata, metadataRequest()))).code).toBe('CORRUPT_MESSAGE');
  });

  it('closes on an oversized size prefix before allocating for it', async () => {
    const connection = await connect({ maxResponseBytes: 1024 });
    fake.handler = (r) => {
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(0x7fff_ffff);
      r.socket.write(prefix);
    };
    const err = await failure(connection.send(KafkaApiKey.Metadata, metadataRequest()));
    expect(err.code).toBe('CORRUPT_MESSAGE');
    expect(err.message).toMatch(/size prefix 2147483647 exceeds the limit of 1024 bytes/);
    expect(connection.isOpen).toBe(false);
  });

  it('fails only the request whose response does not decode, and keeps the connection', async () => {
    const connection = await connect();
    fake.handler = (r) => {
      if (fake.received.length === 1) {
        const good = r.encode(metadataBody('x'));
        const bad = Buffer.concat([good, Buffer.from([1, 2, 3])]); // trailing bytes
        bad.writeInt32BE(bad.length - 4, 0);
        r.socket.write(bad);
      } else {
        r.respond(metadataBody('fine'));
      }
    };
    const err = await failure(connection.send(KafkaApiKey.Metadata, metadataRequest()));
    expect(err.code).toBe('CORRUPT_MESSAGE');
    expect(err.message).toMatch(/does not decode/);
    expect((await connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest())).body.clusterId).toBe('fine');
  });
});

describe('BrokerConnection: timeouts, aborts and closing', () => {
  it('times a request out as REQUEST_TIMED_OUT and closes, failing the others with NETWORK_EXCEPTION', async () => {
    const connection = await connect();
    const slow = connection.send(KafkaApiKey.Metadata, metadataRequest(), { timeoutMs: 100 });
    const other = connection.send(KafkaApiKey.Metadata, metadataRequest(), { timeoutMs: 60_000 });
    const timedOut = await failure(slow);
    expect(timedOut.code).toBe('REQUEST_TIMED_OUT');
    expect(timedOut.retriable).toBe(true);
    expect(timedOut.message).toMatch(/got no response within 100 ms/);
    const closed = await failure(other);
    expect(closed.code).toBe('NETWORK_EXCEPTION');
    expect(closed.message).toMatch(/timed out/);
    expect(connection.isOpen).toBe(false);
    await fake.until(() => fake.sockets[0].destroyed || fake.sockets[0].readableEnded, 'the fake to see the close');
  });

  it('fails an aborted request at once and drops its late response without disturbing the order', async () => {
    const connection = await connect();
    const controller = new AbortController();
    const aborted = connection.send(KafkaApiKey.Metadata, metadataRequest(), { signal: controller.signal });
    const next = connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest());
    await fake.until(() => fake.received.length === 2, 'two requests');
    controller.abort();
    expect((await failure(aborted)).message).toMatch(/aborted/);
    fake.received[0].respond(metadataBody('late'));
    fake.received[1].respond(metadataBody('next'));
    expect((await next).body.clusterId).toBe('next');
    expect(connection.isOpen).toBe(true);
  });

  it('close() fails what is in flight; a peer close fails it too', async () => {
    const a = await connect();
    const pending = a.send(KafkaApiKey.Metadata, metadataRequest());
    await fake.until(() => fake.received.length === 1, 'a request');
    await a.close();
    expect((await failure(pending)).message).toMatch(/closed by this client/);

    const b = await connect();
    const orphan = b.send(KafkaApiKey.Metadata, metadataRequest());
    await fake.until(() => fake.received.length === 2, 'a second request');
    fake.received[1].socket.destroy();
    const err = await failure(orphan);
    expect(err.code).toBe('NETWORK_EXCEPTION');
    expect(err.message).toMatch(/closed by the peer/);
    expect((await b.closed).code).toBe('NETWORK_EXCEPTION');
  });

  it('resolves a request that expects no response once written, and still matches the next one', async () => {
    const connection = await connect();
    fake.handler = (r) => {
      if (r.frame.header.requestApiKey === KafkaApiKey.Metadata) r.respond(metadataBody('after acks=0'));
    };
    const produce = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] };
    expect((await connection.send(KafkaApiKey.Produce, produce, { expectResponse: false })).body).toBeNull();
    expect((await connection.send<MetadataResponse>(KafkaApiKey.Metadata, metadataRequest())).body.clusterId).toBe('after acks=0');
  });

  it('reports a refused connection as NETWORK_EXCEPTION', async () => {
    const port = await freeLoopbackPort();
    const err = await failure(BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'x' }));
    expect(err.code).toBe('NETWORK_EXCEPTION');
    expect(err.message).toMatch(new RegExp(`cannot connect to 127.0.0.1:${port}`));
  });

  it('rejects a request that does not encode without touching the connection', async () => {
    const connection = await connect();
    const err = await failure(connection.send(KafkaApiKey.Metadata, { topics: [{ name: 42 }] }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(connection.isOpen).toBe(true);
  });
});
