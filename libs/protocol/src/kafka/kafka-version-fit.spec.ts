import { FETCH_REQUEST_CODEC, type FetchRequest } from './generated/fetch-request.js';
import { encodeKafkaMessage, decodeKafkaMessage } from './kafka-api-registry.js';
import { fitToVersion } from './kafka-version-fit.js';

function newestFetch(): FetchRequest {
  return {
    ...FETCH_REQUEST_CODEC.defaults(),
    replicaId: 3,
    replicaState: { replicaId: 3, replicaEpoch: 7 },
    maxWaitMs: 500,
    minBytes: 1,
    isolationLevel: 1,
    rackId: 'rack-a',
    topics: [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...partition(), currentLeaderEpoch: 4, lastFetchedEpoch: 3 }] }],
  };
}

function partition() {
  return { partition: 2, currentLeaderEpoch: -1, fetchOffset: 10, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' };
}

describe('fitToVersion', () => {
  it('resets, recursively, the fields a version lacks so the strict writer accepts the value', () => {
    const value = newestFetch();
    // Unfitted, v4 cannot carry replicaState (v15+) nor lastFetchedEpoch (v12+), non-ignorable fields.
    expect(() => encodeKafkaMessage(FETCH_REQUEST_CODEC, value, 4)).toThrow(/non-default value, but version 4 cannot carry it/);
    const fitted = fitToVersion(FETCH_REQUEST_CODEC.schema, value, 4);
    const decoded = decodeKafkaMessage(FETCH_REQUEST_CODEC, encodeKafkaMessage(FETCH_REQUEST_CODEC, fitted, 4), 4);
    expect(decoded.replicaId).toBe(3);
    expect(decoded.isolationLevel).toBe(1);
    expect(decoded.rackId).toBe('');
    expect(decoded.topics[0].partitions[0]).toMatchObject({ partition: 2, fetchOffset: 10, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
  });

  it('keeps every field the version carries and does not mutate its input', () => {
    const value = newestFetch();
    const before = JSON.stringify(value);
    const fitted = fitToVersion(FETCH_REQUEST_CODEC.schema, value, 12);
    expect(JSON.stringify(value)).toBe(before);
    expect(fitted.topics[0].partitions[0]).toMatchObject({ currentLeaderEpoch: 4, lastFetchedEpoch: 3 });
    expect(fitted.rackId).toBe('rack-a');
    expect(decodeKafkaMessage(FETCH_REQUEST_CODEC, encodeKafkaMessage(FETCH_REQUEST_CODEC, fitted, 12), 12).topics[0].topic).toBe('orders');
  });
});
