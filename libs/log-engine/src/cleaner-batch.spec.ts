import {
  CompressionType,
  ControlRecordType,
  decodeRecordBatch,
  DELETE_HORIZON_FLAG_MASK,
  encodeEndTxnMarkerBatch,
  encodeRecordBatch,
  isControlBatch,
  isTransactionalBatch,
  readControlRecordType,
  TimestampType,
  validateRecordBatch,
} from '@spool/protocol';
import { emptyBatchFor, filterBatch, markerWithDeleteHorizon } from './cleaner-batch.js';
import { OffsetMap } from './offset-map.js';

const b = (s: string): Buffer => Buffer.from(s);
const NOW = 1_700_000_000_000;

function batch(records: { key: string | null; value: string | null; ts?: number; delta?: number }[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  return encodeRecordBatch({
    baseOffset: 100,
    producerId: 7,
    producerEpoch: 1,
    baseSequence: 3,
    partitionLeaderEpoch: 5,
    records: records.map((r, i) => ({
      key: r.key === null ? null : b(r.key),
      value: r.value === null ? null : b(r.value),
      timestamp: r.ts ?? NOW - 1000 + i,
      offsetDelta: r.delta ?? i,
      headers: [{ key: 'h', value: b(`v${i}`) }],
    })),
    ...extra,
  });
}

function mapOf(entries: [string, number][]): OffsetMap {
  const map = new OffsetMap(24 * 64);
  for (const [k, o] of entries) map.put(b(k), o);
  return map;
}

const ctx = (map: OffsetMap, now = NOW) => ({ map, now, deleteRetentionMs: 1000 });

describe('filterBatch', () => {
  it('keeps a batch byte for byte when every record is the latest', () => {
    const input = batch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    const out = filterBatch(input, ctx(mapOf([['a', 100], ['b', 101]])), false);
    expect(out.bytes).toBe(input);
    expect(out.recordsRemoved).toBe(0);
  });

  it('drops superseded and keyless records, keeping offsets, timestamps, headers and producer fields', () => {
    const input = batch([
      { key: 'a', value: '1' },
      { key: null, value: 'x' },
      { key: 'b', value: '2' },
      { key: 'a', value: '3' },
    ], { lastOffsetDelta: 9 });
    const out = filterBatch(input, ctx(mapOf([['a', 103], ['b', 500]])), false);
    expect(out.recordsRemoved).toBe(3);
    const { header, records } = decodeRecordBatch(out.bytes!);
    expect(header).toMatchObject({ baseOffset: 100, lastOffsetDelta: 9, producerId: 7, producerEpoch: 1, baseSequence: 3, partitionLeaderEpoch: 5, recordCount: 1 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ offset: 103, timestamp: NOW - 1000 + 3, key: b('a'), value: b('3') });
    expect(records[0].headers).toEqual([{ key: 'h', value: b('v3') }]);
    expect(header.maxTimestamp).toBe(NOW - 997);
  });

  it('drops a batch with nothing left, or keeps an empty one spanning the same offsets', () => {
    const input = batch([{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    const map = mapOf([['a', 999]]);
    expect(filterBatch(input, ctx(map), false).bytes).toBeNull();
    const empty = filterBatch(input, ctx(map), true).bytes!;
    const header = validateRecordBatch(empty);
    expect(header).toMatchObject({ baseOffset: 100, lastOffsetDelta: 1, recordCount: 0, producerId: 7 });
  });

  it('sets a delete horizon on a surviving tombstone, keeping record timestamps', () => {
    const input = batch([{ key: 'a', value: null, ts: NOW - 50 }, { key: 'b', value: 'x', ts: NOW - 40 }]);
    const out = filterBatch(input, ctx(mapOf([['a', 100], ['b', 101]])), false);
    expect(out.deleteHorizonMs).toBe(NOW + 1000);
    const { header, records } = decodeRecordBatch(out.bytes!);
    expect(header.attributes & DELETE_HORIZON_FLAG_MASK).not.toBe(0);
    expect(header.baseTimestamp).toBe(NOW + 1000);
    expect(header.maxTimestamp).toBe(NOW - 40);
    expect(records.map((r) => [r.offset, r.timestamp, r.value])).toEqual([[100, NOW - 50, null], [101, NOW - 40, b('x')]]);

    // Before the horizon: kept verbatim. At or after it: the tombstone goes, the horizon bit too.
    const again = filterBatch(out.bytes!, ctx(mapOf([['a', 100], ['b', 101]]), NOW + 999), false);
    expect(again.bytes).toBe(out.bytes);
    const after = filterBatch(out.bytes!, ctx(mapOf([['a', 100], ['b', 101]]), NOW + 1000), false);
    const decoded = decodeRecordBatch(after.bytes!);
    expect(decoded.records.map((r) => r.offset)).toEqual([101]);
    expect(decoded.records[0].timestamp).toBe(NOW - 40);
    expect(decoded.header.attributes & DELETE_HORIZON_FLAG_MASK).toBe(0);
    expect(after.deleteHorizonMs).toBeNull();
  });

  it('re-compresses gzip batches and keeps LogAppendTime', () => {
    const input = batch([{ key: 'a', value: '1' }, { key: 'a', value: '2' }], {
      compression: CompressionType.Gzip,
      timestampType: TimestampType.LogAppendTime,
    });
    const out = filterBatch(input, ctx(mapOf([['a', 101]])), false);
    const { header, records } = decodeRecordBatch(out.bytes!);
    expect(header.attributes & 0x07).toBe(CompressionType.Gzip);
    expect(header.attributes & 0x08).not.toBe(0);
    expect(records.map((r) => [r.offset, r.value])).toEqual([[101, b('2')]]);
  });

  it("sets a marker's delete horizon keeping it a marker (type, coordinator epoch, producer, timestamp)", () => {
    const marker = encodeEndTxnMarkerBatch({ type: ControlRecordType.Abort, coordinatorEpoch: 9, producerId: 7, producerEpoch: 2, timestamp: NOW - 5 });
    const out = markerWithDeleteHorizon(marker, NOW + 1000);
    validateRecordBatch(out);
    const { header, records } = decodeRecordBatch(out);
    expect(isControlBatch(header.attributes) && isTransactionalBatch(header.attributes)).toBe(true);
    expect(header.attributes & DELETE_HORIZON_FLAG_MASK).not.toBe(0);
    expect([header.baseTimestamp, header.producerId, header.producerEpoch]).toEqual([NOW + 1000, 7, 2]);
    expect(readControlRecordType(records[0].key)).toBe(ControlRecordType.Abort);
    expect(records[0].value).toEqual(decodeRecordBatch(marker).records[0].value);
    expect(records[0].timestamp).toBe(NOW - 5);
    expect(markerWithDeleteHorizon(out, NOW + 5000)).toBe(out); // a horizon, once set, stays
  });

  it('leaves no producer on the empty batch standing for a removed transactional batch or marker', () => {
    const txn = batch([{ key: 'a', value: '1' }], { isTransactional: true });
    const marker = encodeEndTxnMarkerBatch({ type: ControlRecordType.Commit, coordinatorEpoch: 0, producerId: 7, producerEpoch: 1 });
    for (const removed of [txn, marker]) {
      const { header, records } = decodeRecordBatch(emptyBatchFor(decodeRecordBatch(removed).header));
      expect(records).toEqual([]);
      expect([header.producerId, header.producerEpoch, header.baseSequence]).toEqual([-1, -1, -1]);
      expect(isTransactionalBatch(header.attributes) || isControlBatch(header.attributes)).toBe(false);
      expect(header.baseOffset + header.lastOffsetDelta).toBe(decodeRecordBatch(removed).header.baseOffset + decodeRecordBatch(removed).header.lastOffsetDelta);
    }
    // A plain idempotent batch keeps its producer (its sequence is still worth knowing).
    expect(decodeRecordBatch(emptyBatchFor(decodeRecordBatch(batch([{ key: 'a', value: '1' }])).header)).header.producerId).toBe(7);
  });
});
