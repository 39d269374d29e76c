import { ControlRecordType, decodeRecordBatch, encodeEndTxnMarkerBatch, encodeRecordBatch, iterateBatches, writeBaseOffset } from '@spool/protocol';
import { withoutAbortedFromFetch, withoutAbortedRanges } from './aborted-batches.js';

/** A log excerpt: `[offset, producer id or null, what]` per batch (one record each, the value names it). */
function log(batches: [number, number | null, 'data' | 'txn' | 'abort' | 'commit'][]): Buffer {
  return Buffer.concat(
    batches.map(([offset, pid, kind]) => {
      let buf: Buffer;
      if (kind === 'abort' || kind === 'commit') {
        buf = encodeEndTxnMarkerBatch({ producerId: pid ?? 0, producerEpoch: 0, coordinatorEpoch: 0, type: kind === 'abort' ? ControlRecordType.Abort : ControlRecordType.Commit });
        writeBaseOffset(buf, 0, offset);
      } else {
        const records = [{ key: null, value: Buffer.from(`v${offset}`), timestamp: 1 }];
        buf = encodeRecordBatch({ records, baseOffset: offset, ...(pid !== null && { producerId: pid, producerEpoch: 0, baseSequence: offset, isTransactional: kind === 'txn' }) });
      }
      return buf;
    }),
  );
}

/** The offsets of the batches left, data ones as numbers, markers as 'm<offset>'. */
function kept(records: Buffer): (number | string)[] {
  return [...iterateBatches(records)].map(({ pos, size, header }) => {
    const { records: rs } = decodeRecordBatch(records.subarray(pos, pos + size));
    return header.attributes & 0x20 ? `m${header.baseOffset}` : Number(rs[0].value?.toString().slice(1));
  });
}

// Two producers interleaved: 7 aborts (offsets 1, 3; marker 5), 8 commits (2, 4; marker 6); 9 aborts
// again later (8; marker 9); non-transactional data at 0 and 7, and producer 7's later data at 10.
const excerpt = log([
  [0, null, 'data'],
  [1, 7, 'txn'],
  [2, 8, 'txn'],
  [3, 7, 'txn'],
  [4, 8, 'txn'],
  [5, 7, 'abort'],
  [6, 8, 'commit'],
  [7, 5, 'data'],
  [8, 9, 'txn'],
  [9, 9, 'abort'],
  [10, 7, 'txn'],
]);

describe('withoutAbortedFromFetch (a Fetch answer: producer id and first offset per aborted transaction)', () => {
  it("drops an aborted producer's data from its first offset to its marker, and nothing else", () => {
    const out = withoutAbortedFromFetch(excerpt, [
      { producerId: 9, firstOffset: 8 },
      { producerId: 7, firstOffset: 1 },
    ]);
    expect(kept(out)).toEqual([0, 2, 4, 'm5', 'm6', 7, 'm9', 10]);
  });

  it('keeps everything without aborted transactions (null from a read_uncommitted answer)', () => {
    expect(withoutAbortedFromFetch(excerpt, null)).toBe(excerpt);
    expect(withoutAbortedFromFetch(excerpt, [])).toBe(excerpt);
  });

  it('a transaction whose marker is past the excerpt stays aborted to its end', () => {
    const head = log([
      [1, 7, 'txn'],
      [2, 8, 'txn'],
      [3, 7, 'txn'],
    ]);
    expect(kept(withoutAbortedFromFetch(head, [{ producerId: 7, firstOffset: 1 }]))).toEqual([2]);
  });

  it('an aborted transaction that starts later than a batch of the same producer leaves that batch', () => {
    expect(kept(withoutAbortedFromFetch(excerpt, [{ producerId: 7, firstOffset: 10 }]))).toEqual([0, 1, 2, 3, 4, 'm5', 'm6', 7, 8, 'm9']);
  });
});

describe('withoutAbortedRanges (the local producer state: first offset and marker offset)', () => {
  it('drops the data batches inside each range of the same producer', () => {
    expect(
      kept(
        withoutAbortedRanges(excerpt, [
          { producerId: 7, firstOffset: 1, lastOffset: 5 },
          { producerId: 9, firstOffset: 8, lastOffset: 9 },
        ]),
      ),
    ).toEqual([0, 2, 4, 'm5', 'm6', 7, 'm9', 10]);
  });
});
