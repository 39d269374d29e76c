/**
 * The set-up the webhook process tests share: a temp data directory, a real redis-server, a real
 * HTTPS receiver on 127.0.0.1 whose self-signed certificate the broker trusts (SPOOL_WEBHOOKS_CA_FILE),
 * and the compiled broker started (and restarted) as a child process against them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HttpsReceiver, type ReceivedMessage } from '../../../test/webhooks/https-receiver.test-util.js';
import { RedisServer } from '../../../test/webhooks/redis-server.test-util.js';
import { freePort, ServerProcess } from './server-process.test-util.js';

export class WebhooksBroker {
  /** The broker started last (by start()). */
  server: ServerProcess | undefined;

  private constructor(
    readonly dataDir: string,
    readonly redis: RedisServer,
    readonly receiver: HttpsReceiver,
    private readonly caFile: string,
  ) {}

  /** Makes the data directory and starts Redis and the receiver; no broker yet. */
  static async start(prefix: string): Promise<WebhooksBroker> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
    const redis = await RedisServer.start();
    const receiver = await HttpsReceiver.start(null);
    const caFile = path.join(dataDir, 'receiver-ca.pem');
    await writeFile(caFile, receiver.tls.cert);
    return new WebhooksBroker(dataDir, redis, receiver, caFile);
  }

  /** The broker's environment without Redis (subscriptions wait); `withRedis()` adds it. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      SPOOL_DATA_DIR: path.join(this.dataDir, 'broker'),
      SPOOL_LOG_LEVEL: 'warn',
      SPOOL_WEBHOOKS_ALLOW_CIDRS: '127.0.0.0/8',
      SPOOL_WEBHOOKS_CA_FILE: this.caFile,
      SPOOL_WEBHOOKS_COMMIT_INTERVAL_MS: '100',
      SPOOL_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      ...extra,
    };
  }

  withRedis(extra: Record<string, string> = {}): Record<string, string> {
    return this.env({ SPOOL_REDIS_URL: this.redis.url, ...extra });
  }

  /** Starts a broker on fresh ports (the data directory stays) and waits until it is ready. */
  async startBroker(env: Record<string, string>): Promise<ServerProcess> {
    this.server = ServerProcess.start({ ...env, SPOOL_HTTP_PORT: String(await freePort()), SPOOL_KAFKA_PORT: String(await freePort()) });
    await this.server.waitUntilReady();
    return this.server;
  }

  /** An HTTP call to the current broker; the body parsed as JSON. */
  async call(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(this.server!.url + pathname, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** How many distinct messages (webhook-ids) the receiver answered 2xx or not. */
  distinct(): number {
    return new Set(this.receiver.messages.map((m) => m.webhookId)).size;
  }

  /**
   * Checks that every message carried one record of `subscription` on `topic` under the
   * webhook-id `<subscription>.<topic>-<partition>-<offset>`, with the same bytes every time it
   * came; returns the records seen, as `<partition>-<offset>`.
   */
  expectStableMessages(subscription: string, topic: string): Set<string> {
    expect(this.receiver.badSignatures).toBe(0);
    const byId = new Map<string, ReceivedMessage[]>();
    for (const m of this.receiver.messages) byId.set(m.webhookId, [...(byId.get(m.webhookId) ?? []), m]);
    const seen = new Set<string>();
    for (const [id, copies] of byId) {
      expect(copies.every((c) => c.raw === copies[0].raw)).toBe(true);
      const record = copies[0].body.records[0];
      expect(id).toBe(`${subscription}.${topic}-${record.partition}-${record.offset}`);
      seen.add(`${record.partition}-${record.offset}`);
    }
    return seen;
  }

  async stop(): Promise<void> {
    await this.server?.kill();
    await this.receiver.close();
    await this.redis.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
