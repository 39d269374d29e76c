/**
 * Kafka's client-quota APIs (DescribeClientQuotas 48, AlterClientQuotas 49) and SCRAM-credential
 * APIs (DescribeUserScramCredentials 50, AlterUserScramCredentials 51), driven by a client nobody
 * here wrote: @platformatic/kafka 1.35 (test/clients; its Admin for the quota APIs, its protocol functions on a
 * SASL connection for the SCRAM ones; kafkajs, kcat and the Debian confluent_kafka 1.7 have none of
 * them). The effects are checked on the same store through the HTTP admin routes, and a SCRAM user
 * made with AlterUserScramCredentials (salt and SaltedPassword computed client-side, as Kafka's
 * clients do) logs in with kafkajs, then no longer once deleted.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// Installed in test/clients by scripts/setup.sh, with the other clients the suite drives (kept out of the server's dependencies).
import { Admin, alterClientQuotasV1, alterUserScramCredentialsV0, ClientQuotaMatchTypes, Connection, describeUserScramCredentialsV0 } from '../../../../../test/clients/node_modules/@platformatic/kafka/dist/index.js';
import { generateApiKey } from '@spool/security';
import { Kafka, logLevel } from 'kafkajs';
import type { SecurityOptions } from '../../security/security.options.js';
import { startKafkaTestBroker, type KafkaTestBroker } from '../testing/kafka.test-util.js';

let broker: KafkaTestBroker;
let securityDir: string;
const adminKey = generateApiKey().apiKey;
const adminSasl = { mechanism: 'PLAIN' as const, username: 'admin', password: adminKey };
const open: Array<{ close(): Promise<unknown> | void }> = [];

async function http(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(broker.httpUrl + route, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

function admin(sasl = adminSasl): Admin {
  const client = new Admin({ clientId: 'quota-test', bootstrapBrokers: [broker.bootstrap], sasl, retries: 0 });
  open.push({ close: () => client.close() });
  return client;
}

async function connection(sasl: { mechanism: 'PLAIN' | 'SCRAM-SHA-256'; username: string; password: string } = adminSasl): Promise<Connection> {
  const conn = new Connection('scram-test', { sasl });
  open.push({ close: () => conn.close() });
  const [host, port] = broker.bootstrap.split(':');
  await conn.connect(host!, Number(port));
  return conn;
}

beforeAll(async () => {
  securityDir = await mkdtemp(path.join(os.tmpdir(), 'spool-quota-scram-'));
  const security: SecurityOptions = { enabled: true, storeDir: securityDir, superUsers: ['User:admin'], adminApiKey: adminKey, jwtIssuers: [], tls: null };
  broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1 } });
});

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

afterAll(async () => {
  await broker?.close();
  await rm(securityDir, { recursive: true, force: true });
});

/** Per-entry error codes of a raw AlterClientQuotas v1 (the client throws on any error code; the response rides on the error). */
async function alterCodes(conn: Connection, entries: unknown[]): Promise<number[]> {
  try {
    const res = await alterClientQuotasV1.api.async(conn, entries as alterClientQuotasV1.AlterClientQuotasRequestEntry[], false);
    return res.entries.map((e) => e.errorCode);
  } catch (err) {
    const response = (err as { response?: { entries: Array<{ errorCode: number }> } }).response;
    if (response === undefined) throw err;
    return response.entries.map((e) => e.errorCode);
  }
}

