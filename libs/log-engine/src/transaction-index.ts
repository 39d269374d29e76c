/**
 * The aborted-transaction index of one log segment, `<baseOffset>.txnindex` (Kafka's
 * TransactionIndex, same bytes): one 34-byte entry per transaction aborted in the segment,
 * appended when its abort marker lands, in marker order, big-endian:
 *
 *   offset  width  field
 *   0       2      version           int16  0
 *   2       8      producerId        int64
 *   10      8      firstOffset       int64  the transaction's first offset in this partition
 *   18      8      lastOffset        int64  the offset of the abort marker
 *   26      8      lastStableOffset  int64  the partition's LSO once the marker was written
 *
 * Fetch under read_committed answers, with the records below the LSO, every aborted transaction
 * that overlaps the fetched range (lastOffset >= fetchOffset and firstOffset < the range's end),
 * so the consumer can drop that producer's records from firstOffset up to the abort marker.
 *
 * Entries are kept in memory (a segment holds few aborted transactions) and appended to the file
 * as they come. A file whose length is not a multiple of 34 (torn append) is cut to whole
 * entries on open; entries at or past a truncation point are dropped (`truncateTo`), as the log's
 * recovery and replication truncate the segment. The file is rebuilt from the log by whoever owns
 * the producer state when it cannot be trusted.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export const TRANSACTION_INDEX_FILE_SUFFIX = '.txnindex';
export const ABORTED_TXN_ENTRY_BYTES = 34;
const ABORTED_TXN_VERSION = 0;

export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const buf = Buffer.alloc(ABORTED_TXN_ENTRY_BYTES);
  buf.writeInt16BE(ABORTED_TXN_VERSION, 0);
  buf.writeBigInt64BE(BigInt(txn.producerId), 2);
  buf.writeBigInt64BE(BigInt(txn.firstOffset), 10);
  buf.writeBigInt64BE(BigInt(txn.lastOffset), 18);
  buf.writeBigInt64BE(BigInt(txn.lastStableOffset), 26);
  return buf;
}

/** Decodes whole entries; a torn tail is ignored (the caller cuts it). */
export function decodeAbortedTxns(buf: Buffer, filePath = 'txnindex'): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let pos = 0; pos + ABORTED_TXN_ENTRY_BYTES <= buf.length; pos += ABORTED_TXN_ENTRY_BYTES) {
    const version = buf.readInt16BE(pos);
    if (version !== ABORTED_TXN_VERSION) throw new Error(`${filePath}: unknown aborted-transaction entry version ${version} at byte ${pos}`);
    out.push({
      producerId: Number(buf.readBigInt64BE(pos + 2)),
      firstOffset: Number(buf.readBigInt64BE(pos + 10)),
      lastOffset: Number(buf.readBigInt64BE(pos + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(pos + 26)),
    });
  }
  return out;
}

/** The entries of `entries` overlapping [fetchOffset, upperBoundOffset). */
export function abortedTxnsOverlapping(entries: readonly AbortedTxn[], fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
  return entries.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset);
}

export class TransactionIndex {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private entries: AbortedTxn[],
  ) {}

  /** Opens (creating it if absent) and loads the index; a torn last entry is cut off. */
  static async open(filePath: string): Promise<TransactionIndex> {
    const handle = await fs.open(filePath, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    try {
      const { size } = await handle.stat();
      const buf = Buffer.alloc(size);
      if (size > 0) await handle.read(buf, 0, size, 0);
      const whole = size - (size % ABORTED_TXN_ENTRY_BYTES);
      if (whole !== size) await handle.truncate(whole);
      return new TransactionIndex(filePath, handle, decodeAbortedTxns(buf.subarray(0, whole), filePath));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get abortedTxns(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Appends one entry; markers land in offset order, so lastOffset must grow. */
  async append(txn: AbortedTxn): Promise<void> {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && txn.lastOffset <= last.lastOffset) {
      throw new Error(`${this.path}: aborted transaction ending at ${txn.lastOffset} does not follow the last one (ending at ${last.lastOffset})`);
    }
    await this.handle.write(encodeAbortedTxn(txn), 0, ABORTED_TXN_ENTRY_BYTES, this.entries.length * ABORTED_TXN_ENTRY_BYTES);
    this.entries.push(txn);
  }

  collect(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return abortedTxnsOverlapping(this.entries, fetchOffset, upperBoundOffset);
  }

  /** Drops the entries whose abort marker is at or past `offset` (the log was cut there). */
  async truncateTo(offset: number): Promise<void> {
    const kept = this.entries.filter((t) => t.lastOffset < offset);
    if (kept.length === this.entries.length) return;
    await this.handle.truncate(kept.length * ABORTED_TXN_ENTRY_BYTES);
    this.entries = kept;
  }

  async flush(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
