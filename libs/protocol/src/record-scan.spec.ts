import fc from 'fast-check';
import { ProtocolError } from './protocol.error.js';
import { RECORD_BATCH_OVERHEAD, RECORD_COUNT_OFFSET, writeRecordBatchCrc } from './record-batch-header.js';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch.codec.js';
import { scanRecords, summarizeRecords, type RecordsSummary } from './record-scan.js';

const SEED = Number(process.env.FC_SEED ?? 4242);
const T0 = 1_700_000_000_000;

interface Seen {
  index: number;
  timestampDelta: number;
  offsetDelta: number;
  hasKey: boolean;
}

function scan(batch: Buffer, count = batch.readInt32BE(RECORD_COUNT_OFFSET)): Seen[] {
  const seen: Seen[] = [];
  scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, count, (index, timestampDelta, offsetDelta, hasKey) => seen.push({ index, timestampDelta, offsetDelta, hasKey }));
  return seen;
}

function scanError(batch: Buffer, count?: number): ProtocolError {
  try {
    scan(batch, count);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw new Error(`not a ProtocolError: ${String(err)}`, { cause: err });
  }
  throw new Error('the scan accepted the bytes');
}

const batch = encodeRecordBatch({
  records: [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
    { key: null, value: Buffer.from('v2'), timestamp: T0 - 300, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }] },
    { key: Buffer.from('k3'), value: null, timestamp: T0 + 1_000_000_000 },
  ],
});

describe('scanRecords', () => {
  it('visits every record with its deltas and whether it has a key', () => {
    expect(scan(batch)).toEqual([
      { index: 0, timestampDelta: 0, offsetDelta: 0, hasKey: true },
      { index: 1, timestampDelta: -300, offsetDelta: 1, hasKey: false },
      { index: 2, timestampDelta: 1_000_000_000, offsetDelta: 2, hasKey: true },
    ]);
  });

  it('agrees with the decoder on any batch the encoder writes', () => {
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
        const encoded = encodeRecordBatch({ records });
        const decoded = decodeRecordBatch(encoded);
        const seen = scan(encoded);
        expect(seen.map((s) => decoded.header.baseTimestamp + s.timestampDelta)).toEqual(decoded.records.map((r) => r.timestamp));
        expect(seen.map((s) => s.offsetDelta)).toEqual(decoded.records.map((r) => r.offset));
        expect(seen.map((s) => s.hasKey)).toEqual(decoded.records.map((r) => r.key !== null));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('refuses a batch that declares more records than its bytes hold, and bytes after the last record', () => {
    expect(scanError(batch, 4)).toMatchObject({ code: 'INVALID_RECORD', details: { recordIndex: 3 } });
    expect(scanError(batch, 2)).toMatchObject({ code: 'INVALID_RECORD', details: { recordIndex: 2 } });
    expect(scanError(batch, 2).message).toMatch(/bytes follow the 2 records/);
  });

  it('refuses every truncation of the records, naming the record it cut', () => {
    for (let end = RECORD_BATCH_OVERHEAD; end < batch.length; end++) {
      const err = scanError(batch.subarray(0, end));
      expect(err.code).toBe('INVALID_RECORD');
      expect(err.details.recordIndex).toBeGreaterThanOrEqual(0);
      expect(err.details.recordIndex).toBeLessThan(3);
    }
  });

  it('refuses a negative header key length (Kafka: invalid negative header key size)', () => {
    const one = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: T0, headers: [{ key: 'h', value: null }] }] });
    // record: length, attributes, tsDelta, offsetDelta, keyLength -1, valueLength -1, headerCount 1, headerKeyLength 1 ('h')...
    const headerKeyLength = RECORD_BATCH_OVERHEAD + 7;
    expect(one[headerKeyLength]).toBe(2); // zigzag(1)
    const damaged = Buffer.from(one);
    damaged[headerKeyLength] = 1; // zigzag(-1)
    expect(scanError(damaged).message).toMatch(/header key length -1/);
  });

  it('ends every single-byte corruption in success or INVALID_RECORD, and accepts whatever the decoder accepts', () => {
    for (let pos = RECORD_BATCH_OVERHEAD; pos < batch.length; pos++) {
      for (const value of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
        const damaged = Buffer.from(batch);
        damaged[pos] = value;
        // As produced: the CRC matches the damaged bytes (the decoder checks it first).
        writeRecordBatchCrc(damaged, 0);
        let decoded = true;
        try {
          decodeRecordBatch(damaged, 0);
        } catch {
          decoded = false;
        }
        try {
          scan(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe('INVALID_RECORD');
          expect(decoded).toBe(false);
        }
      }
    }
  });
});

