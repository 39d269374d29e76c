/**
 * Where clients reach this broker over Kafka's protocol: filled in once the listener is bound
 * (the port may be chosen by the OS), read by Metadata, FindCoordinator and DescribeCluster.
 *
 * `brokers()` is the one place the broker list comes from: what Metadata and DescribeCluster
 * answer and which broker ids CreateTopics and CreatePartitions assignments may name. A single
 * node lists itself; in cluster mode the list is the live brokers registered in etcd (each with
 * its advertised host and Kafka port) and the controller is the elected one (-1 during an election).
 */
import type { ClusterMetadata } from '@spool/cluster';

export interface ClusterBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export class BrokerEndpoint {
  port = 0;

  constructor(
    readonly nodeId: number,
    readonly host: string,
    /** Cluster mode's metadata; null (or a single node's) lists this node alone. */
    private readonly cluster: ClusterMetadata | null = null,
  ) {}

  /** Every live broker of the cluster, this one included, by ascending node id. */
  brokers(): ClusterBroker[] {
    if (this.cluster === null || this.cluster.mode === 'local') return [{ nodeId: this.nodeId, host: this.host, port: this.port, rack: null }];
    return this.cluster
      .brokers()
      .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.kafkaPort, rack: b.rack }))
      .sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Kafka's cluster id from etcd in cluster mode; null on a single node (Metadata names it SPOOL_CLUSTER_ID). */
  get clusterId(): string | null {
    return this.cluster === null || this.cluster.mode === 'local' ? null : this.cluster.clusterId();
  }

  /** The node that answers as controller (DescribeCluster, Metadata); -1 while a cluster elects one. */
  get controllerId(): number {
    if (this.cluster === null || this.cluster.mode === 'local') return this.nodeId;
    return this.cluster.controller()?.brokerId ?? -1;
  }
}
