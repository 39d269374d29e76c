/**
 * The append path of one partition log: coalesces queued appends into group writes and
 * pipelines the CPU work of a group with its writes.
 *
 * An append is queued here cheaply, with the function that validates it (validateAppend, or its
 * result when the caller validated already). Appends that arrive while the partition lock is
 * busy (typically: while the previous group's write is in flight) join one *open group*; the
 * group takes the lock once. Under the lock its appends are validated, get their offsets and
 * are staged, and every WRITE_CHUNK_BYTES of staged appends go out as one positional writev, so
 * N queued appends cost a few write system calls and thread-pool round trips instead of N.
 * Under flush.messages=1 they then share one fdatasync as well (group commit: they all publish
 * their end offset before any of them asks for a flush).
 *
 * Pipelining. At most one write per log is in flight, and while it is, the group goes on
 * validating and staging the next chunk: the write runs in libuv's thread pool (on another core)
 * while the main thread does the CPU work of the next, so a stream of large appends costs about
 * max(CPU, write) rather than their sum (docs/benchmarks.md, "Where the time goes"). Writes stay
 * sequential: the next is issued only once the previous returned, at the segment's committed
 * size; nothing becomes visible or acknowledged before its own write returned.
 *
 * Order. Appends are applied in call order, and in call order relative to the log's other
 * mutations: the log seals the open group (`seal`) before it queues any other mutation on the
 * lock, so a later append never overtakes an earlier truncation, roll or close.
 *
 * Per append, inside a group, in order: validated, offsets assigned and the leader epoch
 * stamped (or, for pre-assigned offsets, checked to follow the previous append), a new epoch is
 * recorded in the leader epoch cache (its checkpoint is durable before the batch is written, so
 * the cache is never behind the log), the segment rolls if the append would not fit (after the
 * writes in flight and staged), then the bytes are staged. An append that fails validation,
 * whose offsets do not follow, or whose epoch is older than the log's, fails alone; a failed
 * write fails the appends it carried and every later one of its group, and takes the log
 * offline, which fails every later append too (log.ts, `fail`). Nothing resolves before its
 * bytes are written and the log end offset covers them.
 *
 * Buffers. The log owns an appended buffer until the append settles (validation and offset
 * assignment rewrite its header in place). A buffer that overlaps one already in the open group
 * (the same buffer appended twice concurrently) starts a new group, so each is written before
 * the next is rewritten.
 */
import { SpoolError, type Clock } from '@spool/common';
import { writePartitionLeaderEpoch } from '@spool/protocol';
import { AsyncMutex } from './async-mutex.js';
import type { BatchSummary } from './batch-summary.js';
import { assignOffsets, checkOffsetsFollow } from './log-append-validator.js';
import type { AppendChunk, LogSegment } from './log-segment.js';
import type { TopicConfig } from './topic-config.js';

/** Past this many queued bytes an open group is sealed and later appends start the next one. */
export const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/**
 * A group writes its staged appends once they reach this many bytes (and at its end), so that
 * the next chunk's validation overlaps this chunk's write. 1 MiB: large enough that the system
 * call and thread-pool hop are noise, small enough that a group of a few MiB has writes to
 * overlap.
 */
export const WRITE_CHUNK_BYTES = 1024 * 1024;

/** What an append's batches are: already validated, or the validation to run under the lock. */
export type AppendValidation = readonly BatchSummary[] | (() => readonly BatchSummary[]);

/** What a written append reports back to Log.append. */
export interface GroupAppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logAppendTime: number | null;
  readonly recordCount: number;
  /** Whether flush.messages says this append must wait for an fdatasync covering it. */
  readonly mustFlush: boolean;
}

/** The log state and operations the appender needs; every call happens under the log's lock. */
export interface AppenderHost {
  readonly clock: Clock;
  config(): TopicConfig;
  /** Throws if the log is closed or offline. */
  ensureWritable(): void;
  activeSegment(): LogSegment;
  logEndOffset(): number;
  recoveryPoint(): number;
  /** The latest epoch in the leader epoch cache, null when it is empty. */
  latestEpoch(): number | null;
  /**
   * Records the epochs of batches about to be written in the leader epoch cache; a promise when
   * that must write the checkpoint first (the write waits for it), else undefined.
   */
  noteEpochs(batches: readonly BatchSummary[]): Promise<void> | undefined;
  /** Starts a new active segment at `newBaseOffset` (for `reason`) and returns it. */
  roll(newBaseOffset: number, reason: string): Promise<LogSegment>;
  /** Takes the log offline after an I/O error and returns the error to report. */
  fail(err: unknown, during: string): Error;
  /** Metrics and long-poll wake-up after a write moved the log end offset. */
  appended(batches: number, records: number, bytes: number): void;
}

