/**
 * Security in cluster mode, on three compiled brokers and a real etcd, with SPOOL_AUTH=on:
 * - the security store is etcd's: an ACL created on broker 1 is enforced on broker 3;
 * - an API key revoked on broker 2 is refused on brokers 1 and 3 within a second;
 * - with authentication on, forwarding (HTTP produce and fetch on a node that does not lead the
 *   partition) and replication (replication factor 3, acks=all, the ISR stays whole) work: the
 *   brokers log in to each other with the inter-broker SCRAM credential;
 * - a client cannot pose as a replica: a Fetch with replica_id >= 0 from a SCRAM user (or the
 *   super-user admin over PLAIN) is answered CLUSTER_AUTHORIZATION_FAILED; a login as the broker
 *   principal with a wrong password fails; no stored credential can be made for that principal;
 * - HTTP group admin on a node that does not coordinate the group is forwarded as the client: its
 *   own ACLs decide on every broker (the coordinator authenticates the forwarded request again).
 * - HTTP delete-records on a node that does not lead the partition: the caller's DELETE ACL is
 *   checked there (403 without it, nothing deleted), then the deletion is forwarded to the leader.
 */
import { BrokerConnection, type KafkaResponse } from '@spool/broker-client';
import { KafkaApiKey, KafkaErrorCode, type FetchResponse } from '@spool/protocol';
import { generateApiKey } from '@spool/security';
import { SpoolCluster } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three brokers start), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'orders';
const INTER_BROKER_PASSWORD = 'inter-broker-secret-for-tests-0123456789';

let cluster: SpoolCluster;
let admin: Record<string, string>;
let adminKey: string;

