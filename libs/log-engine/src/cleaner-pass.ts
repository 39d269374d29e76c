/**
 * One compaction pass over one log (Kafka's Cleaner.doClean):
 *
 * 1. Build the offset map (key -> latest offset) over the dirty section. If the map fills, the
 *    pass covers only up to the last offset it put: `endOffset` = that offset + 1, and the rest
 *    of the dirty section waits for the next pass.
 * 2. Group the segments below `endOffset` (never the active segment) into runs whose total size
 *    fits segment.bytes and whose offsets fit one segment (2^31 - 1 from its base).
 * 3. For each group, write a new segment (`<base>.log.cleaned`, with its indexes) holding the
 *    batches filtered by cleaner-batch.ts, and swap it in with Log.replaceSegments, which
 *    flushes it, is serialised with appends and is crash-safe (.cleaned -> .swap -> rename,
 *    see log.ts).
 *
 * Transactions (cleaner-transactions.ts): the records of aborted transactions are left out of the
 * map and removed; a marker stays while a batch of its transaction is in the log, then gets a
 * delete horizon, after which a pass removes it. The dirty section never reaches the LSO.
 *
 * Only immutable segments are read; appends and reads go on meanwhile. Batches that reach
 * `endOffset` or beyond are copied unchanged: their records were not all covered by the map, and
 * setting a delete horizon on a tombstone whose older values were not removed could resurrect
 * them once the tombstone goes.
 *
 * Abort: the signal is checked between batches; an aborted pass deletes its .cleaned segment and
 * rejects with CleanerAbortedError, leaving the log as it was.
 */
import { readRecordBatchHeader, decodeRecordBatch, isControlBatch, isTransactionalBatch, DELETE_HORIZON_FLAG_MASK, type RecordBatchHeader } from '@spool/protocol';
import type { Logger } from '@spool/common';
import { summarizeBatches } from './batch-summary.js';
import { emptyBatchFor, filterBatch, markerWithDeleteHorizon, type BatchFilterContext } from './cleaner-batch.js';
import { CleanedTransactions, NO_TRANSACTIONS, type CleanerTransactions } from './cleaner-transactions.js';
import { SegmentGoneError, segmentBatches } from './cleaner-segment-reader.js';
import type { CleanerTarget } from './cleaner-selection.js';
import { LogSegment } from './log-segment.js';
import type { OffsetMap } from './offset-map.js';
import { CLEANED_FILE_SUFFIX } from './segment-files.js';

export class CleanerAbortedError extends Error {
  constructor() {
    super('cleaning aborted');
  }
}

export interface CleanerPassOptions {
  readonly map: OffsetMap;
  readonly now: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Read chunk and write buffer size; default 1 MiB. */
  readonly ioBufferBytes?: number;
  /** The log's transactions below its high watermark (default: none). */
  readonly transactions?: CleanerTransactions;
}

export interface CleanResult {
  readonly firstDirtyOffset: number;
  /** Where the next pass's dirty section starts (the new cleaner checkpoint). */
  readonly endOffset: number;
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRemoved: number;
  /** Transaction markers removed (their transaction's batches gone and their delete horizon passed). */
  readonly markersRemoved: number;
  /** Earliest delete horizon of any batch below endOffset after the pass; null if none. */
  readonly minDeleteHorizonMs: number | null;
}

const INT32_MAX = 0x7fffffff;

