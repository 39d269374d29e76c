/**
 * SPOOL_REPLICA_LAG_TIME_MAX_MS reaches the leader (three compiled brokers, real etcd): a follower
 * SIGSTOPped while records keep arriving leaves the ISR within replica.lag.time.max.ms plus the
 * check's period (half of it), by the leader's own AlterPartition, and rejoins once resumed.
 *
 * The brokers' sessions are long (60 s) so that the controller, which drops a broker whose lease
 * expired, cannot be what shrinks the ISR here: only the leader's lag check can. With Kafka's
 * default lag (30 s) the shrink would come after 30 s at least, far past the bound checked.
 */
import { SpoolCluster } from '../cluster/spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'replica-lag';
const LAG_MS = 4000;
/** Scheduling slack on a loaded machine on top of Kafka's bound (lag + one check period). */
const SLACK_MS = 6000;

let cluster: SpoolCluster;

beforeAll(async () => {
  cluster = await SpoolCluster.start({ env: { SPOOL_REPLICA_LAG_TIME_MAX_MS: String(LAG_MS), SPOOL_BROKER_SESSION_TIMEOUT_MS: '60000' } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

async function isrOf(brokerId: number): Promise<{ leader: number | null; isr: number[] } | undefined> {
  const res = await cluster.broker(brokerId).http('GET', `/v1/topics/${TOPIC}`);
  return res.status === 200 ? (res.body.partitions[0] as { leader: number | null; isr: number[] }) : undefined;
}

describe('replica.lag.time.max.ms', () => {
  it('takes a stopped follower out of the ISR within the configured lag, and back in once it resumes', async () => {
    expect((await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 1, replicationFactor: 3 })).status).toBe(201);
    const full = await cluster.waitFor('a leader with all three replicas in sync', async () => {
      const p = await isrOf(1);
      return p !== undefined && p.leader !== null && p.isr.length === 3 ? p : undefined;
    }, 60_000);
    const leader = full.leader!;
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    // The leader named in metadata may still be opening its log: that answer is retriable, so retry it as a client would.
    const committed = await cluster.waitFor('the first acks=all produce to be acknowledged', async () => {
      const res = await cluster.broker(leader).http('POST', `/v1/topics/${TOPIC}/records`, { acks: 'all', records: [{ partition: 0, value: 'before' }] });
      const result = res.body?.results?.[0] as { offset?: number; error?: { retriable?: boolean } } | undefined;
      if (result?.error?.retriable === true) return undefined;
      return result ?? { status: res.status, body: res.body };
    }, 60_000);
    expect(committed).toMatchObject({ offset: expect.any(Number) });

    cluster.broker(follower).pause();
    const pausedAt = Date.now();
    // Records keep arriving (acks=leader: the stopped follower does not hold them up), so the follower falls behind.
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        await cluster.broker(leader).http('POST', `/v1/topics/${TOPIC}/records`, { acks: 'leader', records: [{ partition: 0, value: `while-stopped-${i}` }] });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await cluster.waitFor(`broker ${follower} to leave the ISR`, async () => ((await isrOf(leader))?.isr.includes(follower) === false ? true : undefined), LAG_MS * 1.5 + SLACK_MS);
      const shrunkAfterMs = Date.now() - pausedAt;
      // The leader's own AlterPartition did it: the controller still sees the follower's session (60 s).
      const brokers = (await cluster.broker(leader).http('GET', '/v1/cluster')).body.brokers as { brokerId: number; alive: boolean }[];
      expect(brokers.find((b) => b.brokerId === follower)).toMatchObject({ alive: true });
      expect(shrunkAfterMs).toBeLessThanOrEqual(LAG_MS * 1.5 + SLACK_MS);
    } finally {
      producing = false;
      await producer;
    }

    cluster.broker(follower).resume();
    await cluster.waitFor(`broker ${follower} to rejoin the ISR`, async () => ((await isrOf(leader))?.isr.length === 3 ? true : undefined), 60_000);
  }, TEST_TIMEOUT_MS);
});
