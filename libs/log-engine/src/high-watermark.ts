/**
 * The high watermark of one partition log: the offset below which every record is replicated to
 * the whole ISR (committed), so consumers read only below it and a failover never takes back what
 * they saw. Invariant: logStartOffset <= highWatermark <= logEndOffset.
 *
 * Two modes:
 * - follows the log end (the default; a single node, replication factor 1): every append, follower
 *   append and truncation sets highWatermark = logEndOffset, as Kafka's leader does when the ISR
 *   is itself alone. Behaviour is then exactly that of a log without a high watermark.
 * - set by replication: the leader raises it as followers catch up (maybeIncrement: monotonic,
 *   never above the log end), a follower copies the leader's (update: clamped to the log's
 *   range, may go down). Truncation lowers it to the new log end when it was above.
 *
 * Waiters (consumers long-polling at the high watermark) are woken whenever it rises, in either
 * mode: by the append itself when it follows the log end, by maybeIncrement/update otherwise.
 *
 * Concurrency: the owning Log calls every method from its own code paths; JavaScript runs them
 * to completion, so no lock is needed. The offset is checkpointed by LogManager
 * (`replication-offset-checkpoint`).
 */
import { SpoolError, type Logger } from '@spool/common';
import { AppendWaiters } from './append-waiters.js';

/** The log offsets the high watermark is bounded by. */
export interface HighWatermarkBounds {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export class HighWatermark {
  private offsetValue: number;
  private followsLogEnd: boolean;
  private readonly waiters = new AppendWaiters();

  /** `initial` (the checkpointed value) is clamped to the log's range; with `followsLogEnd` it is the log end at once. */
  constructor(
    private readonly log: HighWatermarkBounds,
    initial: number,
    followsLogEnd: boolean,
    private readonly logger: Logger,
  ) {
    this.followsLogEnd = followsLogEnd;
    this.offsetValue = followsLogEnd ? log.logEndOffset : this.clamp(initial);
  }

  get offset(): number {
    return this.offsetValue;
  }

  get isFollowingLogEnd(): boolean {
    return this.followsLogEnd;
  }

  /**
   * Switches the mode. Turning it on raises the high watermark to the log end at once. Turning it
   * off keeps the current value; a follower then sets the leader's value with `update`.
   */
  setFollowsLogEnd(follows: boolean): void {
    this.followsLogEnd = follows;
    if (follows) this.set(this.log.logEndOffset);
  }

  /** After an append moved the log end. */
  onAppend(): void {
    if (this.followsLogEnd) this.set(this.log.logEndOffset);
  }

  /** After a truncation (the log end moved down, the log start possibly too). */
  onTruncated(): void {
    if (this.followsLogEnd || this.offsetValue > this.log.logEndOffset) this.set(this.log.logEndOffset);
    else if (this.offsetValue < this.log.logStartOffset) this.set(this.log.logStartOffset);
  }

  /** After the log start moved up (retention, DeleteRecords): the high watermark is never below it. */
  onLogStartOffsetMoved(): void {
    if (this.offsetValue < this.log.logStartOffset) this.set(this.log.logStartOffset);
  }

  /**
   * Kafka's updateHighWatermark (a follower applying the leader's value, or a leader
   * initialising it): sets it to `hw` clamped to [logStartOffset, logEndOffset]; it may go down
   * (logged). Returns the new value. INVALID_REQUEST while it follows the log end.
   */
  update(hw: number): number {
    this.ensureSettable(hw);
    const next = this.clamp(hw);
    if (next < this.offsetValue) this.logger.warn({ from: this.offsetValue, to: next }, 'non-monotonic update of the high watermark');
    this.set(next);
    return next;
  }

  /**
   * Kafka's maybeIncrementHighWatermark (the leader, after followers' fetch offsets moved):
   * raises it to `hw` if that is higher; returns whether it moved. INVALID_REQUEST above the log
   * end or while it follows the log end.
   */
  maybeIncrement(hw: number): boolean {
    this.ensureSettable(hw);
    if (hw > this.log.logEndOffset) {
      throw new SpoolError('INVALID_REQUEST', `high watermark ${hw} would exceed the log end offset ${this.log.logEndOffset}`, {
        highWatermark: hw,
        logEndOffset: this.log.logEndOffset,
      });
    }
    if (hw <= this.offsetValue) return false;
    this.set(hw);
    return true;
  }

  /** Resolves when the high watermark passes `offset` (> offset), on timeout, abort or close; never rejects. */
  wait(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.offsetValue > offset) return Promise.resolve();
    return this.waiters.wait(offset, timeoutMs, signal);
  }

  /** Releases every waiter (the log closes). */
  releaseAll(): void {
    this.waiters.releaseAll();
  }

  private set(offset: number): void {
    const rose = offset > this.offsetValue;
    this.offsetValue = offset;
    if (rose) this.waiters.wake(offset);
  }

  private clamp(hw: number): number {
    return Math.min(Math.max(hw, this.log.logStartOffset), this.log.logEndOffset);
  }

  private ensureSettable(hw: number): void {
    if (this.followsLogEnd) {
      throw new SpoolError('INVALID_REQUEST', 'the high watermark follows the log end offset; call setHighWatermarkFollowsLogEnd(false) before setting it');
    }
    if (!Number.isSafeInteger(hw) || hw < 0) throw new SpoolError('INVALID_REQUEST', `high watermark ${hw} is not an offset`);
  }
}
