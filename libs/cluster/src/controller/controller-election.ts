/**
 * Controller election, as Kafka did it on ZooKeeper: whoever creates the `controller` key wins,
 * the key lives under the winner's broker lease (so it vanishes when the broker does), and the
 * losers wait for it to vanish and try again. The winning transaction also bumps
 * `controller_epoch`, atomically:
 *
 *   if   version(controller) == 0                      (nobody holds it)
 *   and  mod_revision(controller_epoch) == R           (the epoch we read, R = 0 if absent)
 *   and  create_revision(brokers/<me>) == brokerEpoch  (our registration is still the live one)
 *   then put controller {brokerId, controllerEpoch: e + 1, incarnationId} (lease: ours)
 *        put controller_epoch e + 1
 *
 * The `controller` key's create revision is the session's fencing token (ControllerSession).
 * A session ends when the broker's lease is lost, when the cache shows the key gone or held by
 * another election, when a write is fenced, or on stop() (which deletes the key, if still ours,
 * so another broker takes over at once instead of after the lease TTL).
 */
import type { Logger } from '@spool/common';
import type { BrokerRegistrar, BrokerSession } from '../broker-registrar.js';
import { sleep } from '../etcd/backoff.js';
import type { EtcdConnection } from '../etcd/etcd-connection.js';
import { decodeControllerEpoch, encodeController, type ClusterKeys } from '../metadata-codec.js';
import type { MetadataCache } from '../metadata-cache.js';
import { ControllerSession } from './controller-session.js';

export class ControllerElection {
  private sessionValue: ControllerSession | null = null;
  private campaigning = false;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly listeners = new Set<(session: ControllerSession) => void>();
  private readonly logger: Logger;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    private readonly registrar: BrokerRegistrar,
    private readonly cache: MetadataCache,
    logger: Logger,
  ) {
    this.logger = logger.child({ component: 'controller-election' });
  }

  /** The session while this broker is the controller. */
  get session(): ControllerSession | null {
    return this.sessionValue;
  }

  /** Called with each new session this broker wins. */
  onElected(listener: (session: ControllerSession) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.unsubscribe.push(
      this.registrar.onChange((broker) => {
        if (broker === null) this.sessionValue?.end('lease-lost');
        this.maybeCampaign();
      }),
      this.cache.subscribe((event) => {
        if (event.kind !== 'controller-changed' && event.kind !== 'resynced') return;
        const holder = this.cache.view.controller();
        const session = this.sessionValue;
        if (session && (holder === null || holder.electionRevision !== session.electionRevision)) session.end('deposed');
        this.maybeCampaign();
      }),
    );
    this.maybeCampaign();
  }

  /** Stops campaigning and resigns: deletes the controller key if this election still holds it. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    const session = this.sessionValue;
    if (session) {
      session.end('resigned');
      try {
        await this.conn.txn([{ key: this.keys.controller(), target: 'createRevision', equals: session.electionRevision }], [{ delete: this.keys.controller() }]);
      } catch (err) {
        this.logger.warn({ err: this.conn.describeError('resign', err).message }, 'could not resign as controller; the key expires with the lease');
      }
    }
  }

  private maybeCampaign(): void {
    if (this.stopped || this.campaigning) return;
    if (this.sessionValue?.endReason === null) return;
    const broker = this.registrar.current;
    if (broker === null || this.cache.view.controller() !== null) return;
    this.campaigning = true;
    void this.campaign(broker).finally(() => {
      this.campaigning = false;
    });
  }

  private async campaign(broker: BrokerSession): Promise<void> {
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt++) {
      if (this.registrar.current !== broker || !broker.lease.isValid()) return;
      try {
        const won = await this.tryOnce(broker);
        if (won !== 'retry') return;
      } catch (err) {
        this.logger.warn({ err: this.conn.describeError('controller election', err).message }, 'controller election attempt failed; retrying');
        await sleep(250 * (attempt + 1));
      }
    }
    // Still no controller and we could not take it: look again shortly (the cache may lag).
    if (!this.stopped) setTimeout(() => this.maybeCampaign(), 500).unref();
  }

  private async tryOnce(broker: BrokerSession): Promise<'won' | 'lost' | 'retry'> {
    const epochKey = this.keys.controllerEpoch();
    const { kv } = await this.conn.get(epochKey);
    const previousEpoch = kv ? decodeControllerEpoch(epochKey, kv.value) : 0;
    const controllerEpoch = previousEpoch + 1;
    const controllerKey = this.keys.controller();
    const res = await this.conn.txn(
      [
        { key: controllerKey, target: 'version', equals: 0 },
        { key: epochKey, target: 'modRevision', equals: kv?.modRevision ?? 0 },
        { key: this.keys.broker(broker.brokerId), target: 'createRevision', equals: broker.brokerEpoch },
      ],
      [
        { put: controllerKey, value: encodeController({ brokerId: broker.brokerId, controllerEpoch, incarnationId: this.registrar.incarnationId }), lease: broker.lease.id },
        { put: epochKey, value: String(controllerEpoch) },
      ],
      [{ get: controllerKey }],
    );
    if (!res.succeeded) return res.reads[0]?.[0] !== undefined ? 'lost' : 'retry';
    const session = new ControllerSession(this.conn, this.keys, broker.brokerId, controllerEpoch, res.revision, broker.lease, this.logger.child({ controllerEpoch }));
    this.sessionValue = session;
    broker.lease.onLost(() => session.end('lease-lost'));
    session.onEnd(() => {
      if (this.sessionValue === session) this.sessionValue = null;
      setImmediate(() => this.maybeCampaign());
    });
    this.logger.info({ brokerId: broker.brokerId, controllerEpoch, electionRevision: res.revision }, 'elected controller');
    for (const listener of this.listeners) {
      try {
        listener(session);
      } catch (err) {
        this.logger.error({ err }, 'controller election listener failed');
      }
    }
    return 'won';
  }
}
