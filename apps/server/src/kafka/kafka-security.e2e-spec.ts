/**
 * SASL and ACLs on the Kafka face, judged by clients nobody here wrote: kafkajs (SCRAM-SHA-256,
 * PLAIN with an API key), kcat / librdkafka (SCRAM-SHA-512) and Python's confluent_kafka (PLAIN).
 * No credential, a wrong one, a valid one without the right ACLs, and an allowed one; tenants that
 * cannot see, write, read or join each other's topics and groups; Kafka's ACL APIs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateApiKey } from '@spool/security';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type SASLOptions } from 'kafkajs';
import type { SecurityOptions } from '../security/security.options.js';
import * as protocol from '@spool/protocol';
import { AccessControl } from '../security/access-control.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';
import { requireKcat, startKafkaTestBroker, type KafkaTestBroker } from './testing/kafka.test-util.js';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery staple';

let broker: KafkaTestBroker;
let securityDir: string;
const admin = generateApiKey().apiKey;
let acmeKey: string;

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(broker.httpUrl + route, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

function client(sasl?: SASLOptions): Kafka {
  return new Kafka({ clientId: 'spool-security-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5_000, ...(sasl !== undefined && { sasl }) });
}

const acmeScram: SASLOptions = { mechanism: 'scram-sha-256', username: 'acme.app', password: PASSWORD };

beforeAll(async () => {
  securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-kafka-security-'));
  const security: SecurityOptions = { enabled: true, storeDir: securityDir, superUsers: ['User:admin'], adminApiKey: admin, jwtIssuers: [], tls: null };
  broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1 } });
  for (const name of ['acme', 'beta']) expect((await api('POST', '/v1/admin/tenants', { name })).status).toBe(201);
  for (const user of ['acme.app', 'beta.app']) {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) expect((await api('POST', '/v1/admin/scram-credentials', { user, mechanism, password: PASSWORD })).status).toBe(200);
  }
  acmeKey = (await api('POST', '/v1/admin/api-keys', { principal: 'acme.app' })).body.apiKey;
  const allow = (tenant: string, resourceType: string, operation: string) => ({ resourceType, resourceName: `${tenant}.`, patternType: 'PREFIXED', principal: `User:${tenant}.app`, operation, permissionType: 'ALLOW' });
  const acls = [allow('acme', 'TOPIC', 'ALL'), allow('acme', 'GROUP', 'READ'), allow('beta', 'TOPIC', 'ALL'), allow('beta', 'GROUP', 'READ')];
  expect((await api('POST', '/v1/admin/acls', { acls })).status).toBe(201);
  for (const name of ['acme.orders', 'beta.orders']) expect((await api('POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
  expect((await api('POST', '/v1/topics/beta.orders/records', { records: [{ value: 'secret of beta' }] })).status).toBe(200);
});

afterAll(async () => {
  await broker?.close();
  await rm(securityDir, { recursive: true, force: true });
});

describe('kafkajs with SASL', () => {
  it('is refused without SASL, and with a wrong password', async () => {
    const open = client().admin();
    await expect(open.connect().then(() => open.listTopics())).rejects.toThrow();
    await open.disconnect();
    const wrong = client({ ...acmeScram, password: 'nope' }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL SCRAM SHA256 authentication failed|Authentication failed/i);
  });

  it('SCRAM-SHA-256: produces, consumes in a group and commits inside its tenant; sees and touches nothing of the other', async () => {
    const kafka = client(acmeScram);
    const adminClient = kafka.admin();
    await adminClient.connect();
    expect((await adminClient.listTopics()).sort()).toEqual(['acme.orders']);
    await adminClient.createTopics({ topics: [{ topic: 'acme.events', numPartitions: 1 }] });
    await expect(adminClient.createTopics({ topics: [{ topic: 'beta.mine', numPartitions: 1 }] })).rejects.toThrow();
    await expect(adminClient.deleteTopics({ topics: ['beta.orders'], timeout: 5_000 })).rejects.toThrow();
    await adminClient.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'acme.orders', messages: [{ key: 'k', value: 'mine' }] });
    await expect(producer.send({ topic: 'beta.orders', messages: [{ value: 'intrusion' }] })).rejects.toThrow(/not authorized|authorization/i);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'acme.g', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'acme.orders', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (got.push(String(message.value)) === 1 && resolve()) }).catch(reject);
    });
    await consumer.disconnect();
    expect(got).toEqual(['mine']);

    const intruder = kafka.consumer({ groupId: 'beta.g' });
    await intruder.connect();
    const crashed = new Promise<unknown>((resolve) => intruder.on(intruder.events.CRASH, (e) => resolve(e.payload.error)));
    await intruder.subscribe({ topic: 'acme.orders' });
    await intruder.run({ eachMessage: async () => undefined }).catch((err: unknown) => err);
    // FindCoordinator answers GROUP_AUTHORIZATION_FAILED; kafkajs reports it as "Failed to find group coordinator".
    expect(String(await crashed)).toMatch(/not authorized|authorization|group coordinator/i);
    await intruder.disconnect();
    // beta's topic is untouched.
    const stored = await broker.logManager.getLog('beta.orders', 0).read(0, 1 << 20);
    expect(stored.nextOffset).toBe(1);
  });

  it('PLAIN with an API key; Kafka\'s ACL APIs are for super users', async () => {
    const kafka = client({ mechanism: 'plain', username: 'acme.app', password: acmeKey });
    const adminClient = kafka.admin();
    await adminClient.connect();
    expect(await adminClient.listTopics()).toContain('acme.orders');
    await expect(adminClient.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })).rejects.toThrow();
    await adminClient.disconnect();

    const root = client({ mechanism: 'plain', username: 'admin', password: admin }).admin();
    await root.connect();
    const acl = { resourceType: AclResourceTypes.TOPIC, resourceName: 'acme.audit', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:acme.auditor', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW };
    await root.createAcls({ acl: [acl] });
    const described = await root.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: 'acme.audit', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(described.resources).toEqual([{ resourceType: AclResourceTypes.TOPIC, resourceName: 'acme.audit', resourcePatternType: ResourcePatternTypes.LITERAL, acls: [{ principal: 'User:acme.auditor', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] }]);
    // The same ACL is visible over HTTP at once.
    expect((await api('GET', '/v1/admin/acls?principal=User:acme.auditor')).body.acls).toHaveLength(1);
    const deleted = await root.deleteAcls({ filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'acme.audit', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:acme.auditor', host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
    expect(deleted.filterResponses[0].matchingAcls).toHaveLength(1);
    await root.disconnect();
  });
});

describe('kcat (librdkafka) with SASL/SCRAM-SHA-512', () => {
  const sasl = (user: string, password: string): string[] => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];

  async function kcat(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = run(requireKcat(), ['-b', broker.bootstrap, ...args], { timeout: 20_000 });
    if (input !== undefined) child.child.stdin!.end(input);
    try {
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('lists only its tenant\'s topics, produces and consumes; a wrong password fails', async () => {
    const metadata = await kcat([...sasl('beta.app', PASSWORD), '-L', '-J']);
    expect([metadata.code, metadata.stderr]).toEqual([0, '']);
    const listed = JSON.parse(metadata.stdout);
    expect(listed.topics.map((t: { topic: string }) => t.topic).sort()).toEqual(['beta.orders']);
    expect((await kcat([...sasl('beta.app', PASSWORD), '-P', '-t', 'beta.orders'], 'from kcat\n')).code).toBe(0);
    const consumed = await kcat([...sasl('beta.app', PASSWORD), '-C', '-t', 'beta.orders', '-e', '-f', '%s\\n']);
    // (The HTTP produce stored a JSON string: its bytes carry the quotes.)
    expect(consumed.stdout.trim().split('\n')).toEqual(['"secret of beta"', 'from kcat']);
    const denied = await kcat([...sasl('beta.app', PASSWORD), '-C', '-t', 'acme.orders', '-e', '-f', '%s\\n']);
    expect(denied.stdout).not.toContain('mine');
    expect(denied.stderr).toMatch(/authoriz/i);
    const wrong = await kcat([...sasl('beta.app', 'wrong'), '-L', '-m', '5']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed|SASL/i);
  });
});

describe('Python confluent_kafka with SASL/PLAIN and an API key', () => {
  it('produces and consumes its tenant\'s topic', async () => {
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer
conf = {"bootstrap.servers": sys.argv[1], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "sasl.username": "acme.app", "sasl.password": sys.argv[2]}
p = Producer(conf)
p.produce("acme.orders", b"from python")
assert p.flush(20) == 0
c = Consumer(dict(conf, **{"group.id": "acme.py", "auto.offset.reset": "earliest"}))
c.subscribe(["acme.orders"])
values = []
while len(values) < 2:
    m = c.poll(20)
    if m is None: break
    if m.error(): raise Exception(str(m.error()))
    values.append(m.value().decode())
c.close()
print(json.dumps(values))
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script, broker.bootstrap, acmeKey], { timeout: 60_000 });
    expect(JSON.parse(stdout.trim())).toEqual(['mine', 'from python']);
  });
});

describe('the SASL exchange and quotas, frame by frame', () => {
  const { encodeRecordBatch, KafkaApiKey, KafkaErrorCode } = protocol;

  async function login(user: string, password: string): Promise<RawKafkaClient> {
    const raw = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await raw.request(KafkaApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    expect(await raw.request(KafkaApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${user}\0${password}`) })).toMatchObject({ errorCode: 0 });
    return raw;
  }

  it('closes a connection that skips SASL or continues after a failed login; refuses an unknown mechanism and a second login', async () => {
    const skipping = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await skipping.request(KafkaApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0 });
    expect(await skipping.request(KafkaApiKey.Metadata, 12, { topics: null })).toBe('closed');

    const failing = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await failing.request(KafkaApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' })).toMatchObject({ errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM });
    expect(await failing.request(KafkaApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: 0 });
    const refused = (await failing.request(KafkaApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\0acme.app\0wrong') })) as { errorCode: number; errorMessage: string };
    expect(refused.errorCode).toBe(KafkaErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(refused.errorMessage).not.toContain('wrong');
    expect(await failing.request(KafkaApiKey.Metadata, 12, { topics: null })).toBe('closed');

    const twice = await login('acme.app', PASSWORD);
    expect(await twice.request(KafkaApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE });
    twice.close();
  });

  it('CreateTopics holds a tenant to its topic limit, counting the topics of the same request', async () => {
    expect((await api('POST', '/v1/admin/tenants', { name: 'tiny', maxTopics: 1 })).status).toBe(201);
    const root = await login('admin', admin);
    const answer = (await root.request(KafkaApiKey.CreateTopics, 7, { timeoutMs: 5_000, validateOnly: false, topics: [{ name: 'tiny.a', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }, { name: 'tiny.b', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }] })) as { topics: Array<{ name: string; errorCode: number; errorMessage: string | null }> };
    const byName = Object.fromEntries(answer.topics.map((t) => [t.name, t.errorCode]));
    expect(byName).toEqual({ 'tiny.a': 0, 'tiny.b': KafkaErrorCode.POLICY_VIOLATION });
    expect(answer.topics.find((t) => t.name === 'tiny.b')!.errorMessage).toMatch(/at most 1 topics/);
    root.close();
  });

  it('refuses the next request of a connection whose API key was revoked', async () => {
    const created = await api('POST', '/v1/admin/api-keys', { principal: 'acme.app' });
    const raw = await login('acme.app', created.body.apiKey);
    expect(await raw.request(KafkaApiKey.Metadata, 12, { topics: null })).not.toBe('closed');
    expect((await api('DELETE', `/v1/admin/api-keys/${created.body.keyId}`)).status).toBe(200);
    expect(await raw.request(KafkaApiKey.Metadata, 12, { topics: null })).toBe('closed');
  });

  it('answers a producer over its byte-rate quota with throttle_time_ms, and not another tenant', async () => {
    expect((await api('POST', '/v1/admin/scram-credentials', { user: 'acme.bulk', mechanism: 'SCRAM-SHA-256', password: PASSWORD })).status).toBe(200);
    expect((await api('POST', '/v1/admin/acls', { acls: [{ resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', principal: 'User:acme.bulk', operation: 'WRITE', permissionType: 'ALLOW' }] })).status).toBe(201);
    const access = broker.app.get(AccessControl);
    await access.security!.admin.alterQuota({ entityType: 'user', name: 'acme.bulk' }, { producer_byte_rate: 10_000 });
    const bulk = await login('acme.bulk', PASSWORD);
    const other = await login('beta.app', PASSWORD);
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(200_000, 1) }] });
    const produce = (client: RawKafkaClient, topic: string) => client.request<{ throttleTimeMs: number; responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(KafkaApiKey.Produce, 7, { acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    const first = await produce(bulk, 'acme.orders');
    if (first === 'closed') throw new Error('closed');
    expect(first.responses[0].partitionResponses[0].errorCode).toBe(0);
    // 200 KB against 10 KB/s over an 11 s window: Kafka's formula gives several seconds (capped at 11 s).
    expect(first.throttleTimeMs).toBeGreaterThan(1_000);
    const unthrottled = await produce(other, 'beta.orders');
    if (unthrottled === 'closed') throw new Error('closed');
    expect(unthrottled.throttleTimeMs).toBe(0);
    bulk.close();
    other.close();
  });
});
