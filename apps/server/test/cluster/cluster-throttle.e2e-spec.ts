/**
 * The reassignment throttle (follower.replication.throttled.rate, SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE)
 * with two compiled brokers and a real etcd: a partition of about 2 MiB is moved to a second
 * broker whose rate is 128 KiB/s. Measured loosely (a bound, never a benchmark): the bytes moved
 * over the time the move took must stay within twice the rate; unthrottled, loopback copies them in
 * well under a second.
 */
import { SpoolCluster } from './spool-cluster.test-util.js';

const TOPIC = 'moving';
const RATE_BYTES_PER_SECOND = 128 * 1024;
const VALUE = 'x'.repeat(16 * 1024);
/** A bound for a loaded 2-core machine, not a measurement. */
const TEST_TIMEOUT_MS = 180_000;

let cluster: SpoolCluster;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ brokerIds: [1, 2], env: { SPOOL_FOLLOWER_REPLICATION_THROTTLED_RATE: String(RATE_BYTES_PER_SECOND) } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

describe('reassignment throttle', () => {
  it('copies a moving partition no faster than about the throttled rate', async () => {
    const created = await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 1 });
    expect(created.status).toBe(201);
    const source = await cluster.waitFor('a leader', async () => (await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`)).body.partitions[0]?.leader ?? undefined);
    const target = source === 1 ? 2 : 1;
    // About 2 MiB, in requests of 512 KiB (a record refused while the new leader takes its role up is simply sent again).
    const size = await cluster.waitFor('about 2 MiB in the partition', async () => {
      const bytes = (await cluster.broker(source).http('GET', `/v1/topics/${TOPIC}`)).body.partitions[0].size as number;
      if (bytes > 2 * 1024 * 1024) return bytes;
      const produced = await cluster.broker(source).http('POST', `/v1/topics/${TOPIC}/records`, { records: Array.from({ length: 32 }, () => ({ value: VALUE })) });
      expect(produced.status).toBe(200);
      return undefined;
    }, 60_000);

    const started = performance.now();
    const moved = await cluster.broker(source).http('PUT', `/v1/topics/${TOPIC}/partitions/0/reassignment`, { replicas: [source, target] });
    expect(moved.status).toBe(200);
    await cluster.waitFor(`broker ${target} to catch up and the move to complete`, async () => {
      const p = (await cluster.broker(source).http('GET', `/v1/topics/${TOPIC}`)).body.partitions[0];
      const pending = (await cluster.broker(source).http('GET', '/v1/cluster/reassignments')).body.partitions as unknown[];
      return pending.length === 0 && p.isr.includes(target);
    }, 120_000);
    const elapsedSeconds = (performance.now() - started) / 1000;
    // The new replica has the whole log.
    expect((await cluster.broker(target).http('GET', `/v1/topics/${TOPIC}`)).body.partitions[0].size).toBe(size);
    // Within a generous factor of the rate (the first second's worth goes at once, so the real rate is a little above it).
    expect(size / elapsedSeconds).toBeLessThan(2 * RATE_BYTES_PER_SECOND);
  }, TEST_TIMEOUT_MS);
});
