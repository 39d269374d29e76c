/**
 * A whole cluster over TLS with authentication on: three compiled brokers and a real etcd, every
 * broker port TLS with mutual TLS required (HTTPS and WSS on the HTTP port, SASL_SSL on the Kafka
 * port), the brokers reaching each other over TLS (SPOOL_INTER_BROKER_TLS_CA_FILE) and logging in
 * with the inter-broker SCRAM credential, and etcd served over TLS with client certificates required
 * (the brokers' metadata and security store). The CA and certificates are made by openssl for the run
 * (test-pki.test-util.ts). Clients nobody here wrote:
 * - kcat (librdkafka) with SASL/SCRAM-SHA-512 over TLS, bootstrapped on one broker, produces to and
 *   reads a partition another broker leads; kafkajs with SCRAM-SHA-256 over TLS the same;
 * - an HTTPS produce on one node for partitions the others lead is forwarded over inter-broker TLS;
 * - a WSS subscription on one node and an HTTPS SSE stream on another deliver a partition a third
 *   node leads;
 * - a kafkajs consumer group (SCRAM over TLS) reads everything and commits; its offsets read over
 *   HTTPS on every node (group admin forwarded to the coordinator over HTTPS, presenting the
 *   broker's certificate), and a schema registered through every node (forwarded to the writer);
 * - replication over TLS keeps every ISR whole;
 * - an API key used on every node over HTTPS, WSS, SSE and SASL_SSL and revoked on broker 1 is
 *   refused on brokers 2 and 3 (401) and its open WebSocket, SSE and Kafka connections there are
 *   closed: each measured from the start of the revoking call, and bounded;
 * - a tenant's topic limit counts the cluster's topics, not the receiving broker's replicas: a topic
 *   with one replica on one broker counts on the others (HTTP and Kafka CreateTopics refused there).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { BrokerConnection } from '@spool/broker-client';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import WebSocket from 'ws';
import { SpoolCluster, type ClusterBrokerProcess } from './spool-cluster.test-util.js';

const run = promisify(execFile);

/** A bound for a loaded 2-core machine (three TLS brokers start), not a measurement. */
const TEST_TIMEOUT_MS = 240_000;
/**
 * The promise: a revocation takes effect on every node within a second. Measured from the
 * start of the revoking call on broker 1 (its etcd write included) to each effect on the other two
 * brokers. The etcd watch delivers in milliseconds (tens of ms end to end on a busy 2-core
 * machine), so a second leaves a wide margin for load.
 */
const REVOCATION_BOUND_MS = 1_000;
/** How long the test waits for an effect at all before it fails (so a slow effect reports its time). */
const GIVE_UP_MS = 15_000;
const TOPIC = 'acme.orders';
const GROUP = 'acme.readers';
const INTER_BROKER_PASSWORD = 'inter-broker-secret-for-tls-tests-0123456789';
const SCRAM_PASSWORD = 'acme-app-scram-password';

