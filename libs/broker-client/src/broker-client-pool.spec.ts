import { KafkaApiKey, type MetadataResponse } from '@spool/protocol';
import { BrokerClientError } from './broker-client.error.js';
import { BrokerClientPool, type BrokerClientPoolOptions, type BrokerRequestEvent } from './broker-client-pool.js';
import { FakeBroker, metadataBody } from './fake-broker.test-util.js';
import { freeLoopbackPort } from './test-ports.test-util.js';

const fakes: FakeBroker[] = [];
const pools: BrokerClientPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function fakeBroker(answer = true): Promise<FakeBroker> {
  const fake = await FakeBroker.start();
  if (answer) fake.handler = (r) => r.respond(metadataBody(`port ${fake.port}`));
  fakes.push(fake);
  return fake;
}

function pool(options: Partial<BrokerClientPoolOptions> = {}): BrokerClientPool {
  const p = new BrokerClientPool({ clientId: 'broker-1', ...options });
  pools.push(p);
  return p;
}

const metadataRequest = { topics: null, allowAutoTopicCreation: false };

async function failure(promise: Promise<unknown>): Promise<BrokerClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BrokerClientError) return err;
    throw err;
  }
  throw new Error('expected a BrokerClientError, the promise resolved');
}

describe('BrokerClientPool', () => {
  it('connects lazily, once, and reuses the connection', async () => {
    const fake = await fakeBroker();
    const p = pool();
    p.setBroker(2, { host: '127.0.0.1', port: fake.port });
    expect(fake.sockets).toHaveLength(0);
    const results = await Promise.all([1, 2, 3].map(() => p.send<MetadataResponse>(2, KafkaApiKey.Metadata, metadataRequest)));
    expect(results.map((r) => r.body.clusterId)).toEqual([1, 2, 3].map(() => `port ${fake.port}`));
    expect(fake.sockets).toHaveLength(1);
    expect(p.stats()).toEqual([expect.objectContaining({ brokerId: 2, connected: true, inFlight: 0, waiting: 0, connectFailures: 0 })]);
  });

  it('refuses a broker it does not know with BROKER_NOT_AVAILABLE', async () => {
    const err = await failure(pool().send(9, KafkaApiKey.Metadata, metadataRequest));
    expect(err.code).toBe('BROKER_NOT_AVAILABLE');
    expect(err.message).toMatch(/broker 9 is not known/);
  });

  it('caps requests in flight per broker; later callers wait their turn in order', async () => {
    const fake = await fakeBroker(false);
    const p = pool({ maxInFlightPerBroker: 2 });
    p.setBroker(2, { host: '127.0.0.1', port: fake.port });
    const sends = Array.from({ length: 5 }, () => p.send<MetadataResponse>(2, KafkaApiKey.Metadata, metadataRequest));
    await fake.until(() => fake.received.length === 2, 'two requests');
    expect(p.stats()[0]).toMatchObject({ inFlight: 2, waiting: 3 });
    fake.received[0].respond(metadataBody('r0'));
    await fake.until(() => fake.received.length === 3, 'the third request once a slot freed');
    expect(p.stats()[0]).toMatchObject({ inFlight: 2, waiting: 2 });
    for (let i = 1; i < 5; i++) {
      await fake.until(() => fake.received.length > i, `request ${i}`);
      fake.received[i].respond(metadataBody(`r${i}`));
    }
    expect((await Promise.all(sends)).map((r) => r.body.clusterId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('fails a wait for a slot that outlasts the request timeout with REQUEST_TIMED_OUT', async () => {
    const fake = await fakeBroker(false);
    const p = pool({ maxInFlightPerBroker: 1 });
    p.setBroker(2, { host: '127.0.0.1', port: fake.port });
    const holder = p.send(2, KafkaApiKey.Metadata, metadataRequest, { timeoutMs: 60_000 });
    await fake.until(() => fake.received.length === 1, 'the first request');
    const waiter = await failure(p.send(2, KafkaApiKey.Metadata, metadataRequest, { timeoutMs: 50 }));
    expect(waiter.code).toBe('REQUEST_TIMED_OUT');
    expect(waiter.message).toMatch(/in-flight slots to broker 2/);
    fake.received[0].respond(metadataBody('held'));
    expect(((await holder) as { body: MetadataResponse }).body.clusterId).toBe('held');
  });

  it('spaces failed connection attempts with backoff, then reconnects', async () => {
    const port = await freeLoopbackPort();
    const failed: number[] = [];
    const p = pool({ reconnectBackoff: { baseMs: 60_000, jitter: 0 }, observer: { connectFailed: (e) => failed.push(e.backoffMs) } });
    p.setBroker(3, { host: '127.0.0.1', port });
    const refused = await failure(p.send(3, KafkaApiKey.Metadata, metadataRequest));
    expect(refused.code).toBe('NETWORK_EXCEPTION');
    expect(failed).toEqual([60_000]);
    // Within the backoff, and the next attempt is beyond this request's deadline: fail at once, no new attempt.
    const backingOff = await failure(p.send(3, KafkaApiKey.Metadata, metadataRequest, { timeoutMs: 1000 }));
    expect(backingOff.message).toMatch(/is unreachable; next attempt in \d+ ms \(last: cannot connect/);
    expect(failed).toHaveLength(1);

    // The broker comes up at a new endpoint: the move resets the backoff and the next send connects.
    const fake = await fakeBroker();
    p.setBroker(3, { host: '127.0.0.1', port: fake.port });
    expect((await p.send<MetadataResponse>(3, KafkaApiKey.Metadata, metadataRequest)).body.clusterId).toBe(`port ${fake.port}`);
    expect(p.stats()[0].connectFailures).toBe(0);
  });

  it('ends a wait for the reconnect backoff when the caller aborts (a replica fetcher closing must not wait it out)', async () => {
    const port = await freeLoopbackPort();
    const p = pool({ reconnectBackoff: { baseMs: 60_000, jitter: 0 } });
    p.setBroker(3, { host: '127.0.0.1', port });
    expect((await failure(p.send(3, KafkaApiKey.Metadata, metadataRequest))).code).toBe('NETWORK_EXCEPTION');
    // The deadline is beyond the next attempt: this request waits for it, until its caller gives up.
    const abort = new AbortController();
    const waiting = failure(p.send(3, KafkaApiKey.Metadata, metadataRequest, { timeoutMs: 120_000, signal: abort.signal }));
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    const aborted = await waiting;
    expect(aborted.code).toBe('REQUEST_TIMED_OUT');
    expect(aborted.message).toMatch(/aborted by its caller while waiting to reconnect/);
  });

  it('waits out a short backoff and reconnects after the peer dropped the connection', async () => {
    const fake = await fakeBroker();
    const events: string[] = [];
    const p = pool({
      reconnectBackoff: { baseMs: 20, jitter: 0 },
      observer: { connectionOpened: () => events.push('opened'), connectionClosed: (e) => events.push(`closed: ${e.reason.code}`) },
    });
    p.setBroker(2, { host: '127.0.0.1', port: fake.port });
    await p.send(2, KafkaApiKey.Metadata, metadataRequest);
    fake.sockets[0].destroy();
    await fake.until(() => events.length === 2, 'the close to be seen');
    await p.send(2, KafkaApiKey.Metadata, metadataRequest);
    expect(events).toEqual(['opened', 'closed: NETWORK_EXCEPTION', 'opened']);
    expect(fake.sockets).toHaveLength(2);
  });

  it('closes the connection when a broker moves, and fails its requests when it leaves', async () => {
    const first = await fakeBroker(false);
    const second = await fakeBroker();
    const p = pool({ maxInFlightPerBroker: 1 });
    p.setBroker(4, { host: '127.0.0.1', port: first.port });
    const onOld = p.send(4, KafkaApiKey.Metadata, metadataRequest);
    await first.until(() => first.received.length === 1, 'a request on the old endpoint');
    p.setBroker(4, { host: '127.0.0.1', port: second.port });
    const moved = await failure(onOld);
    expect(moved.code).toBe('NETWORK_EXCEPTION');
    expect(moved.message).toMatch(/broker 4 moved from 127.0.0.1:\d+ to 127.0.0.1:\d+/);
    expect((await p.send<MetadataResponse>(4, KafkaApiKey.Metadata, metadataRequest)).body.clusterId).toBe(`port ${second.port}`);

    second.handler = () => undefined;
    const inFlight = p.send(4, KafkaApiKey.Metadata, metadataRequest);
    const waiting = p.send(4, KafkaApiKey.Metadata, metadataRequest);
    await second.until(() => second.received.length === 2, 'a request held on the new endpoint');
    p.removeBroker(4);
    expect((await failure(inFlight)).code).toBe('NETWORK_EXCEPTION');
    const left = await failure(waiting);
    expect(left.code).toBe('BROKER_NOT_AVAILABLE');
    expect(left.message).toMatch(/broker 4 left the cluster/);
    expect(p.hasBroker(4)).toBe(false);
  });

  it('reports every request to the observer with its API, version, duration and error', async () => {
    const fake = await fakeBroker();
    const events: BrokerRequestEvent[] = [];
    const p = pool({ observer: { requestCompleted: (e) => events.push(e) } });
    p.setBroker(2, { host: '127.0.0.1', port: fake.port });
    await p.send(2, KafkaApiKey.Metadata, metadataRequest);
    await failure(p.send(2, KafkaApiKey.JoinGroup, {}));
    expect(events).toEqual([
      expect.objectContaining({ brokerId: 2, apiName: 'Metadata', apiVersion: 12, error: null }),
      expect.objectContaining({ brokerId: 2, apiName: 'JoinGroup', apiVersion: null, error: expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }) }),
    ]);
    expect(events.every((e) => e.durationMs >= 0)).toBe(true);
  });
});
