/**
 * The leader's answer to a follower's Fetch when the broker cannot look topics up at all (starting or
 * stopping): an error code per partition, not a thrown request (which closes the follower's connection).
 */
import { SpoolError } from '@spool/common';
import { KafkaErrorCode, type FetchRequest } from '@spool/protocol';
import { serveReplicaFetch } from './replica-requests.js';

function followerFetch(): FetchRequest {
  return {
    replicaId: -1,
    replicaState: { replicaId: 2, replicaEpoch: 7 },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: 3, fetchOffset: 10, lastFetchedEpoch: 3, logStartOffset: 0, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: [],
    rackId: '',
  } as unknown as FetchRequest;
}

describe('serveReplicaFetch', () => {
  it('answers every partition with the lookup error when topic ids cannot be resolved (broker starting or stopping)', async () => {
    const leaders = {
      topicNameById: () => {
        throw new SpoolError('BROKER_NOT_AVAILABLE', 'the log manager is not open (the broker is starting or stopping)');
      },
      leaderPartition: () => {
        throw new Error('not reached');
      },
    };
    const errorCodeOf = (err: unknown) => (err instanceof SpoolError && err.code === 'BROKER_NOT_AVAILABLE' ? KafkaErrorCode.BROKER_NOT_AVAILABLE : KafkaErrorCode.UNKNOWN_SERVER_ERROR);
    const response = await serveReplicaFetch(followerFetch(), 16, { leaders, errorCodeOf, signal: new AbortController().signal });
    const partitions = response.responses.flatMap((t) => t.partitions);
    expect(partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, KafkaErrorCode.BROKER_NOT_AVAILABLE],
      [1, KafkaErrorCode.BROKER_NOT_AVAILABLE],
    ]);
  });
});