let cluster: SpoolCluster;
let admin: Record<string, string>;
let appKey: string;
/** Partition p is led by broker leaders[p]. */
let leaders: number[];

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  const adminKey = generateApiKey().apiKey;
  admin = bearer(adminKey);
  cluster = await SpoolCluster.start({
    tls: true,
    env: {
      SPOOL_AUTH: 'on',
      SPOOL_ADMIN_API_KEY: adminKey,
      SPOOL_INTER_BROKER_PASSWORD: INTER_BROKER_PASSWORD,
      SPOOL_DEFAULT_REPLICATION_FACTOR: '3',
      SPOOL_OFFSETS_TOPIC_NUM_PARTITIONS: '3',
    },
  });
  const b1 = cluster.broker(1);
  expect((await b1.http('POST', '/v1/admin/tenants', { name: 'acme' }, admin)).status).toBe(201);
  const acls = [
    { resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.app', operation: 'ALL', permissionType: 'ALLOW' },
    { resourceType: 'GROUP', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.app', operation: 'ALL', permissionType: 'ALLOW' },
  ];
  expect((await b1.http('POST', '/v1/admin/acls', { acls }, admin)).status).toBe(201);
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    expect((await b1.http('POST', '/v1/admin/scram-credentials', { user: 'acme.app', mechanism, password: SCRAM_PASSWORD }, admin)).status).toBe(200);
  }
  const key = await b1.http('POST', '/v1/admin/api-keys', { principal: 'User:acme.app' }, admin);
  expect(key.status).toBe(201);
  appKey = key.body.apiKey;
  expect((await b1.http('POST', '/v1/topics', { name: TOPIC, partitions: 3 }, bearer(appKey))).status).toBe(201);
  leaders = await cluster.waitFor('every node to know a leader and three in-sync replicas per partition', async () => {
    const views = await Promise.all(cluster.running().map((b) => b.http('GET', `/v1/topics/${TOPIC}`, undefined, admin)));
    const whole = views.every((v) => v.status === 200 && v.body.partitions.length === 3 && v.body.partitions.every((p: { leader: number | null; isr: number[] }) => p.leader !== null && p.isr.length === 3));
    return whole ? (views[0].body.partitions.map((p: { leader: number }) => p.leader) as number[]) : undefined;
  }, 60_000);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

/** kafkajs over TLS (the test CA, the client certificate mutual TLS asks for) with SCRAM, bootstrapped on one broker only. */
function kafkaVia(broker: ClusterBrokerProcess, sasl: SASLOptions = { mechanism: 'scram-sha-256', username: 'acme.app', password: SCRAM_PASSWORD }): Kafka {
  return new Kafka({ clientId: 'tls-cluster-e2e', brokers: [broker.bootstrap], ssl: broker.clientTls, sasl, logLevel: logLevel.NOTHING, retry: { retries: 8 }, connectionTimeout: 10_000, requestTimeout: 30_000 });
}

/** kcat's TLS and SCRAM-SHA-512 arguments against `broker`. */
function kcatArgs(broker: ClusterBrokerProcess): string[] {
  const files = cluster.pki!.files;
  return [
    '-b', broker.bootstrap,
    '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${files.ca}`, '-X', `ssl.certificate.location=${files.clientCert}`, '-X', `ssl.key.location=${files.clientKey}`,
    '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=acme.app', '-X', `sasl.password=${SCRAM_PASSWORD}`,
  ];
}

/** A broker other than `leader` (the one after it). */
const notLeading = (leader: number): ClusterBrokerProcess => cluster.broker((leader % 3) + 1);

/** An SSE stream over HTTPS: its status and everything it sent so far, and when it ended. */
interface SseStream {
  status: number;
  text: string;
  endedAtMs: number | null;
  close(): void;
}

function openSse(broker: ClusterBrokerProcess, urlPath: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = https.get(broker.url + urlPath, { ...broker.clientTls }, (res) => {
      const stream: SseStream = { status: res.statusCode ?? 0, text: '', endedAtMs: null, close: () => req.destroy() };
      res.setEncoding('utf8').on('data', (chunk: string) => (stream.text += chunk));
      res.on('close', () => (stream.endedAtMs ??= Date.now()));
      resolve(stream);
    });
    req.on('error', reject);
  });
}

