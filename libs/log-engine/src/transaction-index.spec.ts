import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ABORTED_TXN_ENTRY_BYTES, TransactionIndex, decodeAbortedTxns, encodeAbortedTxn } from './transaction-index.js';

describe('TransactionIndex (.txnindex)', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'txnindex-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('writes Kafka’s 34-byte entries: version 0, producerId, firstOffset, lastOffset, lastStableOffset', () => {
    const buf = encodeAbortedTxn({ producerId: 0x0102, firstOffset: 5, lastOffset: 9, lastStableOffset: 10 });
    expect(buf.toString('hex')).toBe('0000' + '0000000000000102' + '0000000000000005' + '0000000000000009' + '000000000000000a');
    expect(decodeAbortedTxns(buf)).toEqual([{ producerId: 0x0102, firstOffset: 5, lastOffset: 9, lastStableOffset: 10 }]);
  });

  it('appends, collects overlapping ranges, survives reopen, cuts a torn tail and truncates', async () => {
    const file = path.join(dir, '00000000000000000000.txnindex');
    const index = await TransactionIndex.open(file);
    await index.append({ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 });
    await index.append({ producerId: 2, firstOffset: 3, lastOffset: 10, lastStableOffset: 11 });
    await expect(index.append({ producerId: 3, firstOffset: 1, lastOffset: 10, lastStableOffset: 11 })).rejects.toThrow(/does not follow/);
    expect(index.collect(5, 20).map((t) => t.producerId)).toEqual([2]);
    expect(index.collect(0, 3).map((t) => t.producerId)).toEqual([1]);
    expect(index.collect(0, 4).map((t) => t.producerId)).toEqual([1, 2]);
    await index.close();

    await fs.appendFile(file, Buffer.alloc(7)); // a torn append
    const reopened = await TransactionIndex.open(file);
    expect(reopened.abortedTxns.map((t) => t.producerId)).toEqual([1, 2]);
    expect((await fs.stat(file)).size).toBe(2 * ABORTED_TXN_ENTRY_BYTES);
    await reopened.truncateTo(10);
    expect(reopened.abortedTxns.map((t) => t.producerId)).toEqual([1]);
    expect((await fs.stat(file)).size).toBe(ABORTED_TXN_ENTRY_BYTES);
    await reopened.close();
  });

  it('refuses an entry of an unknown version', () => {
    const buf = encodeAbortedTxn({ producerId: 1, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 });
    buf.writeInt16BE(3, 0);
    expect(() => decodeAbortedTxns(buf, 'x.txnindex')).toThrow(/x.txnindex: unknown aborted-transaction entry version 3/);
  });
});
