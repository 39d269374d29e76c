/**
 * Broker registration: the `brokers/<id>` key under a lease this broker keeps alive, Kafka's
 * ephemeral /brokers/ids/<id>. A broker that stops renewing (dead, paused, cut off from etcd)
 * disappears when the lease expires, which is what the controller acts on.
 *
 * - The key is created only if absent. If it exists, it is ours only when it carries our
 *   incarnation id (we re-register after losing the lease locally while etcd still held it):
 *   then it moves to the new lease and keeps its create revision, i.e. our broker epoch.
 *   Anyone else's key means the id is taken: start() retries for `duplicateWaitMs` (a broker
 *   restarted quickly waits for its previous life's lease to expire) and then fails with
 *   DUPLICATE_BROKER_REGISTRATION naming the holder. Later (after a lease loss) it keeps
 *   retrying and logs the conflict.
 * - When the lease is lost (expired locally, or gone in etcd) the registrar reports "no
 *   session", grants a new lease and registers again; a new key means a new broker epoch.
 * - stop() revokes the lease: the key (and the controller key, if we hold it) go at once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import type { AdvertisedEndpoint } from './cluster-config.js';
import { Backoff, sleep } from './etcd/backoff.js';
import { EtcdCallError, type EtcdConnection } from './etcd/etcd-connection.js';
import { LeaseKeeper } from './etcd/lease-keeper.js';
import { decodeBrokerRegistration, encodeBrokerRegistration, type BrokerRegistrationValue, type ClusterKeys } from './metadata-codec.js';

/** This broker's current registration. */
export interface BrokerSession {
  readonly brokerId: number;
  /** The registration key's create revision (Kafka's broker epoch). */
  readonly brokerEpoch: number;
  readonly lease: LeaseKeeper;
}

export interface BrokerRegistrarOptions {
  readonly brokerId: number;
  readonly advertised: AdvertisedEndpoint;
  readonly sessionTimeoutMs: number;
  readonly duplicateWaitMs: number;
  readonly incarnationId?: string;
}

