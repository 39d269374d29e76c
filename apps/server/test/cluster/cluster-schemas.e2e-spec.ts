/**
 * The schema registry in a three-broker cluster (compiled brokers, real etcd; docs/schemas.md,
 * "Cluster mode"): `_schemas` is one cluster topic (replication factor 3) whose partition leader is
 * the registry's one writer; writes on any node are forwarded to it; every node serves reads.
 * - a schema registered on one node is read by id and by subject on the two others at once
 *   (read-your-writes across nodes, no waiting in the test);
 * - registrations of different schemas on all three nodes at the same time get distinct ids;
 * - `@kafkajs/confluent-schema-registry` pointed at each node in turn registers, encodes, and a
 *   fresh client on the next node decodes;
 * - a validating topic's partitions led by brokers that are not the writer accept kafkajs records
 *   with a just-registered id and refuse records without one (INVALID_RECORD); HTTP JSON produce
 *   on a non-writer node is encoded with the latest schema, or refused with 422;
 * - the writer SIGKILLed: another broker takes over, new ids continue above every old one without
 *   collision (also when registered concurrently on the survivors), old ids still resolve, and the
 *   killed broker restarted reads them all.
 */
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { SpoolCluster, type ClusterBrokerProcess } from './spool-cluster.test-util.js';

/** A bound for a loaded 2-core machine (three broker processes, a failover), not a measurement. */
const TEST_TIMEOUT_MS = 180_000;
const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';

let cluster: SpoolCluster;
/** Every id handed out in this file, with the schema text it names. */
const issued = new Map<number, string>();

function avro(name: string, fields: ReadonlyArray<readonly [string, string]> = [['id', 'string']]): string {
  return JSON.stringify({ type: 'record', name, namespace: 'cluster.e2e', fields: fields.map(([n, type]) => ({ name: n, type })) });
}