describe('client quotas over Kafka (@platformatic/kafka Admin)', () => {
  it('sets, describes and removes quotas of a user, a tenant and the user default; the HTTP routes see the same ones', async () => {
    const client = admin();
    const altered = await client.alterClientQuotas({
      entries: [
        { entities: [{ entityType: 'user', entityName: 'ingest' }], ops: [{ key: 'producer_byte_rate', value: 1048576, remove: false }, { key: 'consumer_byte_rate', value: 2097152, remove: false }] },
        { entities: [{ entityType: 'user', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 65536, remove: false }] },
      ],
    });
    expect(altered.map((e) => [e.errorCode, e.entity])).toEqual([
      [0, [{ entityType: 'user', entityName: 'ingest' }]],
      [0, [{ entityType: 'user', entityName: null }]],
    ]);
    // Spool's tenant entity (the client knows only user and client-id): over the raw API.
    expect(await alterCodes(await connection(), [{ entities: [{ entityType: 'tenant', entityName: 'acme' }], ops: [{ key: 'request_percentage', value: 50, remove: false }] }])).toEqual([0]);
    const listed = await http('GET', '/v1/admin/quotas');
    expect(listed.status).toBe(200);
    expect(listed.body.quotas).toEqual(
      expect.arrayContaining([
        { entityType: 'user', name: 'ingest', values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
        { entityType: 'user', name: null, values: { producer_byte_rate: 65536 } },
        { entityType: 'tenant', name: 'acme', values: { request_percentage: 50 } },
      ]),
    );

    const exact = await client.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'ingest' }] });
    expect(exact).toEqual([{ entity: [{ entityType: 'user', entityName: 'ingest' }], values: expect.arrayContaining([{ key: 'producer_byte_rate', value: 1048576 }, { key: 'consumer_byte_rate', value: 2097152 }]) }]);
    const defaults = await client.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.DEFAULT }] });
    expect(defaults).toEqual([{ entity: [{ entityType: 'user', entityName: null }], values: [{ key: 'producer_byte_rate', value: 65536 }] }]);
    const anyUser = await client.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.ANY }] });
    expect(anyUser).toHaveLength(2);

    // One key removed, validateOnly changes nothing, a quota set over HTTP shows up over Kafka.
    await client.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'ingest' }], ops: [{ key: 'consumer_byte_rate', remove: true }] }] });
    await client.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'ingest' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], validateOnly: true });
    expect((await http('PUT', '/v1/admin/quotas', { entityType: 'user', name: 'web', values: { request_rate: 100 } })).status).toBe(200);
    const after = await client.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.ANY }] });
    expect(after).toEqual(
      expect.arrayContaining([
        { entity: [{ entityType: 'user', entityName: 'ingest' }], values: [{ key: 'producer_byte_rate', value: 1048576 }] },
        { entity: [{ entityType: 'user', entityName: 'web' }], values: [{ key: 'request_rate', value: 100 }] },
      ]),
    );
    expect((await http('DELETE', '/v1/admin/quotas?entityType=user&name=web')).status).toBe(204);
    expect((await client.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'web' }] }))).toEqual([]);
  });

  it('refuses what Spool does not keep, bad values, and a principal without ALTER_CONFIGS on the cluster', async () => {
    const conn = await connection();
    expect(
      await alterCodes(conn, [
        { entities: [{ entityType: 'client-id', entityName: 'app' }], ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }] },
        { entities: [{ entityType: 'user', entityName: 'ingest' }], ops: [{ key: 'producer_byte_rate', value: -5, remove: false }] },
        { entities: [{ entityType: 'user', entityName: 'ingest' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
      ]),
    ).toEqual([42, 42, 42]); // INVALID_REQUEST for each
    expect((await http('PUT', '/v1/admin/quotas', { entityType: 'client-id', values: {} })).status).toBe(400);
    expect((await http('PUT', '/v1/admin/quotas', { entityType: 'user', name: 'x', values: { producer_byte_rate: -1 } })).status).toBe(400);

    expect((await http('POST', '/v1/admin/scram-credentials', { user: 'ops', mechanism: 'SCRAM-SHA-256', password: 'ops-password-1234' })).status).toBe(200);
    const ops = await connection({ mechanism: 'SCRAM-SHA-256', username: 'ops', password: 'ops-password-1234' });
    expect(await alterCodes(ops, [{ entities: [{ entityType: 'user', entityName: 'ops' }], ops: [{ key: 'producer_byte_rate', value: 1e9, remove: false }] }])).toEqual([31]); // CLUSTER_AUTHORIZATION_FAILED
  });
});

describe('SCRAM credentials over Kafka (@platformatic/kafka protocol functions)', () => {
  it('creates a user from salt and SaltedPassword, which then logs in with kafkajs; describes and deletes it', async () => {
    const conn = await connection();
    const password = 'made-over-kafka-9876';
    const salt = randomBytes(24);
    const saltedPassword = pbkdf2Sync(password, salt, 8192, 32, 'sha256');
    const created = await alterUserScramCredentialsV0.api.async(conn, [], [{ name: 'kafka-made', mechanism: 1, iterations: 8192, salt, saltedPassword }]);
    expect(created.results).toEqual([{ user: 'kafka-made', errorCode: 0, errorMessage: null }]);

    const login = async (): Promise<void> => {
      const k = new Kafka({ clientId: 'scram-login', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-256', username: 'kafka-made', password } }).admin();
      try {
        await k.connect();
        await k.describeCluster();
      } finally {
        await k.disconnect();
      }
    };
    await login();

    // The client throws on any error code in the answer; the response rides on the error.
    const described = await describeUserScramCredentialsV0.api
      .async(conn, [{ name: 'kafka-made' }, { name: 'nobody' }])
      .catch((err: { response?: Awaited<ReturnType<typeof describeUserScramCredentialsV0.api.async>> }) => err.response!);
    expect(described.results).toEqual([
      { user: 'kafka-made', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 8192 }] },
      { user: 'nobody', errorCode: 91, errorMessage: expect.any(String), credentialInfos: [] }, // RESOURCE_NOT_FOUND
    ]);
    const http1 = await http('GET', '/v1/admin/scram-credentials');
    expect(http1.body.credentials).toContainEqual({ user: 'kafka-made', mechanism: 'SCRAM-SHA-256', iterations: 8192 });

    const refused = await alterUserScramCredentialsV0.api.async(conn, [{ name: 'nobody', mechanism: 2 }], [
      { name: 'weak', mechanism: 2, iterations: 100, salt, saltedPassword: pbkdf2Sync(password, salt, 100, 64, 'sha512') },
      { name: 'spool-broker', mechanism: 0, iterations: 4096, salt, saltedPassword },
    ]).catch((err: { response?: { results: Array<{ user: string; errorCode: number }> } }) => err.response!);
    expect(refused.results.map((r) => [r.user, r.errorCode])).toEqual([
      ['nobody', 91], // RESOURCE_NOT_FOUND
      ['weak', 93], // UNACCEPTABLE_CREDENTIAL
      ['spool-broker', 33], // UNSUPPORTED_SASL_MECHANISM
    ]);

    const deleted = await alterUserScramCredentialsV0.api.async(conn, [{ name: 'kafka-made', mechanism: 1 }], []);
    expect(deleted.results).toEqual([{ user: 'kafka-made', errorCode: 0, errorMessage: null }]);
    await expect(login()).rejects.toThrow();
    const all = await describeUserScramCredentialsV0.api.async(conn, []);
    expect(all.results.map((r: { user: string }) => r.user)).not.toContain('kafka-made');
  });
});
