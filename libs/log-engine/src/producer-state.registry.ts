/**
 * Producer state per partition log (producer-state.ts), built lazily: the first idempotent batch
 * for a partition after start-up scans the partition's batch headers (no data record is decoded;
 * a transaction marker's one record is, for its commit/abort type) and replays them, which also
 * reopens the transactions that were open at a crash; batches arriving meanwhile queue behind the scan, in arrival order. Keyed by the
 * Log object, so a deleted and recreated topic starts with fresh state. A truncation of the log
 * (replication cutting a divergent tail) drops the state, so the next use rebuilds it from what
 * the log still holds (Kafka rebuilds its producer state on truncateTo too).
 */
import {
  ControlRecordType,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  decodeRecordBatch,
  isControlBatch,
  isTransactionalBatch,
  readControlRecordType,
  readRecordBatchHeader,
  timestampTypeOf,
} from '@spool/protocol';
import type { Log } from './log.js';
import { PartitionProducerState } from './producer-state.js';

const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;

interface Slot {
  loaded: PartitionProducerState | undefined;
  loading: Promise<PartitionProducerState>;
}

export class ProducerStateRegistry {
  private readonly slots = new WeakMap<Log, Slot>();
  private readonly watched = new WeakSet<Log>();

  /** The state if already built (synchronous path), else undefined. */
  loaded(log: Log): PartitionProducerState | undefined {
    return this.slots.get(log)?.loaded;
  }

  /** The state, building it on first use. Callers chained on the same promise run in call order. */
  load(log: Log): Promise<PartitionProducerState> {
    let slot = this.slots.get(log);
    if (slot === undefined) {
      const created: Slot = { loaded: undefined, loading: Promise.resolve(new PartitionProducerState()) };
      created.loading = rebuild(log).then(
        (state) => (created.loaded = state),
        () => (created.loaded = new PartitionProducerState()), // an unreadable log: start empty (batches accepted as is)
      );
      this.slots.set(log, created);
      slot = created;
      if (!this.watched.has(log)) {
        this.watched.add(log);
        log.replication.onTruncation(() => this.slots.delete(log));
      }
    }
    return slot.loading;
  }

  /**
   * Drops the state of `log` (rebuilt from the log at its next use): replication calls it when the
   * partition changes role, since a follower's appends (the leader's batches) do not go through
   * here, so a state kept from an earlier leadership would be stale.
   */
  forget(log: Log): void {
    this.slots.delete(log);
  }
}

function rebuild(log: Log): Promise<PartitionProducerState> {
  return scanProducerState(log, log.logEndOffset);
}

/** What scanProducerState reads of a log. */
export type ScannedLog = Pick<Log, 'logStartOffset' | 'read'>;

/**
 * The producer state of the batches in [logStartOffset, endOffset) of `log`, replayed from their
 * headers (and markers' records). The lazy build above scans to the log end; the cleaner scans to
 * the high watermark, for the transactions every replica agrees on.
 */
export async function scanProducerState(log: ScannedLog, endOffset: number): Promise<PartitionProducerState> {
  const state = new PartitionProducerState();
  let offset = log.logStartOffset;
  const end = endOffset;
  while (offset < end) {
    const result = await log.read(offset, SCAN_CHUNK_BYTES, { maxOffset: end });
    if (result.records.length === 0) break;
    const buf = result.records;
    for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= buf.length; ) {
      const header = readRecordBatchHeader(buf, pos);
      const size = header.batchLength + LOG_OVERHEAD;
      if (header.producerId >= 0 && isControlBatch(header.attributes)) {
        // A transaction marker: its one record's key says commit or abort (a few bytes to decode).
        const { records } = decodeRecordBatch(buf.subarray(pos, pos + size));
        if (records.length > 0) {
          const aborted = readControlRecordType(records[0].key) === ControlRecordType.Abort;
          state.replayMarker(header.producerId, header.producerEpoch, header.baseOffset, aborted);
        }
      } else if (header.producerId >= 0) {
        const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime ? header.maxTimestamp : null;
        state.replay({ ...header, isTransactional: isTransactionalBatch(header.attributes) }, header.baseOffset, logAppendTime);
      }
      pos += size;
    }
    offset = result.nextOffset;
  }
  return state;
}
