import fs from 'node:fs/promises';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { ManualClock, SpoolError } from '@spool/common';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  decodeRecordBatch,
  encodeRecordBatch,
  readRecordBatchHeader,
  validateRecordBatch,
  writeRecordBatchCrc,
  type RecordInput,
} from '@spool/protocol';
import { validateAppend } from './log-append-validator.js';
import { openTestLog, tempDir, testConfig } from './log.test-util.js';
import type { TopicConfig } from './topic-config.js';

const NOW = 1_700_000_000_000;

function batch(records: readonly RecordInput[], opts: { compression?: CompressionType; timestampType?: TimestampType; producerId?: number; baseSequence?: number } = {}): Buffer {
  return encodeRecordBatch({ records, ...opts });
}

/** A copy of `buf` whose header maxTimestamp says `maxTimestamp` (CRC resealed, as a client would send it). */
function withHeaderMaxTimestamp(buf: Buffer, maxTimestamp: number): Buffer {
  const copy = Buffer.from(buf);
  copy.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
  writeRecordBatchCrc(copy, 0);
  return copy;
}

/** An uncompressed batch's records gzip'ed into a new batch (after any hand edits of the records). */
function gzipped(uncompressed: Buffer): Buffer {
  const body = gzipSync(uncompressed.subarray(RECORD_BATCH_OVERHEAD));
  const out = Buffer.concat([uncompressed.subarray(0, RECORD_BATCH_OVERHEAD), body]);
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES_OFFSET) | CompressionType.Gzip, ATTRIBUTES_OFFSET);
  writeRecordBatchCrc(out, 0);
  return out;
}

function validate(buf: Buffer, config: Partial<TopicConfig> = {}) {
  return validateAppend(buf, testConfig(config), true, NOW);
}

function refusal(fn: () => unknown): SpoolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpoolError) return err;
    throw err;
  }
  throw new Error('accepted');
}

const three = [
  { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: NOW - 50 },
  { key: Buffer.from('b'), value: Buffer.from('2'), timestamp: NOW - 10 },
  { key: Buffer.from('c'), value: Buffer.from('3'), timestamp: NOW - 30 },
];

