/**
 * Loading a partition's leader epoch cache when its Log opens (Kafka's LogLoader does the same
 * steps around segment recovery):
 *
 * 1. Read `leader-epoch-checkpoint`. A missing file (a log written before epochs were tracked,
 *    or a lost file) or one that does not parse is rebuilt from the log: every batch carries
 *    the epoch of the leader that wrote it, so the cache is a function of the log, except for an
 *    epoch a leader recorded at its log end before writing anything, which is not worth keeping
 *    across a restart anyway (loading drops it, as Kafka's does).
 * 2. A cache behind the log (the last batch's epoch is newer than every cached epoch, e.g. a
 *    stale file restored from elsewhere) is rebuilt the same way. The Log's write order (the
 *    entry is durable before the first batch of its epoch is written) means this never happens
 *    after a crash alone.
 * 3. truncateFromEnd(logEndOffset): entries for offsets the log no longer has (a crash after
 *    the entry was written but before its batch was, or during a truncation) go.
 * 4. truncateFromStart(logStartOffset): the earliest entry is moved up to the log start.
 *
 * The rebuild reads every batch header from the log start, as Kafka's recovery does for the
 * segments it validates: an epoch enters the cache at the first batch whose epoch is higher than
 * every one before it (batches without an epoch, -1, are skipped). It costs one sequential read
 * of the log, once; the result is written so the next open only reads the file.
 */
import type { Logger } from '@spool/common';
import { readRecordBatchHeader, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '@spool/protocol';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { readLeaderEpochCheckpoint, type EpochEntry } from './leader-epoch-checkpoint-file.js';
import { readLog, type LogView } from './log-reader.js';

const REBUILD_READ_BYTES = 1024 * 1024;

export async function loadLeaderEpochCache(dir: string, view: () => LogView, logger: Logger): Promise<LeaderEpochCache> {
  let entries: EpochEntry[] | null;
  try {
    entries = await readLeaderEpochCheckpoint(dir);
  } catch (err) {
    logger.warn({ err, dir }, 'leader epoch checkpoint unreadable; rebuilding it from the log');
    entries = null;
  }
  let cache = new LeaderEpochCache(dir, entries ?? [], logger);
  const lastEpoch = await lastBatchEpoch(view);
  const latest = cache.latestEpoch;
  const behind = lastEpoch !== null && (latest === null || lastEpoch > latest);
  if (entries === null || behind) {
    if (entries !== null) logger.warn({ dir, cachedEpoch: latest, lastBatchEpoch: lastEpoch }, 'leader epoch checkpoint is behind the log; rebuilding it from the log');
    cache = new LeaderEpochCache(dir, [], logger);
    const rebuilt = await epochsInLog(view);
    if (!(await cache.assignAll(rebuilt))) await cache.flush();
    logger.info({ dir, entries: rebuilt.length }, 'leader epoch cache rebuilt from the log');
  }
  const { logStartOffset, logEndOffset } = view();
  await cache.truncateFromEnd(logEndOffset);
  await cache.truncateFromStart(logStartOffset);
  return cache;
}

/** The epoch of the log's last batch; null for an empty log or a batch without one. */
async function lastBatchEpoch(view: () => LogView): Promise<number | null> {
  const { logStartOffset, logEndOffset } = view();
  if (logEndOffset <= logStartOffset) return null;
  const result = await readLog(view, logEndOffset - 1, 1);
  if (result.records.length < RECORD_BATCH_OVERHEAD) return null;
  const epoch = readRecordBatchHeader(result.records, 0).partitionLeaderEpoch;
  return epoch >= 0 ? epoch : null;
}

/** Every (epoch, first offset) where the batches' epoch rises, from the log start (Kafka's recovery rule). */
async function epochsInLog(view: () => LogView): Promise<EpochEntry[]> {
  const out: EpochEntry[] = [];
  let latest = -1;
  let offset = view().logStartOffset;
  while (offset < view().logEndOffset) {
    const result = await readLog(view, offset, REBUILD_READ_BYTES);
    const buf = result.records;
    if (buf.length === 0) break;
    for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= buf.length; ) {
      const header = readRecordBatchHeader(buf, pos);
      if (header.partitionLeaderEpoch > latest) {
        latest = header.partitionLeaderEpoch;
        out.push({ epoch: latest, startOffset: header.baseOffset });
      }
      pos += header.batchLength + LOG_OVERHEAD;
    }
    offset = result.nextOffset;
  }
  return out;
}