async function sr(broker: ClusterBrokerProcess, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${broker.url}/schemas${urlPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': MEDIA_TYPE },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function register(broker: ClusterBrokerProcess, subject: string, schema: string): Promise<number> {
  const res = await sr(broker, 'POST', `/subjects/${subject}/versions`, { schema });
  expect(res).toMatchObject({ status: 200 });
  const id = res.body.id as number;
  expect(issued.get(id) ?? schema).toBe(schema); // an id never names two schemas
  issued.set(id, schema);
  return id;
}

/** The broker leading `_schemas`-0 (the writer), as every running broker sees it. */
async function writerId(): Promise<number> {
  return cluster.waitFor('every running broker to agree on the leader of _schemas', async () => {
    const views = await Promise.all(cluster.running().map((b) => b.http('GET', '/v1/topics/_schemas')));
    const leaders = new Set(views.map((v) => (v.status === 200 ? (v.body.partitions[0].leader as number | null) : null)));
    const [leader] = [...leaders];
    return leaders.size === 1 && leader !== null && cluster.running().some((b) => b.brokerId === leader) ? leader : undefined;
  });
}

beforeAll(async () => {
  cluster = await SpoolCluster.start();
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.destroy();
});

describe('the schema registry on every node', () => {
  it('a schema registered on broker 1 is read by id and by subject on brokers 2 and 3 at once', async () => {
    const schema = avro('First');
    const id = await register(cluster.broker(1), 'first-value', schema);
    for (const b of [cluster.broker(2), cluster.broker(3)]) {
      expect(await sr(b, 'GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, body: { schema } });
      expect(await sr(b, 'GET', '/subjects/first-value/versions/latest')).toMatchObject({ status: 200, body: { subject: 'first-value', version: 1, id, schema } });
    }
    // _schemas is one cluster topic, replicated on the three brokers, compacted.
    const topic = await cluster.broker(2).http('GET', '/v1/topics/_schemas');
    expect(topic.status).toBe(200);
    expect(topic.body.partitions).toHaveLength(1);
    expect([...topic.body.partitions[0].replicas].sort()).toEqual([1, 2, 3]);
    expect(topic.body.configs).toMatchObject({ 'cleanup.policy': 'compact' });
    // Config and mode writes on a non-writer node are forwarded and seen everywhere.
    const writer = await writerId();
    const other = cluster.running().find((b) => b.brokerId !== writer)!;
    expect(await sr(other, 'PUT', '/config/first-value', { compatibility: 'FULL' })).toMatchObject({ status: 200, body: { compatibility: 'FULL' } });
    for (const b of cluster.running()) expect(await sr(b, 'GET', '/config/first-value')).toMatchObject({ status: 200, body: { compatibilityLevel: 'FULL' } });
    // A Confluent error on the writer reaches the client unchanged through the forwarding node.
    const incompatible = await sr(other, 'POST', '/subjects/first-value/versions', { schema: avro('First', [['id', 'string'], ['n', 'int']]) });
    expect(incompatible).toMatchObject({ status: 409, body: { error_code: 409 } });
  }, TEST_TIMEOUT_MS);

  it('concurrent registrations of different schemas on all three nodes get distinct ids, readable everywhere', async () => {
    const jobs = cluster.running().flatMap((b) => [0, 1, 2, 3].map((i) => ({ broker: b, subject: `concurrent-${b.brokerId}-${i}-value`, schema: avro(`C${b.brokerId}x${i}`) })));
    const ids = await Promise.all(jobs.map((j) => register(j.broker, j.subject, j.schema)));
    expect(new Set(ids).size).toBe(jobs.length);
    for (const b of cluster.running()) {
      for (const [i, id] of ids.entries()) expect(await sr(b, 'GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, body: { schema: jobs[i].schema } });
    }
  }, TEST_TIMEOUT_MS);

  it('@kafkajs/confluent-schema-registry pointed at each node in turn encodes, and decodes on the next', async () => {
    const brokers = cluster.running();
    for (const [i, b] of brokers.entries()) {
      const client = new ConfluentClient({ host: `${b.url}/schemas`, retry: { retries: 0 } });
      const schema = avro(`Client${b.brokerId}`, [['id', 'string'], ['n', 'int']]);
      const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: `client-${b.brokerId}-value` });
      issued.set(id, schema);
      const encoded = await client.encode(id, { id: `from-${b.brokerId}`, n: i });
      const next = brokers[(i + 1) % brokers.length];
      const fresh = new ConfluentClient({ host: `${next.url}/schemas`, retry: { retries: 0 } });
      expect(await fresh.decode(encoded)).toEqual({ id: `from-${b.brokerId}`, n: i });
      expect(await fresh.getLatestSchemaId(`client-${b.brokerId}-value`)).toBe(id);
    }
  }, TEST_TIMEOUT_MS);

  it('validates produce on brokers that are not the writer (Kafka and HTTP faces)', async () => {
    const created = await cluster.broker(1).http('POST', '/v1/topics', { name: 'payments', partitions: 3, configs: { 'confluent.value.schema.validation': 'true' } });
    expect(created.status).toBe(201);
    const writer = await writerId();
    const leaders = await cluster.waitFor('the leaders of payments', async () => {
      const view = await cluster.broker(1).http('GET', '/v1/topics/payments');
      const found = view.status === 200 ? (view.body.partitions as Array<{ leader: number | null }>).map((p) => p.leader) : [];
      return found.length === 3 && found.every((l) => l !== null) ? (found as number[]) : undefined;
    });
    const partitions = leaders.map((leader, partition) => ({ leader, partition })).filter((p) => p.leader !== writer);
    expect(partitions.length).toBeGreaterThan(0);

    const client = new ConfluentClient({ host: `${cluster.broker(writer).url}/schemas`, retry: { retries: 0 } });
    const { id } = await client.register({ type: SchemaType.AVRO, schema: avro('Payment', [['id', 'string'], ['amount', 'double']]) }, { subject: 'payments-value' });
    // At once: the partition leaders may not have seen the id yet; they catch up before refusing.
    const producer = new Kafka({ clientId: 'schemas-cluster-e2e', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } }).producer();
    await producer.connect();
    try {
      for (const p of partitions) {
        await producer.send({ topic: 'payments', messages: [{ partition: p.partition, value: await client.encode(id, { id: `k${p.partition}`, amount: 1.5 }) }] });
        await expect(producer.send({ topic: 'payments', messages: [{ partition: p.partition, value: Buffer.from('{"id":"plain"}') }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
      }
    } finally {
      await producer.disconnect();
    }
    const nonWriter = cluster.broker(partitions[0].leader);
    const p = partitions[0].partition;
    const ok = await nonWriter.http('POST', '/v1/topics/payments/records', { records: [{ partition: p, value: { id: 'h1', amount: 2 } }] });
    expect(ok.status).toBe(200);
    expect(ok.body.results[0].error).toBeUndefined();
    const bad = await nonWriter.http('POST', '/v1/topics/payments/records', { records: [{ partition: p, value: { id: 'h2', amount: 'two' } }] });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'SCHEMA_VALIDATION_FAILED' } } });
    const read = await nonWriter.http('GET', `/v1/topics/payments/partitions/${p}/records?offset=0&valueFormat=json`);
    expect(read.body.records.map((r: { value: unknown; valueSchemaId: number }) => [r.value, r.valueSchemaId])).toEqual([
      [{ id: `k${p}`, amount: 1.5 }, id],
      [{ id: 'h1', amount: 2 }, id],
    ]);
  }, TEST_TIMEOUT_MS);

  it('the writer SIGKILLed: another broker takes over, ids continue without collision, old ids resolve', async () => {
    const before = new Map(issued);
    const maxBefore = Math.max(...before.keys());
    const oldWriter = await writerId();
    await cluster.broker(oldWriter).kill();
    const survivors = cluster.running();
    expect(survivors).toHaveLength(2);

    // The survivors forward to whichever broker leads _schemas once elected (each write waits for it).
    const jobs = survivors.flatMap((b) => [0, 1].map((i) => ({ broker: b, subject: `after-${b.brokerId}-${i}-value`, schema: avro(`After${b.brokerId}x${i}`) })));
    const ids = await Promise.all(jobs.map((j) => register(j.broker, j.subject, j.schema)));
    expect(new Set(ids).size).toBe(jobs.length);
    for (const id of ids) expect(id).toBeGreaterThan(maxBefore);
    const newWriter = await writerId();
    expect(newWriter).not.toBe(oldWriter);

    for (const b of survivors) {
      for (const [id, schema] of issued) expect(await sr(b, 'GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, body: { schema } });
    }
    // The killed broker restarts as a follower of _schemas and reads every id, old and new.
    await cluster.broker(oldWriter).start();
    for (const [id, schema] of issued) expect(await sr(cluster.broker(oldWriter), 'GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, body: { schema } });
    const last = await register(cluster.broker(oldWriter), 'restarted-value', avro('Restarted'));
    expect(last).toBeGreaterThan(Math.max(...ids));
  }, TEST_TIMEOUT_MS);
});