/** What summarizeRecords must report, computed from scanRecords' visits; null when scanRecords rejects the bytes. */
function expectedSummary(batch: Buffer, count = batch.readInt32BE(RECORD_COUNT_OFFSET)): RecordsSummary | null {
  let seen: Seen[];
  try {
    seen = scan(batch, count);
  } catch {
    return null;
  }
  return {
    minTimestampDelta: Math.min(...seen.map((s) => s.timestampDelta)),
    maxTimestampDelta: Math.max(...seen.map((s) => s.timestampDelta)),
    offsetDeltasInOrder: seen.every((s) => s.offsetDelta === s.index),
    allHaveKeys: seen.every((s) => s.hasKey),
  };
}

function summarize(batch: Buffer, count = batch.readInt32BE(RECORD_COUNT_OFFSET)): RecordsSummary | null {
  const out: RecordsSummary = { minTimestampDelta: 0, maxTimestampDelta: 0, offsetDeltasInOrder: false, allHaveKeys: false };
  return summarizeRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, count, out) ? out : null;
}

describe('summarizeRecords (the fast path)', () => {
  const near = encodeRecordBatch({
    records: [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
      { key: null, value: Buffer.from('v2'), timestamp: T0 - 300, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }] },
      { key: Buffer.from('k3'), value: Buffer.alloc(300), timestamp: T0 + 1_000_000 },
    ],
  });

  it('reports the aggregates of the records it accepts', () => {
    expect(summarize(near)).toEqual({ minTimestampDelta: -300, maxTimestampDelta: 1_000_000, offsetDeltasInOrder: true, allHaveKeys: false });
    expect(summarize(batch)).toBeNull(); // a delta of 10^9 ms takes 5 varint bytes: scanRecords' job
  });

  it('accepts only what scanRecords accepts, with the same aggregates, on any batch the encoder writes', () => {
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 20_000 }), { nil: null }),
      timestamp: fc.integer({ min: T0 - 2 ** 30, max: T0 + 2 ** 40 }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 70 }), value: fc.option(fc.uint8Array({ maxLength: 70 }), { nil: null }) }), { maxLength: 3 }),
    });
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 12 }), (records) => {
        const encoded = encodeRecordBatch({ records });
        const fast = summarize(encoded);
        if (fast !== null) {
          accepted++;
          expect(fast).toEqual(expectedSummary(encoded));
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(30); // the fast path does take ordinary batches
  });

  it('never accepts a truncation, a wrong record count or a single-byte corruption that scanRecords refuses', () => {
    for (let end = RECORD_BATCH_OVERHEAD; end < near.length; end++) expect(summarize(near.subarray(0, end))).toBeNull();
    expect(summarize(near, 2)).toBeNull();
    expect(summarize(near, 4)).toBeNull();
    let accepted = 0;
    for (let pos = RECORD_BATCH_OVERHEAD; pos < near.length; pos++) {
      for (const value of [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff]) {
        const damaged = Buffer.from(near);
        damaged[pos] = value;
        const fast = summarize(damaged);
        if (fast !== null) {
          accepted++;
          expect(fast).toEqual(expectedSummary(damaged));
        }
      }
    }
    expect(accepted).toBeGreaterThan(100); // value bytes and deltas change without breaking the structure
  });

  it('leaves long varints and long headers to scanRecords', () => {
    const longHeader = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: T0, headers: [{ key: 'k'.repeat(64), value: null }] }] });
    expect(summarize(longHeader)).toBeNull();
    expect(expectedSummary(longHeader)).not.toBeNull();
    const farTimestamp = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: T0 }, { key: null, value: null, timestamp: T0 + 2 ** 30 }] });
    expect(summarize(farTimestamp)).toBeNull();
    expect(expectedSummary(farTimestamp)).not.toBeNull();
  });
});
