/**
 * Sessions and revocation on the Kafka face (KIP-368 and the store's revocations): kafkajs
 * re-authenticates on the same connection when SaslAuthenticate v1 gives its session a lifetime,
 * and keeps producing; a raw client that does not is refused and closed at its first request after
 * the session ended; a re-authentication as someone else fails; an expiring API key shortens the
 * session; and revoking a key, deleting a SCRAM user or deleting a tenant closes the connections
 * logged in with them at once (a kafkajs consumer and raw clients).
 */
import { KafkaApiKey } from '@spool/protocol';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { KafkaSasl } from './security/kafka-sasl.js';
import { RawKafkaClient } from './testing/raw-kafka-client.js';
import type { KafkaTestBroker } from './testing/kafka.test-util.js';
import { SecuredKafkaBroker, TEST_PASSWORD as PASSWORD } from './testing/secured-kafka.test-util.js';

const REAUTH_MS = 2_000;

let secured: SecuredKafkaBroker;
let broker: KafkaTestBroker;

function kafka(sasl: SASLOptions, extra: { reauthenticationThreshold?: number } = {}): Kafka {
  return new Kafka({ clientId: 'spool-reauth-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5_000, sasl, ...extra });
}

interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  sessionLifetimeMs: number;
}

/** SaslHandshake v1 + SaslAuthenticate v1 with PLAIN on a raw connection. */
async function plainLogin(client: RawKafkaClient, user: string, password: string, mechanism = 'PLAIN'): Promise<SaslAuthenticateResponse | 'closed'> {
  const handshake = await client.request<{ errorCode: number }>(KafkaApiKey.SaslHandshake, 1, { mechanism });
  if (handshake === 'closed') return 'closed';
  if (handshake.errorCode !== 0) return { errorCode: handshake.errorCode, errorMessage: 'handshake', sessionLifetimeMs: 0 };
  return client.request<SaslAuthenticateResponse>(KafkaApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from(`\0${user}\0${password}`) });
}

const metadata = (client: RawKafkaClient) => client.request(KafkaApiKey.Metadata, 1, { topics: [] });

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

beforeAll(async () => {
  secured = await SecuredKafkaBroker.start({ security: { connectionsMaxReauthMs: REAUTH_MS } });
  broker = secured.broker;
  await secured.createTenants('acme', 'gone');
  for (const user of ['acme.app', 'acme.other', 'acme.leaver', 'acme.capped', 'gone.app']) await secured.createScramUser(user);
  const allow = (tenant: string, principal: string, resourceType: string, operation: string) => ({ resourceType, resourceName: `${tenant}.`, patternType: 'PREFIXED', principal, operation, permissionType: 'ALLOW' });
  const acls = ['acme.app', 'acme.leaver'].flatMap((u) => [allow('acme', `User:${u}`, 'TOPIC', 'ALL'), allow('acme', `User:${u}`, 'GROUP', 'READ')]);
  await secured.createAcls([...acls, allow('gone', 'User:gone.app', 'TOPIC', 'ALL')]);
  await secured.createTopics('acme.orders');
});

afterAll(async () => {
  await secured?.close();
});

