/**
 * The fetchers of one broker, one per source broker (Kafka's ReplicaFetcherManager with
 * num.replica.fetchers = 1): a partition is fetched by exactly one fetcher, the one of its
 * current leader. Moving a partition to another leader removes it from the old fetcher (and
 * waits for its writes to stop) before adding it to the new one, so a log never has two writers.
 * A fetcher left with no partitions is closed.
 */
import type { Logger } from '@spool/common';
import type { KafkaRequestSender } from '@spool/broker-client';
import { performance } from 'node:perf_hooks';
import { ReplicaFetcher, type FetcherPartitionInit, type FetcherPartitionState } from './replica-fetcher.js';
import { ReplicaThrottle, ReplicationQuota } from './replication-quota.js';
import type { ReplicationConfig } from './replication-config.js';

export interface ReplicaFetcherManagerOptions {
  readonly brokerId: number;
  readonly brokerEpoch: () => number;
  /** Requests to a broker (BrokerClientPool.sender). */
  readonly senderFor: (brokerId: number) => KafkaRequestSender;
  readonly config: ReplicationConfig;
  readonly logger: Logger;
  readonly onHighWatermark?: (topic: string, partition: number, highWatermark: number) => void;
  /**
   * Which replicas the broker's follower.replication.throttled.rate (config) applies to: the
   * partitions a reassignment is adding this broker to. Asked on every fetch.
   */
  readonly isThrottled?: (topic: string, partition: number) => boolean;
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which source broker each partition is fetched from. */
  private readonly sourceOf = new Map<string, number>();
  /** Fetchers left with no partitions, still ending their loops. */
  private readonly closing = new Set<Promise<void>>();

  /** One quota for the broker, shared by its fetchers (Kafka's is per broker too). */
  private readonly throttle: ReplicaThrottle | undefined;

  constructor(private readonly opts: ReplicaFetcherManagerOptions) {
    const rate = opts.config.followerReplicationThrottledRate;
    this.throttle = rate === undefined ? undefined : new ReplicaThrottle(new ReplicationQuota(rate, () => performance.now()), opts.isThrottled ?? (() => false));
  }

  /** Follow `init` from `sourceBrokerId` (its leader), moving it off any other fetcher first. */
  async addPartition(sourceBrokerId: number, init: FetcherPartitionInit): Promise<void> {
    const k = `${init.topic}\u0000${init.partition}`;
    const previous = this.sourceOf.get(k);
    if (previous !== undefined && previous !== sourceBrokerId) await this.removePartition(init.topic, init.partition);
    let fetcher = this.fetchers.get(sourceBrokerId);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher({
        brokerId: this.opts.brokerId,
        brokerEpoch: this.opts.brokerEpoch,
        sourceBrokerId,
        sender: this.opts.senderFor(sourceBrokerId),
        config: this.opts.config,
        logger: this.opts.logger,
        ...(this.opts.onHighWatermark ? { onHighWatermark: this.opts.onHighWatermark } : {}),
        ...(this.throttle !== undefined ? { throttle: this.throttle } : {}),
      });
      this.fetchers.set(sourceBrokerId, fetcher);
      fetcher.start();
    }
    this.sourceOf.set(k, sourceBrokerId);
    fetcher.addPartitions([init]);
  }

  /** Stop following the partition; resolves once its log is no longer written by a fetcher. */
  async removePartition(topic: string, partition: number): Promise<void> {
    const k = `${topic}\u0000${partition}`;
    const source = this.sourceOf.get(k);
    if (source === undefined) return;
    this.sourceOf.delete(k);
    const fetcher = this.fetchers.get(source);
    if (fetcher === undefined) return;
    await fetcher.removePartitions([{ topic, partition }]);
    if (fetcher.size === 0 && this.fetchers.get(source) === fetcher) {
      this.fetchers.delete(source);
      // Its writes have stopped (removePartitions): the caller need not wait for the loop to end too
      // (a request to a dead leader being given up), which would delay the new leader's take-over.
      const closing = fetcher.close();
      this.closing.add(closing);
      void closing.finally(() => this.closing.delete(closing));
    }
  }

  /** The source broker a partition is fetched from, if followed. */
  sourceBrokerOf(topic: string, partition: number): number | undefined {
    return this.sourceOf.get(`${topic}\u0000${partition}`);
  }

  partitionStates(): (FetcherPartitionState & { sourceBrokerId: number })[] {
    return [...this.fetchers.values()].flatMap((f) => f.partitionStates().map((s) => ({ ...s, sourceBrokerId: f.sourceBrokerId })));
  }

  async close(): Promise<void> {
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.sourceOf.clear();
    await Promise.all([...all.map((f) => f.close()), ...this.closing]);
  }
}
