import { encodeRecordBatch } from './record-batch.codec.js';
import { countRecords } from './record-count.js';

const batch = (n: number, opts: { isControl?: boolean } = {}): Buffer =>
  encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })), now: 1, ...(opts.isControl === true && { isControl: true, isTransactional: true, producerId: 1, producerEpoch: 0 }) });

describe('countRecords', () => {
  it('sums the record counts of consecutive batches', () => {
    expect(countRecords(batch(3))).toBe(3);
    expect(countRecords(Buffer.concat([batch(3), batch(1), batch(5)]))).toBe(9);
  });

  it('counts nothing for no bytes, and no records of a control batch', () => {
    expect(countRecords(null)).toBe(0);
    expect(countRecords(Buffer.alloc(0))).toBe(0);
    expect(countRecords(Buffer.concat([batch(2), batch(1, { isControl: true })]))).toBe(2);
  });

  it('leaves out a trailing partial batch, at every cut', () => {
    const whole = Buffer.concat([batch(2), batch(4)]);
    const first = batch(2).length;
    for (let cut = 0; cut < whole.length; cut++) expect(countRecords(whole.subarray(0, cut))).toBe(cut < first ? 0 : 2);
    expect(countRecords(whole)).toBe(6);
  });

  it('stops at a length that does not fit, without throwing', () => {
    const broken = Buffer.from(batch(2));
    broken.writeInt32BE(-5, 8);
    expect(countRecords(broken)).toBe(0);
    expect(countRecords(Buffer.concat([batch(1), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 2])]))).toBe(1);
  });

  it('counts a legacy message set entry (magic 0 or 1) as one', () => {
    const legacy = Buffer.alloc(12 + 14);
    legacy.writeInt32BE(14, 8);
    legacy[16] = 1;
    expect(countRecords(Buffer.concat([legacy, legacy]))).toBe(2);
  });
});