beforeAll(async () => {
  adminKey = generateApiKey().apiKey;
  admin = { authorization: `Bearer ${adminKey}` };
  cluster = await SpoolCluster.start({
    env: {
      SPOOL_AUTH: 'on',
      SPOOL_ADMIN_API_KEY: adminKey,
      SPOOL_INTER_BROKER_PASSWORD: INTER_BROKER_PASSWORD,
      SPOOL_DEFAULT_REPLICATION_FACTOR: '3',
      SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS: '3',
    },
  });
  const created = await cluster.broker(1).http('POST', '/v1/topics', { name: TOPIC, partitions: 3 }, admin);
  expect(created.status).toBe(201);
  await cluster.waitFor('every node to know a leader and three in-sync replicas per partition', async () => {
    const views = await Promise.all(cluster.running().map((b) => b.http('GET', `/v1/topics/${TOPIC}`, undefined, admin)));
    return views.every((v) => v.status === 200 && v.body.partitions.length === 3 && v.body.partitions.every((p: { leader: number | null; isr: number[] }) => p.leader !== null && p.isr.length === 3));
  });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

async function createKey(brokerId: number, principal: string): Promise<{ apiKey: string; keyId: string }> {
  const res = await cluster.broker(brokerId).http('POST', '/v1/admin/api-keys', { principal }, admin);
  expect(res.status).toBe(201);
  return { apiKey: res.body.apiKey, keyId: res.body.keyId };
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('security on a three-broker cluster', () => {
  it('enforces on broker 3 an ACL created on broker 1, and forwards and replicates with authentication on', async () => {
    const app = await createKey(1, 'User:app');
    const records = { records: [0, 1, 2, 0, 1, 2].map((partition, i) => ({ value: `r${i}`, partition })) };
    // The key (made on broker 1) authenticates on broker 3; no ACL yet: refused.
    const before = await cluster.broker(3).http('POST', `/v1/topics/${TOPIC}/records`, records, bearer(app.apiKey));
    expect(before.status).toBe(403);
    expect(before.body.error.code).toBe('TOPIC_AUTHORIZATION_FAILED');

    const acl = await cluster.broker(1).http(
      'POST',
      '/v1/admin/acls',
      { acls: [{ resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: 'User:app', operation: 'ALL', permissionType: 'ALLOW' }] },
      admin,
    );
    expect(acl.status).toBe(201);
    const createdAt = Date.now();
    // acks=all (the default): every in-sync replica has the records before the answer.
    const produced = await cluster.waitFor('broker 3 to apply the ACL', async () => {
      const res = await cluster.broker(3).http('POST', `/v1/topics/${TOPIC}/records`, records, bearer(app.apiKey));
      return res.status === 200 ? res : undefined;
    });
    expect(Date.now() - createdAt).toBeLessThan(5_000);
    expect(produced.body.results.map((r: { partition: number; offset: number; error?: unknown }) => [r.partition, r.offset, r.error])).toEqual([
      [0, 0, undefined],
      [1, 0, undefined],
      [2, 0, undefined],
      [0, 1, undefined],
      [1, 1, undefined],
      [2, 1, undefined],
    ]);
    // Every partition, read through every node (two of three forwarded to their leaders), by the same key.
    for (const b of cluster.running()) {
      for (let p = 0; p < 3; p++) {
        const fetched = await b.http('GET', `/v1/topics/${TOPIC}/partitions/${p}/records?offset=0`, undefined, bearer(app.apiKey));
        expect(fetched.status).toBe(200);
        expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual([`r${p}`, `r${p + 3}`]);
      }
    }
    // Replication kept every follower in sync (their replica fetches were served).
    const view = await cluster.broker(2).http('GET', `/v1/topics/${TOPIC}`, undefined, admin);
    for (const p of view.body.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3]);
    for (const b of cluster.running()) {
      const failures = b.logLines().filter((l) => typeof l.msg === 'string' && /SASL|authentication failed/i.test(l.msg) && /broker|replica/i.test(JSON.stringify(l)));
      expect(failures).toEqual([]);
    }
  }, TEST_TIMEOUT_MS);

  it('refuses on brokers 1 and 3 within a second an API key revoked on broker 2', async () => {
    const ACL = { acls: [{ resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: 'User:revokee', operation: 'DESCRIBE', permissionType: 'ALLOW' }] };
    expect((await cluster.broker(2).http('POST', '/v1/admin/acls', ACL, admin)).status).toBe(201);
    const key = await createKey(2, 'User:revokee');
    const status = async (brokerId: number): Promise<number> => (await cluster.broker(brokerId).http('GET', `/v1/topics/${TOPIC}`, undefined, bearer(key.apiKey))).status;
    // Known and allowed everywhere first (so a cached verification has to be dropped, not just missing).
    await cluster.waitFor('the key to work on brokers 1 and 3', async () => (await status(1)) === 200 && (await status(3)) === 200);

    const revokeStartedAt = Date.now();
    const revoked = await cluster.broker(2).http('DELETE', `/v1/admin/api-keys/${key.keyId}`, undefined, admin);
    expect(revoked.status).toBe(200);
    const refusedAfterMs = await Promise.all(
      [1, 3].map(async (brokerId) => {
        while ((await status(brokerId)) !== 401) {
          if (Date.now() - revokeStartedAt > 10_000) throw new Error(`broker ${brokerId} still accepts the revoked key after 10 s`);
        }
        return Date.now() - revokeStartedAt;
      }),
    );
    for (const ms of refusedAfterMs) expect(ms).toBeLessThan(1_000);
    const refused = await cluster.broker(3).http('GET', `/v1/topics/${TOPIC}`, undefined, bearer(key.apiKey));
    expect(refused.body.error.details).toEqual({ reason: 'revoked' });
  }, TEST_TIMEOUT_MS);

  it('refuses a replica fetch from anyone but another broker, and keeps the broker principal out of the store', async () => {
    const user = 'kafka-app';
    const password = 'kafka-app-password';
    expect((await cluster.broker(1).http('POST', '/v1/admin/scram-credentials', { user, mechanism: 'SCRAM-SHA-512', password }, admin)).status).toBe(200);
    const acl = { acls: [{ resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: `User:${user}`, operation: 'ALL', permissionType: 'ALLOW' }] };
    expect((await cluster.broker(1).http('POST', '/v1/admin/acls', acl, admin)).status).toBe(201);
    const view = await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`, undefined, admin);
    const leader = view.body.partitions[0].leader as number;
    const target = cluster.broker(leader);

    const fetchAs = async (sasl: { mechanism: 'SCRAM-SHA-512' | 'PLAIN'; username: string; password: string }, replicaId: number): Promise<FetchResponse> => {
      const conn = await cluster.waitFor(`a SASL login as ${sasl.username}`, () =>
        BrokerConnection.connect({ host: '127.0.0.1', port: target.kafkaPort, clientId: 'pretender', sasl, requestTimeoutMs: 10_000 }),
      );
      try {
        const res: KafkaResponse<FetchResponse> = await conn.send(
          KafkaApiKey.Fetch,
          {
            replicaId,
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
            forgottenTopicsData: [],
            rackId: '',
          },
          { minVersion: 7, maxVersion: 12 },
        );
        return res.body;
      } finally {
        await conn.close();
      }
    };
    // The same user may fetch as a consumer...
    const asConsumer = await fetchAs({ mechanism: 'SCRAM-SHA-512', username: user, password }, -1);
    expect(asConsumer.errorCode).toBe(KafkaErrorCode.NONE);
    expect(asConsumer.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.NONE);
    // ...but not as replica 1 or 2, and neither may the super-user admin (PLAIN with its API key).
    for (const [sasl, replicaId] of [
      [{ mechanism: 'SCRAM-SHA-512', username: user, password }, 1],
      [{ mechanism: 'PLAIN', username: 'admin', password: adminKey }, (leader % 3) + 1],
    ] as const) {
      const refused = await fetchAs(sasl, replicaId);
      expect(refused.errorCode).toBe(KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      expect(refused.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      expect(refused.responses[0]!.partitions[0]!.records ?? null).toBeNull();
    }
    // The broker principal with a wrong password does not log in.
    await expect(
      BrokerConnection.connect({ host: '127.0.0.1', port: target.kafkaPort, clientId: 'pretender', sasl: { mechanism: 'SCRAM-SHA-512', username: 'spool-broker', password: 'not-the-inter-broker-password' } }),
    ).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    // No API key or SCRAM user can be made for the broker principal.
    const reservedKey = await cluster.broker(2).http('POST', '/v1/admin/api-keys', { principal: 'User:spool-broker' }, admin);
    expect(reservedKey.status).toBe(403);
    const reservedScram = await cluster.broker(2).http('POST', '/v1/admin/scram-credentials', { user: 'spool-broker', mechanism: 'SCRAM-SHA-256', password: 'whatever-password' }, admin);
    expect(reservedScram.status).toBe(403);
    // The inter-broker password never reaches a log.
    for (const b of cluster.running()) expect(b.output()).not.toContain(INTER_BROKER_PASSWORD);
  }, TEST_TIMEOUT_MS);
  it("answers group admin on every broker as the client: the coordinator checks the caller's own ACLs", async () => {
    const group = 'secured-dashboard';
    const member = await createKey(2, 'User:grouper');
    const outsider = await createKey(3, 'User:outsider');
    const acls = [
      { resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: 'User:grouper', operation: 'READ', permissionType: 'ALLOW' },
      { resourceType: 'GROUP', resourceName: group, patternType: 'LITERAL', principal: 'User:grouper', operation: 'ALL', permissionType: 'ALLOW' },
    ];
    expect((await cluster.broker(1).http('POST', '/v1/admin/acls', { acls }, admin)).status).toBe(201);
    const offsets = { offsets: [0, 1, 2].map((partition) => ({ topic: TOPIC, partition, offset: 1 })) };
    for (const b of cluster.running()) {
      // The first commit creates __consumer_offsets; every broker applies the ACLs within a moment.
      const committed = await cluster.waitFor(`a commit through broker ${b.brokerId}`, async () => {
        const res = await b.http('POST', `/v1/groups/${group}/offsets`, offsets, bearer(member.apiKey));
        return res.status === 200 ? res : undefined;
      }, 60_000);
      expect(committed.body.offsets.map((o: { committedOffset: number }) => o.committedOffset)).toEqual([1, 1, 1]);
      const described = await b.http('GET', `/v1/groups/${group}`, undefined, bearer(member.apiKey));
      expect({ broker: b.brokerId, status: described.status, offsets: described.body.offsets?.length }).toEqual({ broker: b.brokerId, status: 200, offsets: 3 });
      const listed = await b.http('GET', '/v1/groups', undefined, bearer(member.apiKey));
      expect({ broker: b.brokerId, groups: listed.body.groups?.map((g: { groupId: string }) => g.groupId) }).toEqual({ broker: b.brokerId, groups: [group] });
      // Another principal is refused wherever it asks, and its list does not show the group.
      const refused = await b.http('GET', `/v1/groups/${group}`, undefined, bearer(outsider.apiKey));
      expect({ broker: b.brokerId, status: refused.status, code: refused.body.error?.code }).toEqual({ broker: b.brokerId, status: 403, code: 'GROUP_AUTHORIZATION_FAILED' });
      const hidden = await b.http('GET', '/v1/groups', undefined, bearer(outsider.apiKey));
      expect({ broker: b.brokerId, status: hidden.status, groups: hidden.body.groups }).toEqual({ broker: b.brokerId, status: 200, groups: [] });
    }
  }, TEST_TIMEOUT_MS);
  it('checks the DELETE ACL of an HTTP delete-records on a node that does not lead the partition, then forwards it with authentication on', async () => {
    const view = await cluster.broker(1).http('GET', `/v1/topics/${TOPIC}`, undefined, admin);
    const leader = view.body.partitions[2].leader as number;
    const elsewhere = cluster.broker([1, 2, 3].find((b) => b !== leader)!);
    // A record to delete (retried while a retriable error says the cluster is still settling).
    await cluster.waitFor('a record produced to partition 2', async () => {
      const produced = await cluster.broker(leader).http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'to-trim', partition: 2 }] }, admin);
      if (produced.status !== 200 || produced.body.results[0].error !== undefined) throw new Error(JSON.stringify(produced.body));
      return true;
    });
    const trimmer = await createKey(1, 'User:trimmer');
    const grant = (operation: string) =>
      cluster.broker(1).http('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: TOPIC, patternType: 'LITERAL', principal: 'User:trimmer', operation, permissionType: 'ALLOW' }] }, admin);
    const deleteAll = () => elsewhere.http('POST', `/v1/topics/${TOPIC}/partitions/2/delete-records`, { offset: -1 }, bearer(trimmer.apiKey));
    expect((await grant('DESCRIBE')).status).toBe(201);
    // Not allowed to delete: refused where it asks, before anything reaches the leader.
    const refused = await deleteAll();
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 403, code: 'TOPIC_AUTHORIZATION_FAILED' });
    const before = (await cluster.broker(leader).http('GET', `/v1/topics/${TOPIC}/partitions/2/offsets`, undefined, admin)).body;
    expect(before.earliest).toBeLessThan(before.highWatermark);
    expect((await grant('DELETE')).status).toBe(201);
    const deleted = await cluster.waitFor(`broker ${elsewhere.brokerId} to apply the DELETE ACL`, async () => {
      const res = await deleteAll();
      return res.status === 200 ? res : undefined;
    });
    const offsets = (await cluster.broker(leader).http('GET', `/v1/topics/${TOPIC}/partitions/2/offsets`, undefined, admin)).body;
    expect(offsets.earliest).toBeGreaterThanOrEqual(before.highWatermark);
    expect(deleted.body).toEqual({ topic: TOPIC, partition: 2, logStartOffset: offsets.earliest });
    expect(offsets.earliest).toBe(offsets.highWatermark);
  }, TEST_TIMEOUT_MS);
});
