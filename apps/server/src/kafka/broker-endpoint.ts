/**
 * Where clients reach this broker over Kafka's protocol: filled in once the listener is bound
 * (the port may be chosen by the OS), read by Metadata, FindCoordinator and DescribeCluster.
 *
 * `brokers()` is the one place the broker list comes from: what Metadata and DescribeCluster
 * answer and which broker ids CreateTopics and CreatePartitions assignments may name. A single
 * node lists itself; running as a cluster replaces this list, not its readers.
 */
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
  ) {}

  /** Every broker of the cluster, this one included, by ascending node id. */
  brokers(): ClusterBroker[] {
    return [{ nodeId: this.nodeId, host: this.host, port: this.port, rack: null }];
  }

  /** The node that answers as controller (DescribeCluster, Metadata). */
  get controllerId(): number {
    return this.nodeId;
  }
}
