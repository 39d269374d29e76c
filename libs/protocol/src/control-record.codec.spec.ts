import {
  ControlRecordType,
  decodeRecordBatch,
  encodeEndTxnMarkerBatch,
  isControlBatch,
  isTransactionalBatch,
  readControlRecordType,
  readEndTxnMarker,
  validateRecordBatch,
} from './index.js';

describe('transaction marker control batches', () => {
  it('encodes Kafka’s layout: control + transactional bits, baseSequence -1, key [0,type] and value [0,epoch]', () => {
    const batch = encodeEndTxnMarkerBatch({ type: ControlRecordType.Commit, coordinatorEpoch: 7, producerId: 4242, producerEpoch: 3, timestamp: 1_700_000_000_000 });
    const header = validateRecordBatch(batch, 0);
    expect(isControlBatch(header.attributes)).toBe(true);
    expect(isTransactionalBatch(header.attributes)).toBe(true);
    expect(header).toMatchObject({ producerId: 4242, producerEpoch: 3, baseSequence: -1, recordCount: 1, lastOffsetDelta: 0, maxTimestamp: 1_700_000_000_000 });
    const { records } = decodeRecordBatch(batch);
    expect([...records[0].key!]).toEqual([0, 0, 0, 1]);
    expect([...records[0].value!]).toEqual([0, 0, 0, 0, 0, 7]);
    expect(readEndTxnMarker(records[0].key, records[0].value)).toEqual({ type: ControlRecordType.Commit, coordinatorEpoch: 7 });
  });

  it('an abort marker reads back as ABORT', () => {
    const { records } = decodeRecordBatch(encodeEndTxnMarkerBatch({ type: ControlRecordType.Abort, coordinatorEpoch: 0, producerId: 1, producerEpoch: 0 }));
    expect(readControlRecordType(records[0].key)).toBe(ControlRecordType.Abort);
  });

  it('refuses unknown versions and types, short keys and values', () => {
    expect(() => readControlRecordType(Buffer.from([0, 1, 0, 1]))).toThrow(/key version 1/);
    expect(() => readControlRecordType(Buffer.from([0, 0, 0, 5]))).toThrow(/control record type 5/);
    expect(() => readControlRecordType(Buffer.from([0, 0]))).toThrow(/needs 4 bytes/);
    expect(() => readEndTxnMarker(Buffer.from([0, 0, 0, 0]), null)).toThrow(/needs 6 bytes/);
    expect(() => encodeEndTxnMarkerBatch({ type: 3 as ControlRecordType, coordinatorEpoch: 0, producerId: 1, producerEpoch: 0 })).toThrow(/ABORT \(0\) or COMMIT \(1\)/);
  });
});
