/**
 * Cluster mode: where the JSON faces (HTTP, WebSocket, SSE) send a partition's produce and reads
 * when another broker leads it (docs/cluster.md, "Any face on any node"). Web clients behind a load
 * balancer may reach any node; that node talks to the leader over Kafka's protocol with
 * libs/broker-client, one connection per peer (BrokerClientPool, pipelined):
 *
 *   produce   the record batches this node built are sent as they are (Produce, acks 1 or -1 as
 *             the client asked); the leader assigns offsets; its per-partition error code comes
 *             back to the client unchanged (BrokerClientError is a SpoolError with Kafka's code);
 *   reads     Fetch and ListOffsets to the leader (ClusterPartitionReaders);
 *   deletes   DeleteRecords to the leader (the HTTP delete-records route), on a wait lane
 *             (forward-delete-records.ts), since the leader holds its answer for its replicas.
 *
 * Every forwarded request has a timeout (SPOOL_REQUEST_TIMEOUT_MS's role for peers,
 * `peerRequestTimeoutMs`): an unreachable or silent leader is REQUEST_TIMED_OUT or
 * NETWORK_EXCEPTION, both retriable (HTTP 503/504), never a hang.
 *
 * With authentication on, every connection logs in as the inter-broker principal
 * (SPOOL_INTER_BROKER_*) before its first request: the leader serves this node as a broker (a
 * super user); this node already checked its client's ACLs and quotas.
 *
 * The pool follows the metadata: a registered broker's advertised host and Kafka port are added
 * (updated when it registers again elsewhere), an unregistered one removed.
 */
import { BrokerClientPool, produce, type KafkaRequestSender, type BrokerTlsOptions, type SaslClientCredentials } from '@spool/broker-client';
import type { ClusterMetadata, MetadataEvent } from '@spool/cluster';
import { SpoolError } from '@spool/common';
import type { PartitionLeadership } from './partition-leadership.js';

/** Where a partition's requests go from this node. */
export type PartitionRoute = { readonly kind: 'local' } | { readonly kind: 'remote'; readonly leader: number } | { readonly kind: 'refused'; readonly error: SpoolError };

export interface ForwardedAppend {
  readonly baseOffset: number;
  /** The leader's LogAppendTime for the batch, when the topic uses it. */
  readonly logAppendTime: number | null;
}

/** What the produce path needs to send a partition's batches to its leader. */
export interface ProduceForwarding {
  route(topic: string, partition: number): PartitionRoute;
  forwardProduce(leader: number, topic: string, partition: number, batches: Buffer, acks: 'leader' | 'all'): Promise<ForwardedAppend>;
}

export const DEFAULT_PEER_REQUEST_TIMEOUT_MS = 30_000;
/** How long a forwarded produce waits for a leader that is still taking its role up (docs/cluster.md). */
const LEADERSHIP_WAIT_MS = 5_000;
const ROLE_RETRY_MS = 100;

export class PartitionRouter implements ProduceForwarding {
  private readonly pool: BrokerClientPool;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly cluster: ClusterMetadata,
    private readonly leadership: PartitionLeadership,
    readonly peerRequestTimeoutMs: number = DEFAULT_PEER_REQUEST_TIMEOUT_MS,
    /** The inter-broker login (authentication on), or null. */
    sasl: SaslClientCredentials | null = null,
    /** TLS to the other brokers (their Kafka listener is TLS), or null. */
    tls: BrokerTlsOptions | null = null,
  ) {
    this.pool = new BrokerClientPool({ clientId: `spool-broker-${cluster.brokerId}`, requestTimeoutMs: peerRequestTimeoutMs, ...(sasl !== null && { sasl }), ...(tls !== null && { tls }) });
  }

  /** Follows the registered brokers from now on. */
  start(): void {
    if (this.cluster.mode === 'local' || this.unsubscribe !== null) return;
    for (const b of this.cluster.brokers()) this.setPeer(b.brokerId);
    this.unsubscribe = this.cluster.subscribe((event) => this.onEvent(event));
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.pool.close();
  }

  /**
   * local: this node leads and holds the partition (or a single node, or a topic the cluster does
   * not know: the local store answers); remote: another live broker leads it; refused: no leader,
   * or this node leads but its copy is not open yet (retriable).
   */
  route(topic: string, partition: number): PartitionRoute {
    const refusal = this.leadership.refusal(topic, partition);
    if (refusal === null) return { kind: 'local' };
    const leader = this.leadership.leaderOf(topic, partition);
    if (refusal.code === 'NOT_LEADER_OR_FOLLOWER' && leader !== null && leader !== this.cluster.brokerId) return { kind: 'remote', leader };
    return { kind: 'refused', error: refusal };
  }

  /** A sender to `brokerId`; BROKER_NOT_AVAILABLE (retriable) if it is not registered now. */
  sender(brokerId: number): KafkaRequestSender {
    if (!this.pool.hasBroker(brokerId)) this.setPeer(brokerId);
    if (!this.pool.hasBroker(brokerId)) throw new SpoolError('LEADER_NOT_AVAILABLE', `broker ${brokerId} is not registered in the cluster right now`, { brokerId });
    return this.pool.sender(brokerId);
  }

  /**
   * Sends the batches to `leader`. A leader that answers NOT_LEADER_OR_FOLLOWER while this node's
   * metadata still names it (it is taking the role up: a topic just created, a leader just elected;
   * nothing was appended) is asked again for up to LEADERSHIP_WAIT_MS, as a web produce to this
   * node waits for its own role: a browser cannot refresh metadata the way a Kafka client does.
   */
  async forwardProduce(leader: number, topic: string, partition: number, batches: Buffer, acks: 'leader' | 'all'): Promise<ForwardedAppend> {
    const deadline = Date.now() + LEADERSHIP_WAIT_MS;
    for (;;) {
      try {
        return await this.produceOnce(leader, topic, partition, batches, acks);
      } catch (err) {
        const stillLeader = this.leadership.leaderOf(topic, partition) === leader;
        if (!(err instanceof SpoolError) || err.code !== 'NOT_LEADER_OR_FOLLOWER' || !stillLeader || Date.now() + ROLE_RETRY_MS > deadline) throw err;
        await new Promise((r) => setTimeout(r, ROLE_RETRY_MS));
      }
    }
  }

  private async produceOnce(leader: number, topic: string, partition: number, batches: Buffer, acks: 'leader' | 'all'): Promise<ForwardedAppend> {
    const result = await produce(this.sender(leader), { acks: acks === 'all' ? -1 : 1, timeoutMs: this.peerRequestTimeoutMs, partitions: [{ topic, partition, records: batches }] });
    const answered = result?.partitions[0];
    if (answered === undefined) throw new SpoolError('UNKNOWN_SERVER_ERROR', `broker ${leader} answered a produce to ${topic}-${partition} without that partition`);
    if (answered.error !== null) throw answered.error;
    return { baseOffset: answered.baseOffset!, logAppendTime: answered.logAppendTimeMs };
  }

  private onEvent(event: MetadataEvent): void {
    if (event.kind === 'broker-registered') this.setPeer(event.broker.brokerId);
    else if (event.kind === 'broker-unregistered') this.pool.removeBroker(event.broker.brokerId);
    else if (event.kind === 'resynced') for (const b of this.cluster.brokers()) this.setPeer(b.brokerId);
  }

  private setPeer(brokerId: number): void {
    if (brokerId === this.cluster.brokerId) return;
    const b = this.cluster.broker(brokerId);
    if (b !== undefined) this.pool.setBroker(brokerId, { host: b.host, port: b.kafkaPort });
  }
}