describe('record validation of produced batches (LogValidator)', () => {
  it('recomputes maxTimestamp from the records when the header says -1, rewriting the header and its CRC', () => {
    for (const compression of [CompressionType.None, CompressionType.Gzip]) {
      const sent = withHeaderMaxTimestamp(batch(three, { compression }), -1);
      const [summary] = validate(sent);
      expect(summary.maxTimestamp).toBe(NOW - 10);
      expect(readRecordBatchHeader(sent, 0).maxTimestamp).toBe(NOW - 10);
      expect(() => validateRecordBatch(sent, 0)).not.toThrow();
      expect(decodeRecordBatch(sent).records.map((r) => r.timestamp)).toEqual([NOW - 50, NOW - 10, NOW - 30]);
    }
  });

  it('also corrects a header maxTimestamp above the records, and leaves a correct batch byte for byte', () => {
    const high = withHeaderMaxTimestamp(batch(three), NOW + 5);
    expect(validate(high)[0].maxTimestamp).toBe(NOW - 10);
    const good = batch(three);
    const before = Buffer.from(good);
    expect(validate(good)[0].maxTimestamp).toBe(NOW - 10);
    expect(good.equals(before)).toBe(true);
  });

  it('under LogAppendTime leaves the timestamps to the log, which stamps its own time', () => {
    const sent = withHeaderMaxTimestamp(batch(three), -1);
    expect(validate(sent, { messageTimestampType: 'LogAppendTime' })[0].maxTimestamp).toBe(-1);
  });

  it('refuses timestamps outside message.timestamp.before/after.max.ms with one record error each (INVALID_TIMESTAMP)', () => {
    const records = [
      { value: Buffer.from('old'), timestamp: NOW - 2_000 },
      { value: Buffer.from('ok'), timestamp: NOW },
      { value: Buffer.from('future'), timestamp: NOW + 2_000 },
    ];
    const err = refusal(() => validate(batch(records), { messageTimestampBeforeMaxMs: 1_000, messageTimestampAfterMaxMs: 1_000 }));
    expect(err.code).toBe('INVALID_TIMESTAMP');
    expect(err.details.recordErrors).toEqual([
      { batchIndex: 0, message: expect.stringContaining(`timestamp ${NOW - 2_000}, out of range`) },
      { batchIndex: 2, message: expect.stringContaining(`[${NOW - 1_000}, ${NOW + 1_000}]`) },
    ]);
    // Kafka 4's defaults: anything in the past, at most one hour ahead.
    expect(() => validate(batch([{ value: null, timestamp: 0 }]))).not.toThrow();
    expect(refusal(() => validate(batch([{ value: null, timestamp: NOW + 3_600_001 }]))).code).toBe('INVALID_TIMESTAMP');
    expect(() => validate(batch([{ value: null, timestamp: NOW + 3_600_000 }]))).not.toThrow();
  });

  it('exempts records without a timestamp (-1) and ignores the bounds under LogAppendTime', () => {
    const noTimestamp = batch([{ value: Buffer.from('x'), timestamp: -1 }]);
    expect(validate(noTimestamp, { messageTimestampBeforeMaxMs: 0, messageTimestampAfterMaxMs: 0 })[0].maxTimestamp).toBe(-1);
    const ancient = batch([{ value: Buffer.from('x'), timestamp: 5 }]);
    expect(() => validate(ancient, { messageTimestampType: 'LogAppendTime', messageTimestampBeforeMaxMs: 0 })).not.toThrow();
  });

  it('refuses a batch that claims LogAppendTime on a LogAppendTime topic (the broker sets it)', () => {
    const claimed = batch(three, { timestampType: TimestampType.LogAppendTime });
    expect(claimed.readInt16BE(ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_MASK).toBeTruthy();
    const err = refusal(() => validate(claimed, { messageTimestampType: 'LogAppendTime' }));
    expect(err.code).toBe('INVALID_TIMESTAMP');
    expect((err.details.recordErrors as unknown[]).length).toBe(3);
  });

  it('refuses keyless records on a compacted topic (INVALID_RECORD with the record index)', () => {
    const records = [{ key: Buffer.from('k'), value: Buffer.from('1'), timestamp: NOW }, { key: null, value: Buffer.from('2'), timestamp: NOW }];
    expect(() => validate(batch(records))).not.toThrow();
    const err = refusal(() => validate(batch(records), { cleanupPolicy: 'compact' }));
    expect(err.code).toBe('INVALID_RECORD');
    expect(err.details.recordErrors).toEqual([{ batchIndex: 1, message: expect.stringContaining('compacted topic') }]);
  });

  it('checks offset deltas inside compressed and uncompressed batches', () => {
    const plain = batch([
      { value: Buffer.from('a'), timestamp: NOW },
      { value: Buffer.from('b'), timestamp: NOW },
    ]);
    // Second record: length, attributes, timestampDelta (0), offsetDelta at +3 = zigzag(1) = 2.
    const second = RECORD_BATCH_OVERHEAD + 1 + (plain[RECORD_BATCH_OVERHEAD] >> 1);
    expect(plain[second + 3]).toBe(2);
    const skewed = Buffer.from(plain);
    skewed[second + 3] = 4; // offsetDelta 2 in a batch of 2 records
    writeRecordBatchCrc(skewed, 0);
    for (const sent of [skewed, gzipped(skewed)]) {
      const err = refusal(() => validate(sent));
      expect(err.code).toBe('INVALID_RECORD');
      expect(err.details.recordErrors).toEqual([{ batchIndex: 1, message: expect.stringContaining('offsetDelta 2') }]);
    }
  });

  it('checks the record count against the records inside a compressed batch', () => {
    const two = batch([
      { value: Buffer.from('a'), timestamp: NOW },
      { value: Buffer.from('b'), timestamp: NOW },
    ]);
    const claimsThree = Buffer.from(two);
    claimsThree.writeInt32BE(3, RECORD_COUNT_OFFSET);
    claimsThree.writeInt32BE(2, LAST_OFFSET_DELTA_OFFSET);
    const err = refusal(() => validate(gzipped(claimsThree)));
    expect(err.code).toBe('INVALID_RECORD');
    expect(err.message).toMatch(/declares 3 records/);
    const claimsOne = Buffer.from(two);
    claimsOne.writeInt32BE(1, RECORD_COUNT_OFFSET);
    claimsOne.writeInt32BE(0, LAST_OFFSET_DELTA_OFFSET);
    expect(refusal(() => validate(gzipped(claimsOne))).message).toMatch(/bytes follow the 1 records/);
  });

  it('refuses control batches and idempotent batches without a sequence', () => {
    const control = batch(three);
    control.writeInt16BE(0x20, ATTRIBUTES_OFFSET);
    writeRecordBatchCrc(control, 0);
    expect(refusal(() => validate(control)).message).toMatch(/control records/);
    expect(refusal(() => validate(batch(three, { producerId: 7, baseSequence: -1 }))).message).toMatch(/invalid sequence -1/);
  });

  it('leaves batches with pre-assigned offsets (replication, the cleaner) as they are', () => {
    const sent = withHeaderMaxTimestamp(batch([{ key: null, value: null, timestamp: NOW + 10 * 3_600_000 }]), -1);
    const [summary] = validateAppend(sent, testConfig({ cleanupPolicy: 'compact' }), false, NOW);
    expect(summary.maxTimestamp).toBe(-1);
  });
});

describe('record validation agrees with a per-record model (fast and per-record paths alike)', () => {
  const SEED = Number(process.env.FC_SEED ?? 1010);

  /** What the rules of the top of record-validator.ts say about `records` under `config`: maxTimestamp or the failing record indexes. */
  function model(records: readonly RecordInput[], config: TopicConfig): { maxTimestamp: number } | { code: string; indexes: number[] } {
    const earliest = NOW - config.messageTimestampBeforeMaxMs;
    const latest = NOW + config.messageTimestampAfterMaxMs;
    const bad: number[] = [];
    let timestampError = false;
    let maxTimestamp = -1;
    records.forEach((r, i) => {
      const ts = r.timestamp ?? -1;
      if (config.cleanupPolicy !== 'delete' && (r.key === null || r.key === undefined)) bad.push(i);
      else if (config.messageTimestampType === 'CreateTime' && ts !== -1 && (ts < earliest || ts > latest)) {
        bad.push(i);
        timestampError = true;
      } else maxTimestamp = Math.max(maxTimestamp, ts);
    });
    if (bad.length > 0) return { code: timestampError ? 'INVALID_TIMESTAMP' : 'INVALID_RECORD', indexes: bad };
    return { maxTimestamp };
  }

  it('accepts, refuses and computes maxTimestamp as the model does', () => {
    const timestamp = fc.oneof(fc.constant(-1), fc.integer({ min: NOW - 5_000, max: NOW + 5_000 }), fc.integer({ min: NOW - 2 ** 32, max: NOW + 2 ** 32 }));
    const record = fc.record({ key: fc.option(fc.constant(Buffer.from('k')), { nil: null }), value: fc.constant(Buffer.from('v')), timestamp });
    const config = fc.record({
      messageTimestampType: fc.constantFrom('CreateTime' as const, 'LogAppendTime' as const),
      cleanupPolicy: fc.constantFrom('delete' as const, 'compact' as const),
      messageTimestampBeforeMaxMs: fc.constantFrom(Number.POSITIVE_INFINITY, 1_000, 10_000),
      messageTimestampAfterMaxMs: fc.constantFrom(Number.POSITIVE_INFINITY, 1_000, 10_000),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), config, (records, overrides) => {
        const cfg = testConfig(overrides);
        const expected = model(records, cfg);
        const buf = batch(records);
        if ('code' in expected) {
          const err = refusal(() => validate(buf, overrides));
          expect(err.code).toBe(expected.code);
          expect((err.details as { recordErrors: { batchIndex: number }[] }).recordErrors.map((e) => e.batchIndex)).toEqual(expected.indexes);
        } else {
          const [summary] = validate(buf, overrides);
          if (cfg.messageTimestampType === 'CreateTime') {
            expect(summary.maxTimestamp).toBe(expected.maxTimestamp);
            expect(readRecordBatchHeader(buf, 0).maxTimestamp).toBe(expected.maxTimestamp);
            expect(() => validateRecordBatch(buf, 0)).not.toThrow();
          }
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

describe('Log lookups by time after validation', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('record-validator');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds records whose producer left maxTimestamp at -1, before and after a reopen', async () => {
    const clock = new ManualClock(NOW);
    let log = await openTestLog(dir, { clock });
    await log.append(withHeaderMaxTimestamp(batch(three), -1));
    await log.append(withHeaderMaxTimestamp(batch([{ value: Buffer.from('d'), timestamp: NOW - 5 }]), -1));
    const lookups = async () => [await log.offsetForTimestamp(0), await log.offsetForTimestamp(NOW - 20), await log.offsetForTimestamp(NOW - 7), await log.offsetForTimestamp(NOW)];
    const expected = [
      { offset: 0, timestamp: NOW - 50 },
      { offset: 1, timestamp: NOW - 10 },
      { offset: 3, timestamp: NOW - 5 },
      null,
    ];
    expect(await lookups()).toEqual(expected);
    await log.close();
    log = await openTestLog(dir, { clock, hadCleanShutdown: false });
    expect(await lookups()).toEqual(expected);
    await log.close();
  });
});
