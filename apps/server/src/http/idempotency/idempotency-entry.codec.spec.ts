import fc from 'fast-check';
import type { ProduceResult } from '../../produce/produce.service.js';
import { decodeIdempotencyEntry, decodeIdempotencyKey, encodeIdempotencyEntry, encodeIdempotencyKey, type IdempotencyEntry } from './idempotency-entry.codec.js';

const SEED = Number(process.env.SPOOL_TEST_SEED ?? 1010);
const FINGERPRINT = Buffer.alloc(32, 7);
const error = { code: 'KAFKA_STORAGE_ERROR', message: 'disk gone', retriable: true };

function entry(results: ProduceResult[]): IdempotencyEntry {
  return { createdAtMs: 1_700_000_000_000, topicId: 'b4f5a0e2-5d0c-4c39-9d1f-2f6c1f0f4e11', fingerprint: FINGERPRINT, results };
}

describe('__idempotency_keys record formats', () => {
  it('encodes the key as version, topic and Idempotency-Key', () => {
    const key = encodeIdempotencyKey('orders', 'k-1');
    expect(key.toString('hex')).toBe('00' + '0c' + Buffer.from('orders').toString('hex') + '06' + Buffer.from('k-1').toString('hex'));
    expect(decodeIdempotencyKey(key)).toEqual({ topic: 'orders', idempotencyKey: 'k-1' });
  });

  it('stores a one-partition answer as one run, whatever its size', () => {
    const results = Array.from({ length: 10_000 }, (_, i) => ({ partition: 2, offset: 500 + i, timestamp: 1_700_000_000_000 }));
    const bytes = encodeIdempotencyEntry(entry(results));
    expect(bytes.length).toBeLessThan(100);
    expect(decodeIdempotencyEntry(bytes, 10_000).results).toEqual(results);
  });

  it('round-trips appended, failed and accepted records in request order', () => {
    const results: ProduceResult[] = [
      { partition: 0, offset: 10, timestamp: 5 },
      { partition: 1, error },
      { partition: 0, offset: 11, timestamp: 5 },
      { partition: 1, error: { ...error } },
      { partition: 0, offset: 12, timestamp: 6 },
    ];
    const decoded = decodeIdempotencyEntry(encodeIdempotencyEntry(entry(results)), 100);
    expect(decoded).toEqual(entry(results));
    const accepted = [{ partition: 3 }, { partition: 3 }, { partition: 1 }];
    expect(decodeIdempotencyEntry(encodeIdempotencyEntry(entry(accepted)), 100).results).toEqual(accepted);
  });

  it('round-trips any answer (fast-check, seeded)', () => {
    const result = fc.oneof(
      fc.record({ partition: fc.nat(8), offset: fc.nat(2 ** 40), timestamp: fc.nat(2 ** 42) }),
      fc.record({ partition: fc.nat(8), error: fc.constantFrom(error, { code: 'NOT_ENOUGH_REPLICAS', message: 'x', retriable: true, details: { topic: 't' } }) }),
      fc.record({ partition: fc.nat(8) }),
    );
    fc.assert(
      fc.property(fc.array(result, { maxLength: 60 }), (results) => {
        expect(decodeIdempotencyEntry(encodeIdempotencyEntry(entry(results)), 60).results).toEqual(results);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('refuses every truncation and a run count or record count beyond the bounds, without crashing', () => {
    const bytes = encodeIdempotencyEntry(entry([{ partition: 0, offset: 1, timestamp: 2 }, { partition: 1, error }]));
    for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeIdempotencyEntry(bytes.subarray(0, cut), 100)).toThrow();
    expect(() => decodeIdempotencyEntry(bytes, 1)).toThrow(/limit 1/);
    const huge = encodeIdempotencyEntry(entry(Array.from({ length: 50 }, (_, i) => ({ partition: 0, offset: i, timestamp: 1 }))));
    expect(() => decodeIdempotencyEntry(huge, 49)).toThrow(/limit 49/);
    expect(() => decodeIdempotencyEntry(Buffer.from([1, 0]), 10)).toThrow(/version 1/);
  });
});
