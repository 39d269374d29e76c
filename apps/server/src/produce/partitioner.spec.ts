import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { murmur2, partitionForKey, StickyPartitionCounter, toPositive } from './partitioner.js';

// kafkajs's DefaultPartitioner is the Java-compatible murmur2 one (its "legacy" one is not):
// an implementation nobody here wrote, used as the independent reference.
const reference = kafkajs.Partitioners.DefaultPartitioner();
const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
const kafkajsPartition = (key: Buffer, count: number): number =>
  reference({ topic: 't', partitionMetadata: metadata(count), message: { key, value: null } });

describe('murmur2 partitioner', () => {
  it('matches published Kafka vectors (Java Utils.murmur2 on UTF-8 strings)', () => {
    // From Kafka's UtilsTest.testMurmur2: "21" -> -973932308, "foobar" -> -790332482,
    // "a-little-bit-long-string" -> -985981536, "a-little-bit-longer-string" -> -1486304829,
    // "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8" -> -58897971, "abc" -> 479470107.
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('agrees with kafkajs DefaultPartitioner on every tail length and partition count', () => {
    for (let len = 0; len <= 17; len++) {
      const key = Buffer.alloc(len, 0xa5 + len);
      for (const count of [1, 2, 3, 7, 12, 100]) {
        expect([len, count, partitionForKey(key, count)]).toEqual([len, count, kafkajsPartition(key, count)]);
      }
    }
  });

  it('agrees with kafkajs DefaultPartitioner on random keys (seeded)', () => {
    const seed = 20260503;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (bytes, count) => {
        const key = Buffer.from(bytes);
        expect(partitionForKey(key, count)).toBe(kafkajsPartition(key, count));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('toPositive masks the sign bit, as Kafka does (not Math.abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });

  it('refuses a non-positive partition count', () => {
    expect(() => partitionForKey(Buffer.from('k'), 0)).toThrow(RangeError);
  });
});

describe('StickyPartitionCounter', () => {
  it('moves round robin per topic, starting from the seed', () => {
    const counter = new StickyPartitionCounter(() => 2);
    expect([0, 1, 2, 3].map(() => counter.next('a', 3))).toEqual([2, 0, 1, 2]);
    expect(counter.next('b', 3)).toBe(2);
    counter.forget('a');
    expect(counter.next('a', 3)).toBe(2);
  });
});