export class BrokerRegistrar {
  readonly incarnationId: string;
  private readonly startTimeMs = Date.now();
  private session: BrokerSession | null = null;
  private controlledShutdown = false;
  private readonly listeners = new Set<(session: BrokerSession | null) => void>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    private readonly options: BrokerRegistrarOptions,
    logger: Logger,
  ) {
    if (!Number.isSafeInteger(options.brokerId) || options.brokerId < 0 || options.brokerId > 2147483647) {
      throw new ClusterError('INVALID_CONFIG', `broker id must be an integer from 0 to 2147483647, got ${options.brokerId}`);
    }
    this.incarnationId = options.incarnationId ?? randomUUID();
    this.logger = logger.child({ component: 'broker-registrar', brokerId: options.brokerId });
  }

  /** The live registration, or null while (re-)registering. */
  get current(): BrokerSession | null {
    return this.session;
  }

  /** Called with each new session, and with null when the session is lost. */
  onChange(listener: (session: BrokerSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Registers; resolves with the first session. Retries while etcd is unreachable (one warning
   * per attempt). Rejects with DUPLICATE_BROKER_REGISTRATION if another incarnation still holds
   * the id after `duplicateWaitMs`.
   */
  start(): Promise<BrokerSession> {
    return new Promise((resolve, reject) => {
      let first = true;
      this.loop = this.run(
        (session) => {
          if (first) {
            first = false;
            resolve(session);
          }
        },
        (err) => {
          if (first) {
            first = false;
            reject(err);
            return true;
          }
          return false;
        },
      );
    });
  }

  /**
   * Marks the registration as shutting down (Kafka's controlled shutdown): the controller moves
   * leadership away and takes the broker out of every ISR; it stays registered until stop().
   */
  async beginControlledShutdown(): Promise<void> {
    this.controlledShutdown = true;
    const session = this.session;
    if (!session) return;
    const key = this.keys.broker(this.options.brokerId);
    await this.conn.txn([{ key, target: 'createRevision', equals: session.brokerEpoch }], [{ put: key, value: this.value(), lease: session.lease.id }]);
  }

  /** Deregisters: revokes the lease (deleting the key at once) and stops re-registering. */
  async stop(): Promise<void> {
    this.abort.abort();
    const session = this.session;
    this.session = null;
    await this.loop;
    if (session) {
      try {
        await session.lease.revoke();
      } catch (err) {
        this.logger.warn({ err: this.conn.describeError('lease revoke', err).message }, 'could not revoke the broker lease; it expires by itself');
      }
    }
  }

  private async run(onSession: (s: BrokerSession) => void, onFatal: (err: unknown) => boolean): Promise<void> {
    const firstAttemptAt = Date.now();
    const backoff = new Backoff(200, 1000);
    while (!this.abort.signal.aborted) {
      let session: BrokerSession;
      try {
        session = await this.conn.retryUntilAvailable(`registering broker ${this.options.brokerId}`, () => this.register(), this.abort.signal);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const duplicate = err instanceof ClusterError && err.code === 'DUPLICATE_BROKER_REGISTRATION';
        if (duplicate && Date.now() - firstAttemptAt >= this.options.duplicateWaitMs && onFatal(err)) return;
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'broker registration failed; retrying');
        await sleep(backoff.next(), this.abort.signal);
        continue;
      }
      backoff.reset();
      if (this.abort.signal.aborted) {
        await session.lease.revoke().catch(() => undefined);
        return;
      }
      this.session = session;
      this.logger.info({ brokerEpoch: session.brokerEpoch, leaseId: session.lease.id, ttlMs: session.lease.ttlMs }, 'broker registered');
      onSession(session);
      this.notify(session);
      const loss = await new Promise<string>((resolve) => {
        session.lease.onLost((why) => resolve(why));
        this.abort.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
      });
      if (loss === 'stopped') return;
      this.session = null;
      this.logger.warn({ loss, brokerEpoch: session.brokerEpoch }, 'broker registration lost; registering again');
      this.notify(null);
    }
  }

  /** One registration attempt with a fresh lease. */
  private async register(): Promise<BrokerSession> {
    const key = this.keys.broker(this.options.brokerId);
    const lease = await LeaseKeeper.grant(this.conn, this.options.sessionTimeoutMs, this.logger);
    try {
      const created = await this.conn.txn([{ key, target: 'version', equals: 0 }], [{ put: key, value: this.value(), lease: lease.id }], [{ get: key }]);
      if (created.succeeded) return { brokerId: this.options.brokerId, brokerEpoch: created.revision, lease };
      const existing = created.reads[0]?.[0];
      if (existing === undefined) throw new EtcdCallError('unavailable', `${key} vanished during registration`, this.conn.endpoints);
      const holder = decodeBrokerRegistration(key, existing.value, this.options.brokerId, existing.createRevision);
      if (holder.incarnationId !== this.incarnationId) {
        throw new ClusterError(
          'DUPLICATE_BROKER_REGISTRATION',
          `broker id ${this.options.brokerId} is registered by another live process (${holder.host}:${holder.kafkaPort}, incarnation ${holder.incarnationId}, started ${new Date(holder.startTimeMs).toISOString()}); broker ids must be unique`,
          { brokerId: this.options.brokerId, holder },
        );
      }
      // Our own key under a lease we gave up on: move it to the new lease (same broker epoch).
      const moved = await this.conn.txn([{ key, target: 'modRevision', equals: existing.modRevision }], [{ put: key, value: this.value(), lease: lease.id }]);
      if (!moved.succeeded) throw new EtcdCallError('unavailable', `${key} changed during re-registration`, this.conn.endpoints);
      if (existing.lease !== '0' && existing.lease !== lease.id) {
        // Keys still on the old lease (the controller key) must go now, not at its expiry.
        await this.conn.leaseRevoke(existing.lease).catch(() => undefined);
      }
      return { brokerId: this.options.brokerId, brokerEpoch: existing.createRevision, lease };
    } catch (err) {
      lease.stop();
      await this.conn.leaseRevoke(lease.id).catch(() => undefined);
      throw err;
    }
  }

  private value(): string {
    const { host, kafkaPort, httpPort, rack } = this.options.advertised;
    const value: BrokerRegistrationValue = {
      host,
      kafkaPort,
      httpPort,
      rack: rack ?? null,
      incarnationId: this.incarnationId,
      startTimeMs: this.startTimeMs,
      controlledShutdown: this.controlledShutdown,
    };
    return encodeBrokerRegistration(value);
  }

  private notify(session: BrokerSession | null): void {
    for (const listener of this.listeners) {
      try {
        listener(session);
      } catch (err) {
        this.logger.error({ err }, 'broker session listener failed');
      }
    }
  }
}
