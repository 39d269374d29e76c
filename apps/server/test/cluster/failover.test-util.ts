/**
 * Helpers for the failover tests, kept out of spool-cluster.test-util.ts so that other tests'
 * harness changes never conflict with these: an etcd reader of a cluster's partition states and
 * controller key (the ground truth the brokers act on), and a Kafka connection pool to every
 * broker of a cluster.
 */
import { BrokerClientPool } from '@spool/broker-client';
import { ClusterKeys, EtcdConnection, decodePartitionState, type PartitionState } from '@spool/cluster';
import type { SpoolCluster } from './spool-cluster.test-util.js';

/** Reads a SpoolCluster's keys straight from etcd (never through a broker). */
export class ClusterEtcdReader {
  readonly keys: ClusterKeys;
  readonly etcd: EtcdConnection;

  constructor(cluster: SpoolCluster) {
    this.keys = new ClusterKeys(cluster.clusterName);
    this.etcd = new EtcdConnection({ endpoints: [cluster.etcd.endpoint] });
  }

  /** The partition's state as the controller last wrote it, or undefined before it did. */
  async partitionState(topic: string, partition: number): Promise<PartitionState | undefined> {
    const { kv } = await this.etcd.get(this.keys.partition(topic, partition));
    return kv === null ? undefined : decodePartitionState(kv.key, kv.value, topic, partition, kv.modRevision);
  }

  /** The current controller's broker id and epoch (from the `controller` key), or undefined. */
  async controller(): Promise<{ brokerId: number; controllerEpoch: number; modRevision: number } | undefined> {
    const { kv } = await this.etcd.get(this.keys.controller());
    if (kv === null) return undefined;
    const value = JSON.parse(kv.value.toString()) as { brokerId: number; controllerEpoch: number };
    return { brokerId: value.brokerId, controllerEpoch: value.controllerEpoch, modRevision: kv.modRevision };
  }

  close(): void {
    this.etcd.close();
  }
}

/** A pool with a connection slot for every broker of the cluster (running or not). */
export function brokerPool(cluster: SpoolCluster, clientId = 'failover-e2e'): BrokerClientPool {
  const pool = new BrokerClientPool({ clientId, requestTimeoutMs: 15_000 });
  for (const b of cluster.brokers.values()) pool.setBroker(b.brokerId, { host: '127.0.0.1', port: b.kafkaPort });
  return pool;
}
