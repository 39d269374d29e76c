import fc from 'fast-check';
import { ClusterError } from './cluster.error.js';
import { assignNewPartitions, assignReplicas, validateAssignment } from './placement.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ClusterError ? err.code : `not a ClusterError: ${String(err)}`;
  }
  return undefined;
}

describe('assignReplicas (Kafka rack-unaware placement)', () => {
  it('reproduces the table of AdminUtils for 5 brokers, 10 partitions, 3 replicas, start 0, shift 0', () => {
    // Kafka's documentation of assignReplicasToBrokers, read per partition:
    // p0..p4 lead on brokers 0..4; second replicas p4 p0 p1 p2 p3 / p8 p9 p5 p6 p7 on brokers 0..4.
    const assignment = assignReplicas({ brokers: [0, 1, 2, 3, 4], partitions: 10, replicationFactor: 3, startIndex: 0, replicaShift: 0 });
    expect(assignment).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('places on the sorted broker ids, whatever order they come in', () => {
    const a = assignReplicas({ brokers: [30, 10, 20], partitions: 3, replicationFactor: 2, startIndex: 1, replicaShift: 0 });
    expect(a).toEqual([
      [20, 30],
      [30, 10],
      [10, 20],
    ]);
  });

  it('balances leaders, never repeats a broker in a partition, and spreads followers (random starts)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 }), (n, partitions, rfRaw, seed) => {
        const rf = Math.min(rfRaw, n);
        const brokers = Array.from({ length: n }, (_, i) => i * 3 + 1);
        let s = seed;
        const random = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const a = assignReplicas({ brokers, partitions, replicationFactor: rf, random });
        expect(a).toHaveLength(partitions);
        const leaders = new Map<number, number>();
        for (const replicas of a) {
          expect(replicas).toHaveLength(rf);
          expect(new Set(replicas).size).toBe(rf);
          for (const b of replicas) expect(brokers).toContain(b);
          leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
        }
        const counts = brokers.map((b) => leaders.get(b) ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { seed: 1107, numRuns: 300 },
    );
  });

  it('moves the follower pattern on each wrap, so one broker\'s followers are not always its neighbour', () => {
    const a = assignReplicas({ brokers: [0, 1, 2, 3], partitions: 8, replicationFactor: 2, startIndex: 0, replicaShift: 0 });
    const followersOfBroker0 = a.filter((r) => r[0] === 0).map((r) => r[1]);
    expect(followersOfBroker0).toEqual([1, 2]);
  });

  it('refuses a replication factor above the live brokers, below 1, and a partition count below 1', () => {
    expect(codeOf(() => assignReplicas({ brokers: [1, 2], partitions: 3, replicationFactor: 3 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => assignReplicas({ brokers: [], partitions: 3, replicationFactor: 1 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => assignReplicas({ brokers: [1, 2], partitions: 3, replicationFactor: 0 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => assignReplicas({ brokers: [1, 2], partitions: 0, replicationFactor: 1 }))).toBe('INVALID_PARTITIONS');
  });

  it('grows a topic continuing its leaders\' round robin from partition 0\'s leader (Kafka createPartitions)', () => {
    const brokers = [1, 2, 3, 4, 5];
    const all = assignReplicas({ brokers, partitions: 12, replicationFactor: 3, startIndex: 2, replicaShift: 2 });
    const grown = assignNewPartitions(all.slice(0, 7), brokers, 5);
    expect(grown.map((r) => r[0])).toEqual(all.slice(7).map((r) => r[0]));
    expect(grown.every((r) => r.length === 3 && new Set(r).size === 3)).toBe(true);
  });

  it('grows with partition 0\'s replication factor', () => {
    const grown = assignNewPartitions([[2, 3], [3, 1]], [1, 2, 3], 2);
    expect(grown.every((r) => r.length === 2)).toBe(true);
    expect(codeOf(() => assignNewPartitions([[2, 3, 1]], [1, 2], 1))).toBe('INVALID_REPLICATION_FACTOR');
  });
});

describe('validateAssignment', () => {
  const registered = (b: number): boolean => [1, 2, 3].includes(b);

  it('accepts a consistent assignment of registered brokers', () => {
    expect(() => validateAssignment([[1, 2], [2, 3], [3, 1]], registered)).not.toThrow();
  });

  it.each([
    ['an empty replica list', [[1, 2], []]],
    ['a repeated broker', [[1, 1]]],
    ['an unknown broker', [[1, 9]]],
    ['unequal replica counts', [[1, 2], [3]]],
    ['a negative id', [[-1]]],
  ])('refuses %s with INVALID_REPLICA_ASSIGNMENT', (_what, assignment) => {
    expect(codeOf(() => validateAssignment(assignment, registered))).toBe('INVALID_REPLICA_ASSIGNMENT');
  });

  it('holds new partitions to the topic\'s replication factor', () => {
    expect(codeOf(() => validateAssignment([[1]], registered, { firstPartition: 3, replicationFactor: 2 }))).toBe('INVALID_REPLICA_ASSIGNMENT');
  });
});
