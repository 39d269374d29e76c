/**
 * The set-up the Kafka security e2e specs share: an in-process test broker (startKafkaTestBroker)
 * with security on (its store in a temp directory, User:admin a super user reached with a fresh
 * admin API key), and the admin calls that fill it: tenants, SCRAM users, ACLs, topics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey } from '@spool/security';
import type { SecurityOptions } from '../../security/security.options.js';
import type { KafkaListenerOptions } from '../kafka-listener.options.js';
import { startKafkaTestBroker, type KafkaTestBroker } from './kafka.test-util.js';

/** The password of every SCRAM user these specs make. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface SecuredKafkaBrokerOptions {
  /** Over the defaults (store dir, super user, admin key, no JWT issuers, no TLS). */
  readonly security?: Partial<SecurityOptions>;
  /** Over `numPartitions: 1`. */
  readonly kafka?: Partial<KafkaListenerOptions>;
}

export class SecuredKafkaBroker {
  private constructor(
    readonly broker: KafkaTestBroker,
    /** The admin API key (principal User:admin, a super user). */
    readonly adminApiKey: string,
    private readonly storeDir: string,
  ) {}

  static async start(opts: SecuredKafkaBrokerOptions = {}): Promise<SecuredKafkaBroker> {
    const adminApiKey = generateApiKey().apiKey;
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'spool-kafka-secured-'));
    const security: SecurityOptions = { enabled: true, storeDir, superUsers: ['User:admin'], adminApiKey, jwtIssuers: [], tls: null, ...opts.security };
    try {
      const broker = await startKafkaTestBroker({ security, kafka: { numPartitions: 1, ...opts.kafka } });
      return new SecuredKafkaBroker(broker, adminApiKey, storeDir);
    } catch (err) {
      await rm(storeDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** An HTTP call as the admin; the body parsed as JSON. */
  async api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(this.broker.httpUrl + route, {
      method,
      headers: { authorization: `Bearer ${this.adminApiKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async createTenants(...names: string[]): Promise<void> {
    for (const name of names) expect((await this.api('POST', '/v1/admin/tenants', { name })).status).toBe(201);
  }

  /** SCRAM credentials for `user` under each mechanism, with TEST_PASSWORD. */
  async createScramUser(user: string, mechanisms: readonly string[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']): Promise<void> {
    for (const mechanism of mechanisms) expect((await this.api('POST', '/v1/admin/scram-credentials', { user, mechanism, password: TEST_PASSWORD })).status).toBe(200);
  }

  async createAcls(acls: readonly object[]): Promise<void> {
    expect((await this.api('POST', '/v1/admin/acls', { acls })).status).toBe(201);
  }

  /** Topics of one partition each. */
  async createTopics(...names: string[]): Promise<void> {
    for (const name of names) expect((await this.api('POST', '/v1/topics', { name, partitions: 1 })).status).toBe(201);
  }

  async close(): Promise<void> {
    await this.broker.close();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
