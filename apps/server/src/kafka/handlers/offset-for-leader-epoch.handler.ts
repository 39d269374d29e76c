/**
 * OffsetForLeaderEpoch (apiKey 23, v2-4; KIP-101, KIP-279): for each partition, the largest
 * leader epoch <= the requested one that the leader's log has, and the offset where it ends (the
 * next epoch's start, or the log end for the latest), or UNDEFINED_EPOCH_OFFSET (-1, -1). A
 * follower asks it before fetching, to truncate a divergent tail; consumers (KIP-320) to check
 * their position after a leader change.
 *
 * In cluster mode only the leader answers (ReplicationService's lookup; NOT_LEADER_OR_FOLLOWER
 * elsewhere) after checking the asker's current leader epoch (FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer). A single node leads every partition, its epoch being the
 * log's latest (0 before any).
 */
import { SpoolError } from '@spool/common';
import { KafkaApiKey, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '@spool/protocol';
import type { EpochEndOffset, LogManager } from '@spool/log-engine';
import { serveOffsetForLeaderEpoch, type LeaderLookup } from '@spool/replication';
import { kafkaErrorOf } from '../kafka-error-code.js';
import type { KafkaApiHandler } from '../kafka-handler.js';

export class OffsetForLeaderEpochHandler implements KafkaApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
  readonly apiKey = KafkaApiKey.OffsetForLeaderEpoch;

  constructor(
    private readonly logManager: LogManager,
    /** Cluster mode: the partitions this broker leads; null on a single node. */
    private readonly replicas: () => LeaderLookup | null = () => null,
  ) {}

  async handle(request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    const lookup = this.replicas();
    return serveOffsetForLeaderEpoch(
      request,
      (topic, partition, currentLeaderEpoch, leaderEpoch) =>
        lookup !== null ? lookup.leaderPartition(topic, partition).lastOffsetForLeaderEpoch(currentLeaderEpoch, leaderEpoch) : this.singleNode(topic, partition, currentLeaderEpoch, leaderEpoch),
      (err) => kafkaErrorOf(err).errorCode,
    );
  }

  private singleNode(topic: string, partition: number, currentLeaderEpoch: number | null, leaderEpoch: number): EpochEndOffset | null {
    const log = this.logManager.getLog(topic, partition);
    const current = log.replication.latestEpoch ?? 0;
    if (currentLeaderEpoch !== null && currentLeaderEpoch < current) {
      throw new SpoolError('FENCED_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is older than ${topic}-${partition}'s ${current}`);
    }
    if (currentLeaderEpoch !== null && currentLeaderEpoch > current) {
      throw new SpoolError('UNKNOWN_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is newer than ${topic}-${partition}'s ${current}`);
    }
    return log.replication.endOffsetForEpoch(leaderEpoch);
  }
}