interface PendingAppend {
  readonly buf: Buffer;
  /** buf's memory (`buf.buffer`, a getter too slow to read per comparison) and its range there. */
  readonly memory: ArrayBufferLike;
  readonly memoryStart: number;
  readonly validation: AppendValidation;
  readonly fromProducer: boolean;
  /** The leader epoch to stamp on produced batches; undefined: the latest cached epoch, or 0. */
  readonly leaderEpoch: number | undefined;
  readonly resolve: (result: GroupAppendResult) => void;
  readonly reject: (err: unknown) => void;
}

interface OpenGroup {
  readonly appends: PendingAppend[];
  bytes: number;
}

/** An append with its offsets assigned, waiting in the current write. */
interface StagedAppend extends AppendChunk {
  readonly pending: PendingAppend;
  readonly logAppendTime: number | null;
  readonly recordCount: number;
}

export class LogAppender {
  private open: OpenGroup | null = null;

  constructor(
    private readonly lock: AsyncMutex,
    private readonly host: AppenderHost,
  ) {}

  /**
   * Queues an append of `buf`: `validation` describes its batches, or validates them (run under
   * the lock, when the append's group gets to it; if it throws, the append fails alone). Resolves
   * once the bytes are written and readable. Callers may append concurrently: appends apply in
   * call order.
   */
  append(buf: Buffer, validation: AppendValidation, fromProducer: boolean, leaderEpoch?: number): Promise<GroupAppendResult> {
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = { buf, memory: buf.buffer, memoryStart: buf.byteOffset, validation, fromProducer, leaderEpoch, resolve, reject };
      const group = this.open;
      if (group !== null && group.bytes < MAX_GROUP_BYTES && !overlapsAny(pending, group.appends)) {
        group.appends.push(pending);
        group.bytes += buf.length;
        return;
      }
      const next: OpenGroup = { appends: [pending], bytes: buf.length };
      this.open = next;
      void this.lock.run(() => {
        if (this.open === next) this.open = null;
        return this.writeGroup(next.appends);
      });
    });
  }

  /** Closes the open group to later appends; the log calls it before queueing any other mutation. */
  seal(): void {
    this.open = null;
  }

  /**
   * Runs under the lock: validates, assigns offsets, rolls as needed and writes the group in
   * chunks, one write in flight while the next chunk is prepared; settles every append in it.
   */
  private async writeGroup(group: readonly PendingAppend[]): Promise<void> {
    let inFlight: Promise<void> | null = null;
    try {
      this.host.ensureWritable();
      const now = this.host.clock.now();
      const config = this.host.config();
      const logAppendTime = config.messageTimestampType === 'LogAppendTime' ? now : null;
      let segment = this.host.activeSegment();
      let staged: StagedAppend[] = [];
      let stagedBytes = 0;
      let inFlightBytes = 0;
      let nextOffset = this.host.logEndOffset();
      for (const pending of group) {
        const assigned = this.assign(pending, nextOffset, logAppendTime);
        if (assigned === null) continue;
        const noted = this.host.noteEpochs(assigned.batches);
        if (noted !== undefined) await noted;
        const first = assigned.batches[0];
        const last = assigned.batches[assigned.batches.length - 1];
        if (rollReason(segment, config, inFlightBytes + stagedBytes, pending.buf.length, last.lastOffset, now) !== null) {
          // The roll needs the segment's final size: let everything before it reach the file.
          if (inFlight !== null) await inFlight;
          inFlight = null;
          inFlightBytes = 0;
          if (staged.length > 0) await this.write(segment, staged, now);
          staged = [];
          stagedBytes = 0;
          segment = await this.maybeRoll(segment, pending.buf.length, first.baseOffset, last.lastOffset, now);
        }
        staged.push(assigned);
        stagedBytes += pending.buf.length;
        nextOffset = last.lastOffset + 1;
        if (stagedBytes >= WRITE_CHUNK_BYTES) {
          if (inFlight !== null) await inFlight;
          inFlight = this.write(segment, staged, now);
          // Awaited before the next write or at the end; until then a failure must not count as unhandled.
          inFlight.catch(() => undefined);
          inFlightBytes = stagedBytes;
          staged = [];
          stagedBytes = 0;
        }
      }
      if (inFlight !== null) await inFlight;
      inFlight = null;
      if (staged.length > 0) await this.write(segment, staged, now);
    } catch (err) {
      // A write still in flight has failed or will be failed with the log; let it settle first,
      // so that nothing of this group is acknowledged after this rejection.
      if (inFlight !== null) await inFlight.catch(() => undefined);
      // Appends already resolved (written by an earlier write of this group) ignore the rejection.
      for (const pending of group) pending.reject(err);
    }
  }

  /**
   * Validates one append, assigns its offsets (and, for produced batches, the leader epoch), or
   * returns null (the append is rejected alone) when it is invalid, its pre-assigned offsets do
   * not follow or its epoch is older than the log's.
   */
  private assign(pending: PendingAppend, nextOffset: number, logAppendTime: number | null): StagedAppend | null {
    try {
      const validated = typeof pending.validation === 'function' ? pending.validation() : pending.validation;
      const stampTime = pending.fromProducer ? logAppendTime : null;
      const batches = pending.fromProducer ? this.stampEpoch(pending, assignOffsets(pending.buf, validated, nextOffset, stampTime)) : validated;
      if (!pending.fromProducer) checkOffsetsFollow(batches, nextOffset);
      let recordCount = 0;
      for (const batch of batches) recordCount += batch.recordCount;
      return { buf: pending.buf, batches, pending, logAppendTime: stampTime, recordCount };
    } catch (err) {
      pending.reject(err);
      return null;
    }
  }

  /** Stamps the leader epoch on produced batches (partitionLeaderEpoch is outside the CRC, so in place). */
  private stampEpoch(pending: PendingAppend, batches: BatchSummary[]): BatchSummary[] {
    const latest = this.host.latestEpoch();
    const epoch = pending.leaderEpoch ?? latest ?? 0;
    if (latest !== null && epoch < latest) {
      throw new SpoolError('FENCED_LEADER_EPOCH', `append with leader epoch ${epoch}, older than the log's latest epoch ${latest}: this replica is no longer the leader`, {
        leaderEpoch: epoch,
        latestEpoch: latest,
      });
    }
    return batches.map((batch) => {
      writePartitionLeaderEpoch(pending.buf, batch.position, epoch);
      return { ...batch, partitionLeaderEpoch: epoch };
    });
  }

  private async maybeRoll(segment: LogSegment, appendBytes: number, firstOffset: number, lastOffset: number, now: number): Promise<LogSegment> {
    const reason = rollReason(segment, this.host.config(), 0, appendBytes, lastOffset, now);
    if (reason === null) return segment;
    try {
      return await this.host.roll(firstOffset, reason);
    } catch (err) {
      // A new segment that cannot be created (a full or read-only disk) takes the log offline like a failed write.
      throw this.host.fail(err, 'roll');
    }
  }

  /** Writes the staged appends to `segment` with one (vectored) write, then resolves them. */
  private async write(segment: LogSegment, staged: readonly StagedAppend[], now: number): Promise<void> {
    try {
      await segment.appendChunks(staged, now);
    } catch (err) {
      throw this.host.fail(err, 'append');
    }
    let batches = 0;
    let records = 0;
    let bytes = 0;
    for (const append of staged) {
      batches += append.batches.length;
      records += append.recordCount;
      bytes += append.buf.length;
    }
    this.host.appended(batches, records, bytes);
    const mustFlush = this.host.logEndOffset() - this.host.recoveryPoint() >= this.host.config().flushMessages;
    for (const append of staged) {
      append.pending.resolve({
        baseOffset: append.batches[0].baseOffset,
        lastOffset: append.batches[append.batches.length - 1].lastOffset,
        logAppendTime: append.logAppendTime,
        recordCount: append.recordCount,
        mustFlush,
      });
    }
  }
}

/**
 * Why the active segment must roll before an append of `appendBytes` ending at `lastOffset`,
 * with `stagedBytes` already bound for it (Kafka's rules: segment.bytes, segment.ms, an index
 * full, offsets beyond the segment's int32 range), or null when the append fits.
 */
export function rollReason(segment: LogSegment, config: TopicConfig, stagedBytes: number, appendBytes: number, lastOffset: number, now: number): string | null {
  const size = segment.size + stagedBytes;
  if (size > 0 && size + appendBytes > config.segmentBytes) return 'segment.bytes';
  if (size > 0 && segment.rollingBasedTimestamp !== null && now - segment.rollingBasedTimestamp > config.segmentMs) return 'segment.ms';
  if (segment.indexesFull()) return 'index full';
  if (!segment.canConvertToRelativeOffset(lastOffset)) return 'offset range';
  return null;
}

function overlapsAny(append: PendingAppend, appends: readonly PendingAppend[]): boolean {
  const end = append.memoryStart + append.buf.length;
  for (const other of appends) {
    if (other.memory === append.memory && other.memoryStart < end && append.memoryStart < other.memoryStart + other.buf.length) return true;
  }
  return false;
}
