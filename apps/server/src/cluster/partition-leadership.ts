/**
 * Whether this broker may serve a partition to clients: Kafka's rule that only the leader takes
 * produce and consumer fetches. Produce, Fetch and ListOffsets ask before touching a log; every
 * other broker's copy of a partition it does not lead is empty or behind (TopicSync keeps a local
 * copy of every topic), so serving it would lose or hide records.
 *
 * A single node leads everything: `refusal` is always null and nothing changes there.
 * In cluster mode the answer comes from the metadata (cached from etcd):
 *   - topic or partition unknown to the cluster: null (the local store answers
 *     UNKNOWN_TOPIC_OR_PARTITION, or serves a node-local topic), except while the broker is still
 *     joining (no metadata yet): then a topic that is not internal is NOT_LEADER_OR_FOLLOWER, as the
 *     broker cannot know who leads it;
 *   - partition state not written yet, or no leader (offline): LEADER_NOT_AVAILABLE;
 *   - another broker leads: NOT_LEADER_OR_FOLLOWER, naming it, so clients refresh their metadata;
 *   - this broker leads but its local copy is not there yet (the topic event is being applied):
 *     NOT_LEADER_OR_FOLLOWER too; both are retriable, and clients retry.
 */
import type { ClusterMetadata } from '@spool/cluster';
import { SpoolError } from '@spool/common';
import { isInternalTopic } from '@spool/log-engine';
import type { PartitionGate } from './partition-gate.js';
import type { TopicSync } from './topic-sync.js';

export class PartitionLeadership implements PartitionGate {
  constructor(
    private readonly cluster: ClusterMetadata,
    private readonly sync: () => TopicSync | null,
  ) {}

  /** A SpoolError to answer instead of serving `topic`-`partition` here, or null to serve it. */
  refusal(topic: string, partition: number): SpoolError | null {
    if (this.cluster.mode === 'local') return null;
    const record = this.cluster.topic(topic);
    if (record === undefined && this.sync() === null && !isInternalTopic(topic)) {
      return new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${this.cluster.brokerId} is joining the cluster and does not know who leads ${topic}-${partition} yet; retry`, { topic, partition });
    }
    if (record === undefined || !Number.isInteger(partition) || partition < 0 || partition >= record.partitions) return null;
    const state = this.cluster.partition(topic, partition);
    if (state === undefined) {
      return new SpoolError('LEADER_NOT_AVAILABLE', `partition ${topic}-${partition} has no state in the cluster yet (the controller creates it)`, { topic, partition });
    }
    if (state.leader === null) {
      return new SpoolError('LEADER_NOT_AVAILABLE', `partition ${topic}-${partition} has no leader: none of its in-sync replicas ${state.isr.join(',')} is alive`, { topic, partition });
    }
    if (state.leader !== this.cluster.brokerId) {
      const leader = this.cluster.broker(state.leader);
      const where = leader === undefined ? '' : ` at ${leader.host}:${leader.kafkaPort}`;
      return new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${this.cluster.brokerId} does not lead ${topic}-${partition}; broker ${state.leader}${where} does`, { topic, partition, leader: state.leader });
    }
    if (this.sync()?.isLocal(topic, partition) !== true) {
      return new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${this.cluster.brokerId} leads ${topic}-${partition} but is still opening its log; retry`, { topic, partition });
    }
    return null;
  }

  /** The partition's leader epoch from the cluster metadata; undefined on a single node or before the controller writes its state. */
  leaderEpoch(topic: string, partition: number): number | undefined {
    if (this.cluster.mode === 'local') return undefined;
    return this.cluster.partition(topic, partition)?.leaderEpoch;
  }

  /** The leader's broker id, or null when the partition has none or is unknown (single node: this broker). */
  leaderOf(topic: string, partition: number): number | null {
    if (this.cluster.mode === 'local') return this.cluster.brokerId;
    return this.cluster.partition(topic, partition)?.leader ?? null;
  }
}