describe('re-authentication (KIP-368, connections.max.reauth.ms)', () => {
  it('kafkajs re-authenticates on its connections when its session nears its end, and keeps producing', async () => {
    const sasl = broker.app.get(KafkaSasl);
    const before = sasl.reauthentications;
    // kafkajs logs in again once less than the threshold is left of the session (here after ~1.2 s).
    const producer = kafka({ mechanism: 'scram-sha-512', username: 'acme.app', password: PASSWORD }, { reauthenticationThreshold: 800 }).producer();
    await producer.connect();
    const sent: string[] = [];
    const until = Date.now() + 3 * REAUTH_MS;
    while (Date.now() < until || sasl.reauthentications - before < 2) {
      const value = `v${sent.length}`;
      await producer.send({ topic: 'acme.orders', messages: [{ value }] });
      sent.push(value);
      await new Promise((r) => setTimeout(r, 150));
      if (Date.now() > until + 20_000) break;
    }
    await producer.disconnect();
    expect(sasl.reauthentications - before).toBeGreaterThanOrEqual(2);
    const stored = await broker.logManager.getLog('acme.orders', 0).read(0, 1 << 22);
    expect(stored.nextOffset).toBeGreaterThanOrEqual(sent.length);
  });

  it('a connection that does not re-authenticate is refused and closed at its first request after its session', async () => {
    const client = await RawKafkaClient.connect(broker.kafkaPort);
    const login = await plainLogin(client, 'acme.app', PASSWORD);
    expect(login).toMatchObject({ errorCode: 0, sessionLifetimeMs: REAUTH_MS });
    const endsAt = Date.now() + REAUTH_MS;
    expect(await metadata(client)).not.toBe('closed');
    await waitFor('the session to end', () => Date.now() > endsAt + 50, REAUTH_MS + 5_000);
    expect(await metadata(client)).toBe('closed');
  });

  it('re-authentication on the same connection renews the session; as another principal or mechanism it fails and the connection closes', async () => {
    const renewing = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(renewing, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    expect(await plainLogin(renewing, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0, sessionLifetimeMs: REAUTH_MS });
    // At most one re-authentication a second, as Kafka: the next try is refused, the session kept.
    expect(await plainLogin(renewing, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 34 }); // ILLEGAL_SASL_STATE
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await plainLogin(renewing, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0, sessionLifetimeMs: REAUTH_MS });
    const renewedAt = Date.now();
    // Past the first session's end, the renewed one still serves.
    await waitFor('the first session to end', () => Date.now() > renewedAt + 1_200);
    expect(await metadata(renewing)).not.toBe('closed');
    renewing.close();

    const switching = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(switching, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    const other = await plainLogin(switching, 'acme.other', PASSWORD);
    expect(other).toMatchObject({ errorCode: 58 }); // SASL_AUTHENTICATION_FAILED
    expect((other as SaslAuthenticateResponse).errorMessage).toMatch(/cannot change the principal/);
    expect(await metadata(switching)).toBe('closed');

    const mechanism = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(mechanism, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    expect(await mechanism.request<{ errorCode: number }>(KafkaApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })).toMatchObject({ errorCode: 34 });
    expect(await metadata(mechanism)).toBe('closed');
  });

  it('an expiring API key over PLAIN gets a session that ends with the key', async () => {
    // Long enough that the key is still valid when the login arrives on a loaded machine (the train's load of 27
    // once took the create, connect and login past a 1.5 s expiry).
    const lifetimeMs = 6_000;
    const expiresAtMs = Date.now() + lifetimeMs;
    const created = await secured.api('POST', '/v1/admin/api-keys', { principal: 'acme.app', expiresAtMs });
    expect(created.status).toBe(201);
    const client = await RawKafkaClient.connect(broker.kafkaPort);
    const login = (await plainLogin(client, created.body.keyId, created.body.apiKey)) as SaslAuthenticateResponse;
    expect(login.errorCode).toBe(0);
    expect(login.sessionLifetimeMs).toBeGreaterThan(0);
    expect(login.sessionLifetimeMs).toBeLessThanOrEqual(lifetimeMs);
    await waitFor('the key to expire', () => Date.now() > expiresAtMs + 50);
    expect(await metadata(client)).toBe('closed');
  });
});

describe('a failed login', () => {
  it('is answered with SASL_AUTHENTICATION_FAILED, then the broker closes the connection (KIP-152)', async () => {
    const client = await RawKafkaClient.connect(broker.kafkaPort);
    const answer = await plainLogin(client, 'acme.app', 'not-the-password');
    expect(answer).toMatchObject({ errorCode: 58 }); // SASL_AUTHENTICATION_FAILED
    await waitFor('the connection to be closed by the broker', () => client.isClosed);
  });
});

describe('revocation closes open Kafka connections', () => {
  it('revoking an API key closes the PLAIN connections it logged in, at once', async () => {
    const created = await secured.api('POST', '/v1/admin/api-keys', { principal: 'acme.app' });
    const client = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(client, created.body.keyId, created.body.apiKey)).toMatchObject({ errorCode: 0 });
    const bystander = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(bystander, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    expect((await secured.api('DELETE', `/v1/admin/api-keys/${created.body.keyId}`)).status).toBe(200);
    expect(await waitFor('the connection to close', () => client.isClosed)).toBeLessThan(5_000);
    expect(await metadata(bystander)).not.toBe('closed');
    bystander.close();
  });

  it('deleting a SCRAM user ends a running kafkajs consumer\'s connections, and it cannot log in again', async () => {
    // A threshold below the session (kafkajs' default, 10 s, would have it log in again before every request).
    const consumer = kafka({ mechanism: 'scram-sha-256', username: 'acme.leaver', password: PASSWORD }, { reauthenticationThreshold: 800 }).consumer({ groupId: 'acme.leavers', sessionTimeout: 10_000, heartbeatInterval: 300 });
    const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
    await consumer.connect();
    await consumer.subscribe({ topic: 'acme.orders', fromBeginning: true });
    let joined!: () => void;
    const running = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({ eachMessage: async () => undefined });
    await running;
    // The same user over PLAIN (its password checked against whichever SCRAM credential is left).
    const plain = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(plain, 'acme.leaver', PASSWORD)).toMatchObject({ errorCode: 0 });
    expect((await secured.api('DELETE', '/v1/admin/scram-credentials/acme.leaver?mechanism=SCRAM-SHA-256')).status).toBe(204);
    // kafkajs' SCRAM-SHA-256 connections are closed by the broker; reconnecting fails the login, and kafkajs gives up.
    expect(String(await crashed)).toMatch(/SASL|authentication/i);
    expect(await metadata(plain)).not.toBe('closed');
    expect((await secured.api('DELETE', '/v1/admin/scram-credentials/acme.leaver?mechanism=SCRAM-SHA-512')).status).toBe(204);
    await waitFor('the PLAIN connection to close once the user has no credential left', () => plain.isClosed);
    await consumer.disconnect().catch(() => undefined);
    await waitFor('its connections to be gone', () => broker.listener.connectionCount === 0);
  });

  it('deleting a tenant closes the connections of its principals, and only those', async () => {
    const gone = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(gone, 'gone.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    const acme = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(acme, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    expect((await secured.api('DELETE', '/v1/admin/tenants/gone')).status).toBe(204);
    await waitFor('the tenant\'s connection to close', () => gone.isClosed);
    expect(await metadata(acme)).not.toBe('closed');
    acme.close();
  });
});

describe('connection limits per principal (the max_connections quota)', () => {
  it('refuses a login past the principal\'s limit with SASL_AUTHENTICATION_FAILED naming it, and frees the place when a connection closes', async () => {
    expect((await secured.api('PUT', '/v1/admin/quotas', { entityType: 'user', name: 'acme.capped', values: { max_connections: 2 } })).status).toBe(200);
    const held = [await RawKafkaClient.connect(broker.kafkaPort), await RawKafkaClient.connect(broker.kafkaPort)];
    for (const client of held) expect(await plainLogin(client, 'acme.capped', PASSWORD)).toMatchObject({ errorCode: 0 });
    const third = await RawKafkaClient.connect(broker.kafkaPort);
    const refused = (await plainLogin(third, 'acme.capped', PASSWORD)) as SaslAuthenticateResponse;
    expect(refused.errorCode).toBe(58); // SASL_AUTHENTICATION_FAILED
    expect(refused.errorMessage).toMatch(/User:acme\.capped is at its limit of 2 connections/);
    // Answered, then closed by the broker without another request (KIP-152).
    await waitFor('the refused connection to be closed by the broker', () => third.isClosed);
    // kafkajs sees the broker's message.
    const capped = kafka({ mechanism: 'scram-sha-512', username: 'acme.capped', password: PASSWORD }).admin();
    await expect(capped.connect().then(() => capped.listTopics())).rejects.toThrow(/limit of 2 connections/);
    await capped.disconnect();
    // Another principal is not held by it.
    const other = await RawKafkaClient.connect(broker.kafkaPort);
    expect(await plainLogin(other, 'acme.app', PASSWORD)).toMatchObject({ errorCode: 0 });
    other.close();
    held[0].close();
    let again: SaslAuthenticateResponse | 'closed' = 'closed';
    for (const startedAt = Date.now(); Date.now() - startedAt < 10_000; ) {
      const client = await RawKafkaClient.connect(broker.kafkaPort);
      again = await plainLogin(client, 'acme.capped', PASSWORD);
      client.close();
      if (again !== 'closed' && again.errorCode === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(again).toMatchObject({ errorCode: 0 });
    held[1].close();
  });
});