export async function cleanLog(
  target: CleanerTarget,
  firstDirtyOffset: number,
  firstUncleanableOffset: number,
  opts: CleanerPassOptions,
): Promise<CleanResult> {
  const endOffset = await buildOffsetMap(target, firstDirtyOffset, firstUncleanableOffset, opts);
  const segments = target.log.segments();
  const cleanable = segments.slice(0, -1).filter((s) => s.baseOffset < endOffset);
  const groups = groupSegmentsBySize(cleanable, target.config.segmentBytes);
  // One view for the whole pass: a transaction's batches and its marker may be in different groups.
  const transactions = new CleanedTransactions(opts.transactions ?? NO_TRANSACTIONS);
  let bytesBefore = 0;
  let bytesAfter = 0;
  let recordsRemoved = 0;
  let markersRemoved = 0;
  let minDeleteHorizonMs: number | null = null;
  for (const group of groups) {
    const result = await cleanGroup(target, group, endOffset, transactions, opts);
    bytesBefore += result.bytesBefore;
    bytesAfter += result.bytesAfter;
    recordsRemoved += result.recordsRemoved;
    markersRemoved += result.markersRemoved;
    if (result.minDeleteHorizonMs !== null) {
      minDeleteHorizonMs = Math.min(minDeleteHorizonMs ?? Infinity, result.minDeleteHorizonMs);
    }
  }
  return {
    firstDirtyOffset,
    endOffset,
    segmentsBefore: cleanable.length,
    segmentsAfter: groups.length,
    bytesBefore,
    bytesAfter,
    recordsRemoved,
    markersRemoved,
    minDeleteHorizonMs,
  };
}

/** Fills the map from [firstDirty, firstUncleanable); returns the end of the covered range. */
async function buildOffsetMap(target: CleanerTarget, from: number, to: number, opts: CleanerPassOptions): Promise<number> {
  const { map } = opts;
  const transactions = opts.transactions ?? NO_TRANSACTIONS;
  map.clear();
  for (const segment of target.log.segments().slice(0, -1)) {
    if (segment.nextOffset() <= from || segment.baseOffset >= to) continue;
    for await (const batch of segmentBatches(segment, opts.ioBufferBytes)) {
      if (opts.signal.aborted) throw new CleanerAbortedError();
      const header = readRecordBatchHeader(batch);
      if (header.baseOffset + header.lastOffsetDelta < from || isControlBatch(header.attributes)) continue;
      if (header.baseOffset >= to) break;
      // An aborted value must not replace the committed value of its key.
      if (isTransactionalBatch(header.attributes) && transactions.isAborted(header.producerId, header.baseOffset)) continue;
      for (const record of decodeRecordBatch(batch).records) {
        if (record.offset < from || record.offset >= to || record.key === null) continue;
        if (!map.put(record.key, record.offset)) {
          // Full: cover only what is in the map. Kafka does the same (log.cleaner.dedupe.buffer.size).
          return map.latestOffset === undefined ? from : map.latestOffset + 1;
        }
      }
    }
  }
  return to;
}