/** A WSS connection with `key` at the upgrade; frames collected; resolved once open. */
async function openWss(broker: ClusterBrokerProcess, key: string): Promise<{ ws: WebSocket; frames: Array<Record<string, any>>; closed: { code: number | null; atMs: number | null } }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const ws = new WebSocket(`wss://127.0.0.1:${broker.httpPort}/v1/ws`, { ...broker.clientTls, headers: bearer(key) });
  const frames: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const closed: { code: number | null; atMs: number | null } = { code: null, atMs: null };
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  ws.on('close', (code) => Object.assign(closed, { code, atMs: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

describe('a three-broker cluster over TLS with authentication on', () => {
  it('serves kcat and kafkajs (SCRAM over TLS), forwarded HTTPS produce, WSS, SSE, a consumer group and forwarded admin', async () => {
    // HTTPS produce on broker 1 for every partition: the two it does not lead are forwarded over inter-broker TLS.
    const produced = await cluster.broker(1).http('POST', `/v1/topics/${TOPIC}/records`, { records: [0, 1, 2].map((partition) => ({ value: `https-${partition}`, partition })) }, bearer(appKey));
    expect(produced.status).toBe(200);
    expect(produced.body.results.map((r: { partition: number; offset: number; error?: unknown }) => [r.partition, r.offset, r.error])).toEqual([
      [0, 0, undefined],
      [1, 0, undefined],
      [2, 0, undefined],
    ]);
    expect(leaders.filter((l) => l !== 1).length).toBeGreaterThanOrEqual(1);

    // kcat (librdkafka, SCRAM-SHA-512 over TLS) bootstrapped on a broker that does not lead partition 0.
    const kcatVia = notLeading(leaders[0]!);
    const input = path.join(cluster.pki!.dir, 'kcat-input.txt');
    await writeFile(input, 'kcat-1\nkcat-2\n');
    await run('kcat', [...kcatArgs(kcatVia), '-P', '-t', TOPIC, '-p', '0', '-l', input], { timeout: 60_000 });
    const kcatRead = await run('kcat', [...kcatArgs(kcatVia), '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n'], { timeout: 60_000 });
    // HTTP's JSON values are stored as JSON text.
    expect(kcatRead.stdout.trim().split('\n')).toEqual(['"https-0"', 'kcat-1', 'kcat-2']);

    // kafkajs (SCRAM-SHA-256 over TLS) bootstrapped on a broker that does not lead partition 1.
    const producer = kafkaVia(notLeading(leaders[1]!)).producer();
    await producer.connect();
    try {
      const [meta] = await producer.send({ topic: TOPIC, messages: [{ value: 'kafkajs-1', partition: 1 }, { value: 'kafkajs-2', partition: 1 }] });
      expect(meta).toMatchObject({ partition: 1, errorCode: 0, baseOffset: '1' });
    } finally {
      await producer.disconnect();
    }

    // WSS on one node and SSE over HTTPS on another, for partition 2; produced through a third node.
    const leader2 = leaders[2]!;
    const [wsNode, sseNode] = [notLeading(leader2), notLeading(notLeading(leader2).brokerId)];
    const wss = await openWss(wsNode, appKey);
    const sse = await openSse(sseNode, `/v1/topics/${TOPIC}/events?partitions=2&from=latest&access_token=${encodeURIComponent(appKey)}`);
    try {
      expect(sse.status).toBe(200);
      wss.ws.send(JSON.stringify({ type: 'subscribe', id: 's1', topic: TOPIC, partitions: [2], from: 'latest' }));
      await cluster.waitFor('the WSS subscription to be acknowledged', () => wss.frames.some((f) => f.type === 'ack'), 30_000);
      await cluster.waitFor('the SSE stream to start', () => sse.text.length > 0, 30_000);
      const live = await cluster.broker(leader2).http('POST', `/v1/topics/${TOPIC}/records`, { records: [{ value: 'live-1', partition: 2 }, { value: 'live-2', partition: 2 }] }, bearer(appKey));
      expect(live.status).toBe(200);
      const wsValues = (): string[] => wss.frames.filter((f) => f.type === 'records').flatMap((f) => f.records.map((r: { value: string }) => r.value));
      await cluster.waitFor('the WSS subscription to deliver both records', () => wsValues().length >= 2, 30_000);
      expect(wsValues()).toEqual(['live-1', 'live-2']);
      await cluster.waitFor('the SSE stream to deliver both records', () => sse.text.includes('live-2'), 30_000);
      expect(sse.text).toContain('live-1');
      expect(wss.frames.filter((f) => f.type === 'error')).toEqual([]);
    } finally {
      wss.ws.close();
      sse.close();
    }

    // A kafkajs consumer group (SCRAM over TLS) reads every partition and commits.
    const expected = ['"https-0"', 'kcat-1', 'kcat-2', '"https-1"', 'kafkajs-1', 'kafkajs-2', '"https-2"', '"live-1"', '"live-2"'];
    const consumer = kafkaVia(cluster.broker(2)).consumer({ groupId: GROUP, sessionTimeout: 30_000, heartbeatInterval: 1_000 });
    const consumed: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void consumed.push(String(message.value)) });
      await cluster.waitFor('the consumer group to read every record', () => consumed.length >= expected.length, 90_000);
      expect([...consumed].sort()).toEqual([...expected].sort());
    } finally {
      await consumer.disconnect(); // commits what it consumed
    }
    // Its offsets over HTTPS on every node: two of three forward to the coordinator over HTTPS with the broker's certificate.
    const ends = [3, 3, 3];
    for (const b of cluster.running()) {
      const described = await cluster.waitFor(`the group's committed offsets through broker ${b.brokerId}`, async () => {
        const res = await b.http('GET', `/v1/groups/${GROUP}`, undefined, bearer(appKey));
        const committed = res.status === 200 ? [0, 1, 2].map((p) => res.body.offsets?.find((o: { partition: number }) => o.partition === p)?.committedOffset) : [];
        return committed.join() === ends.join() ? res : undefined;
      }, 30_000);
      expect(described.status).toBe(200);
    }
    // A schema registered through every node: all but the writer forward to it over HTTPS.
    const schema = { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { id: { type: 'integer' } } }) };
    const ids = new Set<number>();
    for (const b of cluster.running()) {
      const registered = await b.http('POST', `/schemas/subjects/${TOPIC}-value/versions`, schema, { ...admin, 'content-type': 'application/vnd.schemaregistry.v1+json' });
      expect({ broker: b.brokerId, status: registered.status }).toEqual({ broker: b.brokerId, status: 200 });
      ids.add(registered.body.id);
    }
    expect(ids.size).toBe(1);

    // Replication over TLS kept every follower in sync; no broker failed a TLS handshake with another.
    const view = await cluster.broker(3).http('GET', `/v1/topics/${TOPIC}`, undefined, admin);
    for (const p of view.body.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3]);
    for (const b of cluster.running()) expect(b.output()).not.toMatch(/self[- ]signed|unable to verify|ERR_TLS|handshake/i);
  }, TEST_TIMEOUT_MS);

  it('refuses a key revoked on broker 1 on brokers 2 and 3 within a second, and closes its WSS, SSE and Kafka connections there', async () => {
    const key = await cluster.broker(1).http('POST', '/v1/admin/api-keys', { principal: 'User:acme.app', description: 'to revoke' }, admin);
    expect(key.status).toBe(201);
    const { apiKey, keyId } = key.body as { apiKey: string; keyId: string };
    const status = async (b: ClusterBrokerProcess): Promise<number> => (await b.http('GET', `/v1/topics/${TOPIC}`, undefined, bearer(apiKey))).status;
    // Used on every node first: a cached verification must be dropped, not just be missing.
    await cluster.waitFor('the key to work on every broker', async () => (await Promise.all(cluster.running().map(status))).every((s) => s === 200));

    const others = [cluster.broker(2), cluster.broker(3)];
    const open = await Promise.all(
      others.map(async (b) => {
        const wss = await openWss(b, apiKey);
        wss.ws.send(JSON.stringify({ type: 'subscribe', id: 's1', topic: TOPIC, partitions: [0], from: 'latest' }));
        const sse = await openSse(b, `/v1/topics/${TOPIC}/events?partitions=0&from=latest&access_token=${encodeURIComponent(apiKey)}`);
        expect(sse.status).toBe(200);
        const kafka = await BrokerConnection.connect({ host: '127.0.0.1', port: b.kafkaPort, clientId: 'revokee', tls: b.clientTls!, sasl: { mechanism: 'PLAIN', username: keyId, password: apiKey }, requestTimeoutMs: 10_000 });
        const kafkaClosed = { atMs: null as number | null };
        void kafka.closed.then(() => (kafkaClosed.atMs = Date.now()));
        await cluster.waitFor(`broker ${b.brokerId}'s WSS subscription and SSE stream to start`, () => wss.frames.some((f) => f.type === 'ack') && sse.text.length > 0, 30_000);
        return { broker: b, wss, sse, kafka, kafkaClosed };
      }),
    );

    try {
      const revokeStartedAt = Date.now();
      const revoked = await cluster.broker(1).http('DELETE', `/v1/admin/api-keys/${keyId}`, undefined, admin);
      expect(revoked.status).toBe(200);
      const callMs = Date.now() - revokeStartedAt;
      const measured = await Promise.all(
        open.map(async ({ broker, wss, sse, kafkaClosed }) => {
          const http401 = await (async () => {
            for (;;) {
              if ((await status(broker)) === 401) return Date.now() - revokeStartedAt;
              if (Date.now() - revokeStartedAt > GIVE_UP_MS) throw new Error(`broker ${broker.brokerId} still accepts the revoked key after ${GIVE_UP_MS} ms`);
            }
          })();
          await cluster.waitFor(`broker ${broker.brokerId} to close the revoked key's connections`, () => wss.closed.atMs !== null && sse.endedAtMs !== null && kafkaClosed.atMs !== null, GIVE_UP_MS);
          return { broker: broker.brokerId, http401, wss: wss.closed.atMs! - revokeStartedAt, sse: sse.endedAtMs! - revokeStartedAt, kafka: kafkaClosed.atMs! - revokeStartedAt, wssCode: wss.closed.code, sseError: /event: error[\s\S]*revoked/.test(sse.text) };
        }),
      );
      // The figures, for the record (the assertion below is the bound).
      console.log(`revocation on broker 1 (its call took ${callMs} ms); effects on brokers 2 and 3, ms after the call started: ${JSON.stringify(measured)}`);
      for (const m of measured) {
        expect({ broker: m.broker, wssCode: m.wssCode, sseError: m.sseError }).toEqual({ broker: m.broker, wssCode: 4401, sseError: true });
        for (const face of ['http401', 'wss', 'sse', 'kafka'] as const) expect({ broker: m.broker, face, withinBound: m[face] < REVOCATION_BOUND_MS, ms: m[face] }).toMatchObject({ withinBound: true });
      }
      const refused = await cluster.broker(3).http('GET', `/v1/topics/${TOPIC}`, undefined, bearer(apiKey));
      expect(refused.body.error.details).toEqual({ reason: 'revoked' });
      // The other credentials of the same principal go on (only the key was revoked).
      expect((await cluster.broker(2).http('GET', `/v1/topics/${TOPIC}`, undefined, bearer(appKey))).status).toBe(200);
    } finally {
      for (const { wss, sse, kafka } of open) {
        wss.ws.terminate();
        sse.close();
        await kafka.close();
      }
    }
  }, TEST_TIMEOUT_MS);

  it("holds a tenant to its topic limit on every broker, counting topics hosted elsewhere", async () => {
    expect((await cluster.broker(1).http('POST', '/v1/admin/tenants', { name: 'lim', maxTopics: 1 }, admin)).status).toBe(201);
    const created = await cluster.broker(1).http('POST', '/v1/topics', { name: 'lim.one', partitions: 1, replicationFactor: 1 }, admin);
    expect(created.status).toBe(201);
    const host = await cluster.waitFor('lim.one to have a leader', async () => (await cluster.broker(1).http('GET', '/v1/topics/lim.one', undefined, admin)).body.partitions?.[0]?.leader as number | undefined);
    // Every other broker holds no replica of it, and still counts it.
    for (const b of cluster.running().filter((b) => b.brokerId !== host)) {
      const refused = await b.http('POST', '/v1/topics', { name: `lim.two-${b.brokerId}`, partitions: 1 }, admin);
      expect({ broker: b.brokerId, status: refused.status, reason: refused.body.error?.details?.reason }).toEqual({ broker: b.brokerId, status: 403, reason: 'topic-limit' });
      const kafkaAdmin = new Kafka({ clientId: 'limits', brokers: [b.bootstrap], ssl: b.clientTls, sasl: { mechanism: 'plain', username: 'admin', password: admin.authorization!.slice('Bearer '.length) }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await kafkaAdmin.connect();
      try {
        await expect(kafkaAdmin.createTopics({ topics: [{ topic: `lim.three-${b.brokerId}`, numPartitions: 1 }], waitForLeaders: false })).rejects.toThrow();
      } finally {
        await kafkaAdmin.disconnect();
      }
    }
    const listed = await cluster.broker(1).http('GET', '/v1/topics', undefined, admin);
    expect(listed.body.topics.map((t: { name: string }) => t.name).filter((n: string) => n.startsWith('lim.'))).toEqual(['lim.one']);
  }, TEST_TIMEOUT_MS);
});