/** Consecutive runs of segments that fit in one segment (size and relative offsets). */
export function groupSegmentsBySize(segments: readonly LogSegment[], maxSegmentBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let size = segments[i].size;
    i++;
    while (
      i < segments.length &&
      size + segments[i].size <= maxSegmentBytes &&
      segments[i].nextOffset() - 1 - group[0].baseOffset <= INT32_MAX
    ) {
      size += segments[i].size;
      group.push(segments[i]);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

interface GroupResult {
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  markersRemoved: number;
  minDeleteHorizonMs: number | null;
}

/** What becomes of one batch below the pass's end. */
interface Kept {
  readonly bytes: Buffer | null;
  readonly recordsRemoved: number;
  readonly markersRemoved: number;
  readonly deleteHorizonMs: number | null;
}

function cleanBatch(batch: Buffer, header: RecordBatchHeader, transactions: CleanedTransactions, ctx: BatchFilterContext): Kept {
  if (isControlBatch(header.attributes)) {
    if (!transactions.onMarker(header)) return { bytes: batch, recordsRemoved: 0, markersRemoved: 0, deleteHorizonMs: null };
    if ((header.attributes & DELETE_HORIZON_FLAG_MASK) === 0) {
      const horizon = Math.min(ctx.now + ctx.deleteRetentionMs, Number.MAX_SAFE_INTEGER);
      return { bytes: markerWithDeleteHorizon(batch, horizon), recordsRemoved: 0, markersRemoved: 0, deleteHorizonMs: horizon };
    }
    const horizon = header.baseTimestamp;
    if (ctx.now >= horizon) return { bytes: null, recordsRemoved: 0, markersRemoved: 1, deleteHorizonMs: null };
    return { bytes: batch, recordsRemoved: 0, markersRemoved: 0, deleteHorizonMs: horizon };
  }
  if (transactions.onDataBatch(header)) return { bytes: null, recordsRemoved: header.recordCount, markersRemoved: 0, deleteHorizonMs: null };
  const filtered = filterBatch(batch, ctx, false);
  return { ...filtered, markersRemoved: 0 };
}

async function cleanGroup(target: CleanerTarget, group: LogSegment[], endOffset: number, transactions: CleanedTransactions, opts: CleanerPassOptions): Promise<GroupResult> {
  const { config } = target;
  const first = group[0];
  const cleaned = await LogSegment.create(first.dir, first.baseOffset, config, opts.now, CLEANED_FILE_SUFFIX);
  const ioBufferBytes = opts.ioBufferBytes ?? 1 << 20;
  const out: Buffer[] = [];
  let outBytes = 0;
  const flushOut = async (): Promise<void> => {
    if (out.length === 0) return;
    const buf = out.length === 1 ? out[0] : Buffer.concat(out);
    out.length = 0;
    outBytes = 0;
    await cleaned.append(buf, summarizeBatches(buf), opts.now);
  };
  const ctx = { map: opts.map, now: opts.now, deleteRetentionMs: config.deleteRetentionMs };
  const result: GroupResult = { bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, markersRemoved: 0, minDeleteHorizonMs: null };
  let last: { batch: Buffer; written: boolean } | null = null;
  try {
    for (const segment of group) {
      result.bytesBefore += segment.size;
      for await (const batch of segmentBatches(segment, ioBufferBytes)) {
        if (opts.signal.aborted) throw new CleanerAbortedError();
        const header = readRecordBatchHeader(batch);
        let bytes: Buffer | null = batch;
        if (header.baseOffset + header.lastOffsetDelta < endOffset) {
          const kept = cleanBatch(batch, header, transactions, ctx);
          bytes = kept.bytes;
          result.recordsRemoved += kept.recordsRemoved;
          result.markersRemoved += kept.markersRemoved;
          if (kept.deleteHorizonMs !== null) {
            result.minDeleteHorizonMs = Math.min(result.minDeleteHorizonMs ?? Infinity, kept.deleteHorizonMs);
          }
        } else if (isControlBatch(header.attributes)) {
          transactions.onMarker(header); // copied unchanged, but it still ends its transaction
        } else {
          transactions.onDataBatch(header);
        }
        last = { batch, written: bytes !== null };
        if (bytes === null) continue;
        out.push(bytes);
        outBytes += bytes.length;
        result.bytesAfter += bytes.length;
        if (outBytes >= ioBufferBytes) await flushOut();
      }
    }
    if (last !== null && !last.written) {
      // Keep the group's last offset: an empty batch ends the new segment where the old ones ended.
      const empty = emptyBatchFor(readRecordBatchHeader(last.batch));
      out.push(empty);
      result.bytesAfter += empty.length;
    }
    await flushOut();
    if (opts.signal.aborted) throw new CleanerAbortedError();
  } catch (err) {
    await cleaned.delete().catch(() => undefined);
    throw err;
  }
  try {
    // Retention or DeleteRecords may have removed some of the group meanwhile: give up this pass.
    const live = target.log.segments();
    const gone = group.find((segment) => !live.includes(segment));
    if (gone !== undefined) throw new SegmentGoneError(gone.logPath);
    await target.log.replaceSegments([cleaned], group);
  } catch (err) {
    // Not swapped in (the log changed under us, or I/O failed before the swap began): drop it.
    if (cleaned.fileSuffix === CLEANED_FILE_SUFFIX) await cleaned.delete().catch(() => undefined);
    throw err;
  }
  opts.logger.debug(
    { topicPartition: target.log.topicPartition, baseOffset: first.baseOffset, segments: group.length, ...result },
    'cleaned segment group',
  );
  return result;
}
